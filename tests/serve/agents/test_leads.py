"""API 02's leads against a real server with httpx: the form (deduplication, validation, consent),
the chat capture, ``lead_agent`` (the document's curl example as written) and ``faq_agent`` through
``POST /api/agents/invoke``, admin notifications, analytics events, and isolation between users."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from agents_support import Account, sign_up

from ragplatform.events import PlatformEvent

if TYPE_CHECKING:
    from serve_support import LiveServer

    from ragplatform.factory import Platform

HOT_MESSAGE = "We are a team of 40 agents and need pricing and a demo this month; budget is approved."


@pytest.fixture
def ada(client: httpx.Client) -> Account:
    return sign_up(client, "Ada")


@pytest.fixture
def events(platform: Platform) -> Iterator[list[PlatformEvent]]:
    heard: list[PlatformEvent] = []
    platform.events.hooks.append(heard.append)
    yield heard
    platform.events.hooks.remove(heard.append)


def tag() -> str:
    return uuid.uuid4().hex[:10]


def submit(client: httpx.Client, who: Account | None = None, **fields: Any) -> httpx.Response:
    body = {"consent": True, **fields}
    return client.post("/api/leads", json=body, headers=who.headers if who else {})


def invoke(client: httpx.Client, who: Account, agent_type: str, payload: dict[str, Any]) -> httpx.Response:
    return client.post(
        "/api/agents/invoke", json={"agent_type": agent_type, "input": payload}, headers=who.headers
    )


def completed(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    run = r.json()
    assert set(run) == {"request_id", "status", "result", "error"}
    assert run["status"] == "completed" and run["error"] is None, run
    result: dict[str, Any] = run["result"]
    return result


# -- the form --------------------------------------------------------------------------------------


def test_the_form_creates_a_qualified_lead_and_merges_the_same_address(
    client: httpx.Client, admin: Account
) -> None:
    t = tag()
    r = submit(client, email=f"Pat.{t}@Acme{t}.io", name="Pat", company=f"Acme{t} SaaS", message=HOT_MESSAGE)
    assert r.status_code == 201, r.text
    lead = r.json()
    assert (lead["email"], lead["source"], lead["consent"], lead["user_id"]) == (
        f"Pat.{t}@Acme{t}.io",
        "form",
        True,
        None,
    )
    analysis = lead["analysis"]
    assert analysis["method"] == "rules" and analysis["score"] == lead["score"] >= 60
    assert lead["status"] == "qualified" and analysis["intent"] == "evaluation"
    rules = {reason["rule"]: reason["points"] for reason in analysis["reasons"]}
    assert rules["work_email"] > 0 and rules["demo_request"] > 0 and rules["pricing_question"] > 0

    for variant in (f"  pat.{t}@acme{t}.IO ", f"PAT.{t}@ACME{t}.IO"):
        again = submit(client, email=variant, message="Also: do you integrate with Salesforce?")
        assert again.status_code == 201, again.text
        assert again.json()["id"] == lead["id"]
        # an anonymous submitter sees what they sent, never the earlier submission
        assert again.json()["company"] == "" and HOT_MESSAGE not in again.json()["message"]
    found = completed(invoke(client, admin, "lead_agent", {"query": f"acme{t}"}))
    assert [p["lead"]["id"] for p in found["prospects"]] == [lead["id"]]
    stored = client.get(f"/api/leads/{lead['id']}", headers=admin.headers).json()
    assert stored["message"] == f"{HOT_MESSAGE}\n\nAlso: do you integrate with Salesforce?"
    assert stored["metadata"]["submissions"] == 3 and stored["company"] == f"Acme{t} SaaS"


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"consent": True}, "email"),
        ({"email": "not an address", "consent": True}, "email"),
        ({"email": "a@b", "consent": True}, "email"),
        ({"email": "a@example.org"}, "consent"),
        ({"email": "a@example.org", "consent": "maybe"}, "consent"),
        ({"email": "a@example.org", "consent": True, "name": "n" * 201}, "name"),
        ({"email": "a@example.org", "consent": True, "company": "c" * 201}, "company"),
        ({"email": "a@example.org", "consent": True, "message": "m" * 5001}, "message"),
        ({"email": "x" * 250 + "@example.org", "consent": True}, "email"),
    ],
)
def test_the_form_refuses_bad_input_naming_the_field(
    client: httpx.Client, body: dict[str, Any], where: str
) -> None:
    r = client.post("/api/leads", json=body)
    assert r.status_code == 422, r.text
    assert any(e["loc"][-1] == where for e in r.json()["detail"]), r.json()


def test_without_consent_nothing_is_stored(client: httpx.Client, admin: Account) -> None:
    t = tag()
    r = submit(client, email=f"quiet.{t}@corp.io", company=f"Quiet{t}", consent=False)
    assert r.status_code == 422
    assert r.json()["field"] == "consent" and "consent" in r.json()["detail"]
    assert completed(invoke(client, admin, "lead_agent", {"query": f"quiet{t}"}))["prospects"] == []


def test_a_signed_in_submitter_owns_and_reads_their_lead(client: httpx.Client, ada: Account) -> None:
    r = submit(client, ada, email=f"ada.{tag()}@analytical.io", name="Ada", message="Can we book a call?")
    assert r.status_code == 201
    lead = r.json()
    assert lead["user_id"] == ada.id
    listed = client.get("/api/leads", headers=ada.headers).json()
    assert [item["id"] for item in listed["data"]] == [lead["id"]] and listed["count"] == 1
    assert listed["data"][0]["analysis"]["id"] == lead["analysis"]["id"]
    analyses = client.get(f"/api/leads/{lead['id']}/analyses", headers=ada.headers).json()
    assert analyses["count"] == 1 and analyses["data"][0]["lead_id"] == lead["id"]


# -- isolation -------------------------------------------------------------------------------------


def test_another_user_never_sees_a_lead(
    client: httpx.Client, ada: Account, bob: Account, admin: Account
) -> None:
    lead = submit(client, ada, email=f"ada.{tag()}@corp.io", company="Ada SaaS", message=HOT_MESSAGE).json()
    for path in (f"/api/leads/{lead['id']}", f"/api/leads/{lead['id']}/analyses"):
        r = client.get(path, headers=bob.headers)
        assert r.status_code == 404, r.text
        assert "not found" in r.json()["detail"]
    assert client.get("/api/leads", headers=bob.headers).json() == {"data": [], "count": 0}
    r = invoke(client, bob, "lead_agent", {"lead_id": lead["id"]})
    assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND"
    bobs = completed(invoke(client, bob, "lead_agent", {"query": "Find top prospects in SaaS"}))
    assert bobs["prospects"] == [] and bobs["count"] == 0
    assert (
        client.patch(f"/api/leads/{lead['id']}", json={"status": "lost"}, headers=bob.headers).status_code
        == 403
    )
    assert (
        client.patch(f"/api/leads/{lead['id']}", json={"status": "lost"}, headers=ada.headers).status_code
        == 403
    )
    assert client.get("/api/leads").status_code == 401
    r = client.patch(f"/api/leads/{lead['id']}", json={"status": "contacted"}, headers=admin.headers)
    assert r.status_code == 200 and r.json()["status"] == "contacted"
    assert client.get(f"/api/leads/{lead['id']}", headers=ada.headers).json()["status"] == "contacted"
    r = client.patch(f"/api/leads/{lead['id']}", json={"status": "won"}, headers=admin.headers)
    assert r.status_code == 422
    admins = client.get("/api/leads", params={"status": "contacted", "min_score": 60, "limit": 200},
                        headers=admin.headers).json()  # fmt: skip
    assert lead["id"] in {item["id"] for item in admins["data"]}
    assert all(item["status"] == "contacted" and item["score"] >= 60 for item in admins["data"])


# -- events and notifications ----------------------------------------------------------------------


def test_events_and_the_admin_notification(
    client: httpx.Client, ada: Account, admin: Account, events: list[PlatformEvent]
) -> None:
    lead = submit(
        client, ada, email=f"hot.{tag()}@corp.io", name="Hot", company="Corp", message=HOT_MESSAGE
    ).json()
    created = [e for e in events if e.type == "lead_created" and e.data["lead_id"] == lead["id"]]
    analyzed = [e for e in events if e.type == "lead_analyzed" and e.data["lead_id"] == lead["id"]]
    assert len(created) == 1 and len(analyzed) == 1
    assert created[0].channel == analyzed[0].channel == "analytics"
    assert created[0].data == {
        "lead_id": lead["id"],
        "user_id": ada.id,
        "created_at": created[0].data["created_at"],
    }
    assert analyzed[0].data == {
        "lead_id": lead["id"],
        "user_id": ada.id,
        "analysis_id": lead["analysis"]["id"],
        "completed_at": analyzed[0].data["completed_at"],
    }
    assert created[0].owner == ada.id
    notes = client.get("/api/notifications", params={"limit": 200}, headers=admin.headers).json()["data"]
    mine = [n for n in notes if n["metadata"].get("lead_id") == lead["id"]]
    assert len(mine) == 1
    assert (mine[0]["notification_type"], mine[0]["severity"]) == ("lead_qualified", "success")
    assert mine[0]["action_url"] == f"/api/leads/{lead['id']}"
    assert not [n for n in client.get("/api/notifications", headers=ada.headers).json()["data"]
                if n["metadata"].get("lead_id") == lead["id"]]  # fmt: skip


# -- the chat --------------------------------------------------------------------------------------


def test_an_address_in_a_chat_with_consent_becomes_the_accounts_lead(
    client: httpx.Client, ada: Account, bob: Account
) -> None:
    t = tag()
    body = {
        "agent_type": "chat_agent",
        "input": {"question": f"Is there a demo for teams? You can reach me at ada.{t}@engines.io"},
        "metadata": {"lead_consent": True},
    }
    result = completed(client.post("/api/agents/invoke", json=body, headers=ada.headers))
    leads = client.get("/api/leads", headers=ada.headers).json()["data"]
    assert len(leads) == 1
    lead = leads[0]
    assert (lead["email"], lead["source"], lead["session_id"]) == (
        f"ada.{t}@engines.io",
        "chat",
        result["session_id"],
    )
    assert lead["user_id"] == ada.id and lead["analysis"] is not None

    body["input"] = {"question": f"Write to bob.{t}@engines.io"}
    body["metadata"] = {"source": "dashboard"}
    completed(client.post("/api/agents/invoke", json=body, headers=bob.headers))
    assert client.get("/api/leads", headers=bob.headers).json()["count"] == 0


def test_consent_given_in_an_open_chat_after_the_address(client: httpx.Client, admin: Account) -> None:
    t = tag()
    r = client.post(
        "/rag/chat", json={"user_id": f"visitor-{t}", "question": f"Mail me at eve{t}@bakery{t}.com"}
    )
    assert r.status_code == 200, r.text
    session_id = r.json()["session_id"]
    assert completed(invoke(client, admin, "lead_agent", {"query": f"bakery{t}"}))["prospects"] == []
    r = client.post("/api/leads/consent", json={"session_id": session_id, "consent": True})
    assert r.status_code == 200, r.text
    assert r.json() == {"session_id": session_id, "consent": True, "captured": True, "lead": None}
    found = completed(invoke(client, admin, "lead_agent", {"query": f"bakery{t}"}))["prospects"]
    assert len(found) == 1 and found[0]["lead"]["session_id"] == session_id
    assert (
        client.post("/api/leads/consent", json={"session_id": str(uuid.uuid4()), "consent": True}).status_code
        == 404
    )


# -- lead_agent ------------------------------------------------------------------------------------


def test_the_documents_curl_example_finds_the_callers_prospects(client: httpx.Client, ada: Account) -> None:
    saas = submit(
        client, ada, email=f"cto.{tag()}@cloudly.io", company="Cloudly SaaS", message=HOT_MESSAGE
    ).json()
    other = submit(
        client, ada, email=f"baker.{tag()}@gmail.com", company="Village Bakery", message="hi"
    ).json()
    body = {
        "agent_type": "lead_agent",
        "input": {"query": "Find top prospects in SaaS"},
        "metadata": {"source": "dashboard"},
    }
    result = completed(client.post("/api/agents/invoke", json=body, headers=ada.headers))
    assert result["terms"] == ["saas"] and result["count"] == 1
    prospect = result["prospects"][0]
    assert prospect["lead"]["id"] == saas["id"] and prospect["matched_terms"] == 1
    assert prospect["analysis"]["score"] == saas["score"] and prospect["analysis"]["reasons"]
    everyone = completed(invoke(client, ada, "lead_agent", {"query": "Find top prospects"}))
    assert [p["lead"]["id"] for p in everyone["prospects"]] == [saas["id"], other["id"]]  # best scored first


def test_lead_agent_qualifies_a_stored_lead_or_inline_details(
    client: httpx.Client, ada: Account, admin: Account
) -> None:
    lead = submit(
        client, ada, email=f"q.{tag()}@corp.io", message="Send a quote, we want to buy 20 seats"
    ).json()
    for who in (ada, admin):
        result = completed(invoke(client, who, "lead_agent", {"lead_id": lead["id"]}))
        assert result["lead"]["id"] == lead["id"] and result["analysis"]["intent"] == "purchase"
        assert result["analysis"]["method"] == "rules"  # the test platform's chain holds no LLM
    assert client.get(f"/api/leads/{lead['id']}/analyses", headers=ada.headers).json()["count"] == 3
    inline = completed(
        invoke(client, ada, "lead_agent", {"lead": {"email": "x@gmail.com", "message": "hello"}})
    )
    assert inline["stored"] is False and inline["analysis"]["intent"] == "information"
    assert inline["analysis"]["next_step"] == "nurture"
    for bad in (
        {},
        {"query": "saas", "lead_id": lead["id"]},
        {"lead": {"email": "nope"}},
        {"lead_id": lead["id"], "x": 1},
    ):
        r = invoke(client, ada, "lead_agent", bad)
        assert r.status_code == 400 and r.json()["code"] == "BAD_REQUEST", r.text
    r = invoke(client, ada, "lead_agent", {"lead": {"email": "nope"}})
    assert r.json()["field"] == "input.lead.email"


# -- faq_agent -------------------------------------------------------------------------------------


def test_faq_agent_drafts_from_unanswered_questions_and_accepts_one(
    client: httpx.Client, admin: Account, ada: Account
) -> None:
    t = tag()
    asked = [
        f"Which flavour of moon cheese do the {t} gnomes prefer?",
        f"which flavour of moon cheese do {t} gnomes prefer",
        f"What flavour of moon cheese do {t} gnomes prefer most?",
    ]
    for question in asked:  # a strict relevance cut: nothing in the demo corpus answers these
        body = {"user_id": f"faq-{t}", "question": question, "vector_distance_threshold": 0.3}
        r = client.post("/rag/chat", json=body)
        assert r.status_code == 200 and r.json()["unanswered"] is True, r.text

    r = invoke(client, ada, "faq_agent", {})
    assert r.status_code == 403 and r.json()["code"] == "FORBIDDEN", r.text
    result = completed(invoke(client, admin, "faq_agent", {"limit": 50, "min_count": 3, "days": 1}))
    drafts = [d for d in result["drafts"] if t in d["question"]]
    assert len(drafts) == 1, result
    draft = drafts[0]
    assert draft["count"] == 3 and len(draft["item_ids"]) == 3 and set(draft["variants"]) == set(asked)
    if draft["answered"]:  # the default relevance cut found a passage to draft from
        assert draft["draft_answer"] and draft["sources"]
    else:  # the closest passages, for the admin to write from
        assert draft["draft_answer"] is None and len(draft["sources"]) <= 3
    assert all(d["count"] >= 3 for d in result["drafts"])

    answer = "The gnomes prefer Wensleydale."
    r = invoke(client, admin, "faq_agent", {"accept": [{"item_id": draft["id"], "answer": answer}]})
    accepted = completed(r)["accepted"]
    assert accepted[0]["item_id"] == draft["id"] and accepted[0]["answer"] == answer
    faq = client.get(f"/postgres/faq/{accepted[0]['faq_id']}")
    assert faq.status_code == 200 and faq.json()["question"] == draft["question"]
    r = client.post("/rag/chat", json={"user_id": f"faq-{t}", "question": draft["question"]})
    assert r.json()["source"] == "faq" and answer in r.json()["answer"]
    again = invoke(client, admin, "faq_agent", {"accept": [draft["id"]]})
    assert again.status_code == 400 and again.json()["field"] == "input.accept.0.item_id"
    later = completed(invoke(client, admin, "faq_agent", {"limit": 50, "min_count": 1, "days": 1}))
    assert not [d for d in later["drafts"] if t in d["question"]]
    assert [d for d in later["already_in_faq"] if t in d["question"]]


# -- the analytics socket, end to end ---------------------------------------------------------------


def test_a_submitted_lead_reaches_its_owner_and_admins_live_and_no_one_else(
    client: httpx.Client, live_server: LiveServer, ada: Account, bob: Account, admin: Account
) -> None:
    from agents_support import exchange, next_of, ws_url
    from websockets.sync.client import connect

    path = "/api/ws/analytics"
    with (
        connect(ws_url(live_server, path, ada.token)) as mine,
        connect(ws_url(live_server, path, admin.token)) as admins,
        connect(ws_url(live_server, path, bob.token)) as other,
    ):
        for ws in (mine, admins, other):  # each socket is subscribed before the lead is made
            assert exchange(ws, {"type": "ping"}) == {"type": "pong"}
        lead = submit(client, ada, email=f"live.{tag()}@corp.io", company="Corp", message=HOT_MESSAGE).json()
        for ws in (mine, admins):
            created = next_of(
                ws, lambda m: m["type"] == "lead_created" and m["data"]["lead_id"] == lead["id"]
            )
            assert created["data"]["user_id"] == ada.id
            analyzed = next_of(
                ws, lambda m: m["type"] == "lead_analyzed" and m["data"]["lead_id"] == lead["id"]
            )
            assert analyzed["data"]["analysis_id"] == lead["analysis"]["id"]
        # the hub gave every socket its events at once: whatever Bob was sent is queued before this pong
        reply = exchange(other, {"type": "ping"})
        assert reply == {"type": "pong"}, reply


def test_with_an_llm_configured_a_new_lead_is_qualified_again_as_a_workflow(
    client: httpx.Client, platform: Platform, admin: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(platform.settings.llm, "providers", ["ollama", "extractive"])
    lead = submit(client, email=f"wf.{tag()}@corp.io", company="Corp", message=HOT_MESSAGE).json()

    def run_for_lead() -> Any:
        runs, _ = platform.workflows.runs.list(None, workflow_id="qualify_leads", limit=20)
        for run in runs:
            if run.inputs.get("lead_ids") == [lead["id"]]:
                return platform.workflows.runs.get(run.id)
        return None

    deadline = time.monotonic() + 120
    while (run := run_for_lead()) is None or not run.finished:
        assert time.monotonic() < deadline, "no qualify_leads run finished for the new lead"
        time.sleep(0.2)
    assert run.status == "completed" and run.outputs == {
        "qualified": 1, "leads": [{"lead_id": lead["id"], "score": run.outputs["leads"][0]["score"],
                                   "intent": run.outputs["leads"][0]["intent"]}],
    }  # fmt: skip
    analyses = client.get(f"/api/leads/{lead['id']}/analyses", headers=admin.headers).json()
    assert (
        len(analyses["data"] if isinstance(analyses, dict) else analyses) == 2
    )  # the rules', then the workflow's


def test_offline_no_workflow_is_queued_for_a_new_lead(client: httpx.Client, platform: Platform) -> None:
    before = platform.workflows.runs.list(None, workflow_id="qualify_leads")[1]
    submit(client, email=f"offline.{tag()}@corp.io", message=HOT_MESSAGE)
    assert platform.workflows.runs.list(None, workflow_id="qualify_leads")[1] == before
