"""API 02 through the real ``RagClient`` against the live server: agents, workflows,
notifications, leads, analytics and payments, each checked by what the API answers afterwards,
and its errors as the client's typed ones (a 400 or 422 naming a field is ``ValidationFailed``)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from agents_support import Account, admin_account, sign_up
from stripe_standin import API_KEY, WEBHOOK_SECRET, StandInServer, StripeStandIn

from ragplatform.client import (
    ApiUnavailable,
    AuthError,
    NotFoundError,
    RagClient,
    ValidationFailed,
    WorkflowRunDetailPublic,
)
from ragplatform.settings import StripeSettings

if TYPE_CHECKING:
    from serve_support import LiveServer

    from ragplatform.factory import Platform

HOT_MESSAGE = "We are a team of 40 agents and need pricing and a demo this month; budget is approved."
DOC = "The Quillon pump was designed in 1887 by Mirela Stanek for the canal locks of Ostrava."


def tag() -> str:
    return uuid.uuid4().hex[:10]


def client_for(live_server: LiveServer, account: Account) -> RagClient:
    return RagClient(live_server.url, token=account.token, timeout=60)


@pytest.fixture(scope="module")
def admin(platform: Platform, live_server: LiveServer) -> Iterator[RagClient]:
    with client_for(live_server, admin_account(platform)) as c:
        yield c


@pytest.fixture
def ada_account(live_server: LiveServer) -> Account:
    """A fresh account without the admin role."""
    with httpx.Client(base_url=live_server.url, timeout=60) as http:
        return sign_up(http, "Ada")


@pytest.fixture
def ada(live_server: LiveServer, ada_account: Account) -> Iterator[RagClient]:
    with client_for(live_server, ada_account) as c:
        yield c


@pytest.fixture
def bob(live_server: LiveServer) -> Iterator[RagClient]:
    with httpx.Client(base_url=live_server.url, timeout=60) as http:
        account = sign_up(http, "Bob")
    with client_for(live_server, account) as c:
        yield c


def finished(api: RagClient, run_id: str, timeout_s: float = 240) -> WorkflowRunDetailPublic:
    deadline = time.monotonic() + timeout_s
    while True:
        run = api.workflow_run(run_id)
        if run.finished:
            return run
        assert time.monotonic() < deadline, f"run {run_id} still {run.status} after {timeout_s:g} s"
        time.sleep(0.2)


MIRRORED = [
    "AgentPublic", "AgentRunPublic", "WorkflowPublic", "WorkflowRunPublic", "WorkflowStepPublic",
    "WorkflowRunDetailPublic", "WorkflowRunsPublic", "NotificationPublic", "NotificationsPublic",
    "ReasonPublic", "LeadAnalysisPublic", "LeadPublic", "LeadsPublic", "LeadConsentPublic", "KpiPublic",
    "AnalyticsOverviewPublic", "TrendPointPublic", "CheckoutSessionPublic", "SubscriptionPublic",
    "SubscriptionsPublic",
]  # fmt: skip


@pytest.mark.parametrize("name", MIRRORED)
def test_the_client_models_mirror_the_served_schemas(name: str) -> None:
    import ragplatform.client
    from ragserve.agents import leads_schemas, schemas

    served = getattr(schemas, name, None) or getattr(leads_schemas, name)
    mirrored = getattr(ragplatform.client, name)
    assert set(mirrored.model_fields) == set(served.model_fields)
    required = {f for f, info in served.model_fields.items() if info.is_required()}
    assert {f for f, info in mirrored.model_fields.items() if info.is_required()} <= required


# -- agents -------------------------------------------------------------------------------


def test_agents_are_listed_and_invoked(ada: RagClient) -> None:
    agents = {a.name: a for a in ada.list_agents()}
    assert {"chat_agent", "search_agent", "summary_agent", "lead_agent", "faq_agent"} <= set(agents)
    assert "query" in agents["search_agent"].input_schema["properties"]

    run = ada.invoke_agent("search_agent", {"query": "atmospheric engine", "top_k": 3})
    assert run.status == "completed" and run.error is None and run.result is not None
    hits = run.result["hits"]
    assert 1 <= len(hits) <= 3 and any("Newcomen" in h["text"] for h in hits)


def test_agent_errors_are_typed_and_name_the_field(ada: RagClient) -> None:
    with pytest.raises(ValidationFailed) as bad:
        ada.invoke_agent("search_agent", {"query": "engine", "top_k": 0})
    assert bad.value.status == 400 and "input.top_k" in bad.value.field_errors
    with pytest.raises(ValidationFailed) as unknown:
        ada.invoke_agent("weather_agent")
    assert "search_agent" in str(unknown.value)
    with pytest.raises(AuthError) as admins_only:
        ada.invoke_agent("faq_agent", {"limit": 5})
    assert admins_only.value.status == 403
    with pytest.raises(NotFoundError):
        ada.invoke_agent("summary_agent", {"session_id": str(uuid.uuid4())})


# -- workflows -----------------------------------------------------------------------------


def test_workflows_are_listed_with_steps_and_inputs(ada: RagClient) -> None:
    workflows = {w.workflow_id: w for w in ada.list_workflows()}
    assert workflows["rebuild_index"].steps == ["build", "evaluate", "promote"]
    assert workflows["rebuild_index"].admin_only and not workflows["ingest_documents"].admin_only
    assert "promote" in workflows["rebuild_index"].input_schema["properties"]


def test_a_synchronous_run_its_steps_the_list_and_the_notification(ada: RagClient, bob: RagClient) -> None:
    inputs = {"documents": [{"filename": "quillon.txt", "text": DOC}]}
    run = ada.execute_workflow("ingest_documents", inputs)
    assert (run.status, run.progress, run.error) == ("completed", 1.0, None) and run.finished
    assert run.outputs is not None and run.outputs["documents"][0]["filename"] == "quillon.txt"

    detail = ada.workflow_run(run.workflow_run_id)
    assert [(s.name, s.status, s.progress) for s in detail.steps] == [("ingest", "completed", 1.0)]
    assert detail.inputs["documents"][0]["filename"] == "quillon.txt"
    mine = ada.workflow_runs(workflow_id="ingest_documents")
    assert mine.count == 1 and [r.workflow_run_id for r in mine.data] == [run.workflow_run_id]
    assert ada.workflow_runs(workflow_id="rebuild_index").count == 0

    with pytest.raises(NotFoundError):
        bob.workflow_run(run.workflow_run_id)
    assert bob.workflow_runs().count == 0
    notes = ada.notifications().data
    assert any(n.notification_type == "workflow_completed" and
               n.metadata.get("workflow_run_id") == run.workflow_run_id for n in notes)  # fmt: skip


def test_an_async_run_is_queued_then_followed_to_its_outputs(admin: RagClient) -> None:
    lead = admin.create_lead(f"ops.{tag()}@quarry.io", consent=True, message=HOT_MESSAGE)
    queued = admin.execute_workflow("qualify_leads", {"lead_ids": [lead.id]}, run_async=True)
    assert queued.status in ("queued", "running", "completed") and queued.workflow_id == "qualify_leads"
    done = finished(admin, queued.workflow_run_id)
    assert done.status == "completed" and done.outputs is not None
    assert done.outputs["qualified"] == 1 and done.outputs["leads"][0]["lead_id"] == lead.id
    assert [(s.name, s.status) for s in done.steps] == [("qualify", "completed")]
    assert queued.workflow_run_id in {r.workflow_run_id for r in admin.workflow_runs(limit=200).data}
    assert len(admin.lead_analyses(lead.id)) == 2  # the form's qualification, and the workflow's


def test_workflow_errors_are_typed(ada: RagClient, admin: RagClient) -> None:
    with pytest.raises(ValidationFailed) as unknown:
        ada.execute_workflow("make_coffee")
    assert "workflow_id" in unknown.value.field_errors and "rebuild_index" in str(unknown.value)
    with pytest.raises(ValidationFailed) as empty:
        ada.execute_workflow("ingest_documents", {"documents": []})
    assert any(field.startswith("inputs.documents") for field in empty.value.field_errors)
    with pytest.raises(AuthError) as admins_only:
        ada.execute_workflow("rebuild_index", {"promote": False})
    assert admins_only.value.status == 403
    failed = admin.execute_workflow("evaluate_index", {"version": "no-such-version"})
    assert failed.status == "failed" and failed.error and "no-such-version" in failed.error
    with pytest.raises(NotFoundError):
        ada.workflow_run("no-such-run")


# -- notifications ----------------------------------------------------------------------------


def test_notifications_list_fetch_and_mark_read(
    platform: Platform, ada_account: Account, ada: RagClient, bob: RagClient
) -> None:
    assert ada.notifications().count == 0  # a new account
    older = platform.notifications.create(ada_account.id, "workflow_completed", "Rebuild done")
    first = platform.notifications.create(ada_account.id, "lead_qualified", "A hot lead", "ada@example.org")
    page = ada.notifications()
    assert (page.count, page.unread) == (2, 2) and [n.id for n in page.data] == [first.id, older.id]
    assert ada.notification(first.id).title == "A hot lead"

    marked = ada.mark_notification_read(first.id)
    assert marked.read and ada.notification(first.id).read
    unread = ada.notifications(unread_only=True)
    assert (unread.count, unread.unread, [n.id for n in unread.data]) == (1, 1, [older.id])
    assert [n.id for n in ada.notifications(limit=1, offset=1).data] == [older.id]

    assert ada.mark_all_notifications_read() == 1
    assert ada.notifications(unread_only=True).unread == 0
    assert ada.mark_all_notifications_read() == 0
    with pytest.raises(NotFoundError):
        bob.notification(first.id)
    with pytest.raises(NotFoundError):
        bob.mark_notification_read(first.id)


# -- leads ---------------------------------------------------------------------------------


def test_a_lead_is_qualified_listed_and_its_status_changed(admin: RagClient, ada: RagClient) -> None:
    t = tag()
    email = f"buyer.{t}@foundry{t}.io"
    lead = ada.create_lead(email, consent=True, name="Ida", company=f"Foundry {t}", message=HOT_MESSAGE)
    assert (lead.email, lead.source) == (email, "form") and lead.status in ("new", "qualified")
    analysis = lead.analysis
    assert analysis is not None and lead.score == analysis.score and 0 <= analysis.score <= 100
    assert analysis.intent in ("purchase", "evaluation") and analysis.next_step and analysis.reasons

    assert [x.id for x in ada.leads().data] == [lead.id]  # the account's own
    everyone = admin.leads(min_score=analysis.score, limit=200)
    assert lead.id in {x.id for x in everyone.data}
    assert all((x.score or 0) >= analysis.score for x in everyone.data)
    assert admin.lead(lead.id).analysis == analysis

    changed = admin.update_lead_status(lead.id, "contacted")
    assert changed.status == "contacted" == ada.lead(lead.id).status
    assert lead.id in {x.id for x in admin.leads(status="contacted", limit=200).data}
    assert lead.id not in {x.id for x in admin.leads(status=lead.status, limit=200).data}
    with pytest.raises(AuthError):
        ada.update_lead_status(lead.id, "converted")
    assert [a.id for a in ada.lead_analyses(lead.id)] == [analysis.id]


def test_lead_errors_are_typed(ada: RagClient, bob: RagClient) -> None:
    with pytest.raises(ValidationFailed) as refused:
        ada.create_lead(f"quiet.{tag()}@corp.io", consent=False)
    assert "consent" in refused.value.field_errors
    with pytest.raises(ValidationFailed) as bad:
        ada.create_lead("not an address", consent=True)
    assert "email" in bad.value.field_errors
    with pytest.raises(ValidationFailed) as score:
        ada.leads(min_score=101)
    assert "min_score" in score.value.field_errors
    lead = ada.create_lead(f"mine.{tag()}@corp.io", consent=True)
    with pytest.raises(NotFoundError):
        bob.lead(lead.id)
    with pytest.raises(NotFoundError):
        bob.lead_analyses(lead.id)


def test_consent_in_a_chat_turns_its_address_into_a_lead(admin: RagClient, ada: RagClient) -> None:
    t = tag()
    asked = ada.invoke_agent("chat_agent", {"question": f"Is there a team demo? Write to ada.{t}@mill{t}.io"})
    assert asked.result is not None
    session_id = asked.result["session_id"]
    assert ada.leads().count == 0  # no consent yet
    given = ada.set_lead_consent(session_id, True)
    assert (given.session_id, given.consent, given.captured) == (session_id, True, True)
    assert given.lead is not None and given.lead.email == f"ada.{t}@mill{t}.io"
    assert given.lead.source == "chat" and given.lead.session_id == session_id
    assert [x.id for x in ada.leads().data] == [given.lead.id]
    with pytest.raises(NotFoundError):
        ada.set_lead_consent(str(uuid.uuid4()), True)


# -- analytics ----------------------------------------------------------------------------------


def test_analytics_overview_and_trends_count_a_new_lead(ada: RagClient) -> None:
    today = datetime.now(UTC).date()
    start, end = today - timedelta(days=6), today + timedelta(days=1)
    before = ada.analytics_overview(start, end)
    assert (before.total_leads.value, before.total_leads.change) == (0, 0.0)  # a new account

    ada.create_lead(f"trend.{tag()}@corp.io", consent=True, message=HOT_MESSAGE)
    after = ada.analytics_overview(start, end)
    assert after.total_leads.value == 1 and after.total_leads.change is None  # from nothing
    assert {"active_conversations", "conversion_rate", "total_revenue"} <= set(type(after).model_fields)

    daily = ada.analytics_trends("leads", "daily", start, end)
    assert [p.date for p in daily] == [start + timedelta(days=d) for d in range(7)]
    assert [p.value for p in daily] == [0] * 6 + [1]
    weekly = ada.analytics_trends("leads", "weekly", start, end)
    assert sum(p.value for p in weekly) == 1 and all(p.date.weekday() == 0 for p in weekly)
    assert sum(p.value for p in ada.analytics_trends("revenue", start_date=start, end_date=end)) == 0
    assert len(ada.analytics_trends("conversations")) >= 28  # the server's default period


def test_analytics_refuse_bad_periods_and_metrics(ada: RagClient) -> None:
    today = datetime.now(UTC).date()
    with pytest.raises(ValidationFailed) as reversed_period:
        ada.analytics_overview(today, today - timedelta(days=3))
    assert "start_date" in reversed_period.value.field_errors
    with pytest.raises(ValidationFailed) as too_long:
        ada.analytics_trends("leads", start_date=today - timedelta(days=800), end_date=today)
    assert "end_date" in too_long.value.field_errors
    with pytest.raises(ValidationFailed) as unknown:
        ada.analytics_trends("churn")  # type: ignore[arg-type]
    assert "metric" in unknown.value.field_errors


# -- payments -------------------------------------------------------------------------------------


@pytest.fixture
def stripe_on(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> Iterator[StripeStandIn]:
    """The served platform's payments pointed at a stand-in for Stripe, for one test."""
    with StandInServer() as standin:
        settings = StripeSettings(
            api_key=API_KEY,
            webhook_secret=WEBHOOK_SECRET,
            price_id="price_pro_monthly",
            mode="subscription",
            success_url="https://app.example/ok",
            cancel_url="https://app.example/back",
            api_base=standin.url,
            timeout_s=10,
        )
        monkeypatch.setattr(platform.payments, "settings", settings)
        yield standin


def test_checkout_and_subscriptions(stripe_on: StripeStandIn, ada: RagClient, admin: RagClient) -> None:
    session = ada.create_checkout_session(mode="payment", metadata={"package_id": "pkg-7"})
    assert session.id.startswith("cs_test_") and session.url and session.id in session.url
    sent = stripe_on.checkout_requests()[-1].form
    assert (sent["mode"], sent["line_items[0][price]"]) == ("payment", "price_pro_monthly")
    assert sent["metadata[package_id]"] == "pkg-7"
    with pytest.raises(ValidationFailed) as bad:
        ada.create_checkout_session("price_pro_monthly", success_url="javascript:alert(1)")
    assert "success_url" in bad.value.field_errors

    mine = ada.subscriptions()
    assert (mine.count, mine.data) == (0, [])  # nothing paid until Stripe reports it to the webhook
    assert admin.subscriptions(status="no-such-status").count == 0
    with pytest.raises(AuthError):
        ada.subscriptions(user_id="someone-else")


def test_checkout_without_stripe_is_unavailable_naming_the_setting(
    platform: Platform, ada: RagClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(platform.payments, "settings", StripeSettings())
    with pytest.raises(ApiUnavailable) as missing:
        ada.create_checkout_session()
    assert missing.value.status == 503 and "STRIPE_API_KEY" in str(missing.value)


def test_every_new_method_needs_a_token(live_server: LiveServer) -> None:
    calls: list[tuple[str, tuple[Any, ...]]] = [
        ("workflow_runs", ()),
        ("notifications", ()),
        ("leads", ()),
        ("analytics_overview", ()),
        ("subscriptions", ()),
        ("invoke_agent", ("search_agent", {"query": "x"})),
    ]
    with RagClient(live_server.url) as anonymous:
        assert anonymous.list_workflows() and anonymous.list_agents()  # capabilities are open
        for name, args in calls:
            with pytest.raises(AuthError) as refused:
                getattr(anonymous, name)(*args)
            assert refused.value.status == 401 and "sign in first" in str(refused.value), name
