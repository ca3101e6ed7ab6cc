"""The admin API the console drives, through the real ``RagClient`` against a live uvicorn server.

Every action is checked by what the API returns afterwards (resolve an unanswered question →
the FAQ list has it and the queue does not; ask a question → the daily metrics count it).
Tests leave production, the FAQ and the queue as they found them.
"""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import jwt
import pytest

from ragplatform.client import (
    ApiUnavailable,
    AuthError,
    BuildJob,
    ConflictError,
    NotFoundError,
    RagClient,
    UnansweredItem,
    ValidationFailed,
)

if TYPE_CHECKING:
    from serve_support import LiveServer

    from ragplatform.factory import Platform
    from ragplatform.settings import Settings

ANSWERABLE = "Who was the inventor of the atmospheric engine?"
ADMIN_PATHS = [
    ("GET", "/api/admin/overview"),
    ("GET", "/api/admin/sessions"),
    ("GET", "/api/admin/sessions/some-session"),
    ("GET", "/api/admin/unanswered"),
    ("POST", "/api/admin/unanswered/some-item/resolve"),
    ("POST", "/api/admin/unanswered/some-item/dismiss"),
    ("GET", "/api/admin/metrics/daily"),
    ("GET", "/api/admin/metrics/top-questions"),
    ("GET", "/api/admin/documents"),
    ("POST", "/api/admin/playground"),
]


# Nothing in the demo corpus is close to these (closest chunk at cosine distance 0.78 and 0.82).
UNANSWERABLE = "What is the airspeed velocity of an unladen swallow in knots?"
OTHER_UNANSWERABLE = "Which ice cream flavour does my cat like best?"


def queued(admin: RagClient, asked: dict[str, Any]) -> UnansweredItem:
    """The queue item of an exchange ``ask`` made (found by its session)."""
    return next(i for i in admin.unanswered(limit=200) if i.session_id == asked["session_id"])


@pytest.fixture(scope="module")
def admin(live_server: LiveServer, settings: Settings) -> Iterator[RagClient]:
    with RagClient(live_server.url, timeout=60) as c:
        c.login(settings.admin_username, settings.admin_password.get_secret_value())
        yield c


@pytest.fixture(scope="module")
def plain(live_server: LiveServer) -> Iterator[RagClient]:
    """A signed-in user without the admin role."""
    email, password = f"console-{uuid.uuid4().hex[:8]}@example.com", "plain-password"
    with httpx.Client(base_url=live_server.url, timeout=60) as http:
        r = http.post("/api/signup", json={"email": email, "password": password, "name": "Plain"})
        assert r.status_code == 201, r.text
    with RagClient(live_server.url, timeout=60) as c:
        c.login(email, password)
        yield c


def ask(client: httpx.Client, question: str, user_id: str = "console-test") -> dict[str, Any]:
    r = client.post("/rag/chat", json={"user_id": user_id, "question": question})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def today() -> Any:
    return datetime.now(UTC).date()


# -- sign-in, access and unreachable APIs ------------------------------------------------


def test_login_stores_a_token_that_opens_admin_routes(live_server: LiveServer, settings: Settings) -> None:
    with RagClient(live_server.url, timeout=60) as c:
        with pytest.raises(AuthError, match="sign in"):
            c.overview()
        token = c.login(settings.admin_username.upper(), settings.admin_password.get_secret_value())
        assert c.token == token and token.count(".") == 2
        assert c.overview().status in ("healthy", "degraded")


def test_wrong_password_and_expired_token_are_auth_errors(
    live_server: LiveServer, settings: Settings, platform: Platform
) -> None:
    with RagClient(live_server.url, timeout=60) as c:
        with pytest.raises(AuthError) as wrong:
            c.login(settings.admin_username, "not-the-password")
        assert wrong.value.status == 401 and "invalid email or password" in str(wrong.value)
        assert c.token is None
    admin_id = platform.content.get_user_by_username(settings.admin_username).id
    past = int((datetime.now(UTC) - timedelta(minutes=5)).timestamp())
    expired = jwt.encode(
        {"sub": admin_id, "type": "access", "exp": past, "iat": past - 60},
        settings.jwt_secret.get_secret_value(),
        algorithm="HS256",
    )
    with RagClient(live_server.url, token=expired, timeout=60) as c, pytest.raises(AuthError) as old:
        c.list_indexes()
    assert old.value.status == 401 and "expired" in str(old.value)


def test_non_admins_are_refused_everywhere(live_server: LiveServer, plain: RagClient) -> None:
    with pytest.raises(AuthError) as refused:
        plain.overview()
    assert refused.value.status == 403 and "admin" in str(refused.value)
    with httpx.Client(base_url=live_server.url, timeout=60) as http:
        headers = {"Authorization": f"Bearer {plain.token}"}
        for method, path in ADMIN_PATHS:
            assert http.request(method, path).status_code == 401, path
            assert http.request(method, path, headers=headers).status_code == 403, path


def test_an_api_that_is_down_or_slow_is_api_unavailable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with RagClient(f"http://127.0.0.1:{port}", timeout=2) as c, pytest.raises(ApiUnavailable) as down:
        c.health()
    assert down.value.status is None and f"127.0.0.1:{port} is not reachable" in str(down.value)
    with socket.socket() as silent:  # accepts connections (backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with (
            RagClient(url, timeout=0.5) as c,
            pytest.raises(ApiUnavailable, match=r"did not answer within 0\.5 s"),
        ):
            c.overview()


# -- overview and health ---------------------------------------------------------------


def test_health_and_api_health(admin: RagClient) -> None:
    health = admin.health()
    assert health["status"] in ("healthy", "degraded") and health["index"]["version"]
    assert admin.api_health()["redis"]["status"] == "not configured"


def test_overview_shows_engines_serving_index_and_today(
    admin: RagClient, client: httpx.Client, platform: Platform, settings: Settings
) -> None:
    before = admin.overview()
    production = platform.indexes.production()
    assert production is not None
    assert set(before.engines) >= {"postgresql", "sessions", "vector_index", "mlflow", "generator"}
    assert all(e.status == "healthy" for e in before.engines.values())
    assert before.serving is not None and before.serving.version == production.version
    assert before.serving.metrics["chunks"] > 0
    assert before.serving.mlflow_run_url == (
        f"{settings.console.mlflow_ui_url}/#/experiments/{platform.registry.experiment_id}"
        f"/runs/{production.run_id}"
    )
    assert before.day == today()
    ask(client, ANSWERABLE)
    ask(client, UNANSWERABLE)
    after = admin.overview()
    assert after.questions_today == before.questions_today + 2
    assert after.unanswered_today == before.unanswered_today + 1
    assert after.open_unanswered == before.open_unanswered + 1
    assert after.latency_p95_ms_today is not None and after.latency_p95_ms_today > 0


# -- content -------------------------------------------------------------------------


def test_faq_create_edit_deactivate_delete(admin: RagClient) -> None:
    created = admin.create_faq("Is there a console test FAQ?", "Yes, for a moment.")
    try:
        assert created.id in {f.id for f in admin.list_faq()}
        admin.update_faq(created.id, answer="Yes, edited.")
        assert next(f for f in admin.list_faq() if f.id == created.id).answer == "Yes, edited."
        deactivated = admin.update_faq(created.id, is_active=False)
        assert deactivated.is_active is False and deactivated.question == created.question
        assert created.id not in {f.id for f in admin.list_faq(active_only=True)}
        assert created.id in {f.id for f in admin.list_faq()}
    finally:
        admin.delete_faq(created.id)
    assert created.id not in {f.id for f in admin.list_faq()}
    with pytest.raises(NotFoundError, match="FAQ item not found"):
        admin.delete_faq(created.id)


def test_validation_errors_name_the_field(admin: RagClient) -> None:
    with pytest.raises(ValidationFailed) as empty:
        admin.create_faq("", "an answer")
    assert empty.value.status == 422 and set(empty.value.field_errors) == {"question"}
    assert "at least 1 character" in empty.value.field_errors["question"]
    with pytest.raises(ValidationFailed) as reversed_dates:
        admin.create_event(
            "Backwards", datetime(2031, 5, 2, tzinfo=UTC), date_end=datetime(2031, 5, 1, tzinfo=UTC)
        )
    assert "must not be before date_start" in reversed_dates.value.field_errors["date_end"]
    with pytest.raises(ValidationFailed) as price:
        admin.create_event(
            "Priced",
            datetime(2031, 5, 2, tzinfo=UTC),
            price=[{"type": "adult", "amount": -1, "currency": "EUR"}],
        )
    assert set(price.value.field_errors) == {"price.0.amount"}
    with pytest.raises(ValidationFailed) as phone:
        admin.create_contact("Nobody", "")
    assert set(phone.value.field_errors) == {"phone_number"}


def test_contacts_create_edit_deactivate_delete(admin: RagClient) -> None:
    created = admin.create_contact("Console test desk", "+351 000 000", description="tests")
    try:
        assert created.id in {c.id for c in admin.list_contacts()}
        admin.update_contact(created.id, phone_number="+351 111 111", is_active=False)
        stored = next(c for c in admin.list_contacts() if c.id == created.id)
        assert (stored.phone_number, stored.is_active, stored.name) == ("+351 111 111", False, created.name)
        assert created.id not in {c.id for c in admin.list_contacts(active_only=True)}
    finally:
        admin.delete_contact(created.id)
    assert created.id not in {c.id for c in admin.list_contacts()}
    with pytest.raises(NotFoundError):
        admin.update_contact(created.id, name="gone")


def test_events_create_edit_deactivate_delete(admin: RagClient) -> None:
    start = datetime(2031, 6, 1, 18, tzinfo=UTC)
    created = admin.create_event(
        "Console test night",
        start,
        date_end=start + timedelta(hours=3),
        address="Main square",
        price=[{"type": "adult", "amount": 12.5, "currency": "EUR"}],
    )
    try:
        assert created.price[0].amount == 12.5
        admin.update_event(created.id, featured=True, price=[], is_active=False)
        stored = next(e for e in admin.list_events() if e.id == created.id)
        assert (stored.featured, stored.price, stored.is_active) == (True, [], False)
        assert stored.date_start == start and stored.address == "Main square"
        assert created.id not in {e.id for e in admin.list_events(active_only=True)}
        assert stored.date_end == start + timedelta(hours=3)
        cleared = admin.update_event(created.id, clear_date_end=True)
        assert cleared.date_end is None and cleared.name == "Console test night"
        with pytest.raises(ValueError, match="not both"):
            admin.update_event(created.id, date_end=start, clear_date_end=True)
    finally:
        admin.delete_event(created.id)
    assert created.id not in {e.id for e in admin.list_events()}
    with pytest.raises(NotFoundError):
        admin.delete_event(created.id)


# -- documents ------------------------------------------------------------------------------


def test_upload_with_progress_list_with_status_and_owner_then_delete(
    admin: RagClient, plain: RagClient, settings: Settings
) -> None:
    seen: list[tuple[int, int]] = []
    files = [
        (
            "console-a.md",
            b"# Harbour\n\nThe console harbour opens at dawn for the fishing fleet.\n",
            "text/markdown",
        ),
        ("console-b.txt", b"The console lighthouse keeper logs every passing ship.\n", "text/plain"),
        ("console-c.exe", b"MZ\x90\x00binary", "application/octet-stream"),
    ]
    outcomes = admin.upload_documents(files, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(0, 3), (1, 3), (2, 3), (3, 3)]
    assert [o.ok for o in outcomes] == [True, True, False]
    assert outcomes[2].status == 415 and outcomes[2].error and "unsupported" in outcomes[2].error.lower()
    uploaded = [o.document for o in outcomes if o.document is not None]
    assert all(d.status == "parsed" and d.chunks > 0 for d in uploaded)
    (mine,) = plain.upload_documents(
        [("plain-notes.txt", b"The plain user's note about tides.", "text/plain")]
    )
    assert mine.document is not None
    listed = {d.id: d for d in admin.list_documents()}
    for doc in uploaded:
        assert listed[doc.id].owner_name == settings.admin_username
        assert (listed[doc.id].status, listed[doc.id].chunks) == ("parsed", doc.chunks)
    assert listed[mine.document.id].owner_name == plain_username(plain)
    only_plain = admin.list_documents(owner=plain_username(plain))
    assert [d.id for d in only_plain] == [mine.document.id]
    for doc in [*uploaded, mine.document]:
        admin.delete_document(doc.id)  # admins may delete anyone's
    remaining = {d.id for d in admin.list_documents()}
    assert not remaining & {d.id for d in [*uploaded, mine.document]}
    with pytest.raises(NotFoundError):
        admin.delete_document(uploaded[0].id)


def plain_username(plain: RagClient) -> str:
    claims = jwt.decode(plain.token or "", options={"verify_signature": False})
    return str(claims["email"])


# -- sessions ----------------------------------------------------------------------------------


def test_search_sessions_by_user_text_and_date_then_transcript(
    admin: RagClient, client: httpx.Client
) -> None:
    user = f"console-search-{uuid.uuid4().hex[:8]}"
    first = ask(client, ANSWERABLE, user_id=user)
    ask(client, UNANSWERABLE, user_id=user)
    page = admin.search_sessions(user=user)
    assert page.total == 2 and [s.user_id for s in page.items] == [user, user]
    by_id = {s.id: s for s in page.items}
    assert (by_id[first["session_id"]].message_count, by_id[first["session_id"]].unanswered_count) == (2, 0)
    assert sum(s.unanswered_count for s in page.items) == 1
    found = admin.search_sessions(user=user, text="ATMOSPHERIC engine")
    assert [s.id for s in found.items] == [first["session_id"]]
    assert admin.search_sessions(user=user, date_from=today(), date_to=today()).total == 2
    assert admin.search_sessions(user=user, date_to=today() - timedelta(days=1)).total == 0
    paged = admin.search_sessions(user=user, limit=1, offset=1)
    assert (paged.total, len(paged.items), paged.offset) == (2, 1, 1)

    transcript = admin.get_transcript(first["session_id"])
    assert transcript.user_id == user and transcript.username is None
    question, answer = transcript.messages
    assert (question.role, question.text) == ("user", ANSWERABLE)
    assert answer.role == "assistant" and answer.text == first["answer"] and not answer.unanswered
    assert [c.chunk_id for c in answer.citations] == [c["chunk_id"] for c in first["citations"]]
    assert answer.citations and answer.source == "rag" and answer.latency_ms and answer.latency_ms > 0
    assert question.time <= answer.time
    with pytest.raises(NotFoundError, match="session nope not found"):
        admin.get_transcript("nope")

    metrics = admin.session_metrics(first["session_id"])
    assert (metrics.scope, metrics.questions, metrics.messages) == ("session", 1, 2)


def test_session_search_finds_signed_in_users_by_username(
    admin: RagClient, live_server: LiveServer, plain: RagClient
) -> None:
    with httpx.Client(base_url=live_server.url, timeout=60) as http:
        r = http.post(
            "/rag/chat", json={"question": ANSWERABLE}, headers={"Authorization": f"Bearer {plain.token}"}
        )
        assert r.status_code == 200, r.text
    page = admin.search_sessions(user=plain_username(plain).upper())
    assert r.json()["session_id"] in {s.id for s in page.items}
    assert {s.username for s in page.items} == {plain_username(plain)}


def test_session_search_refuses_bad_input(admin: RagClient) -> None:
    with pytest.raises(ValidationFailed) as reversed_days:
        admin.search_sessions(date_from=today(), date_to=today() - timedelta(days=1))
    assert "date_to" in reversed_days.value.field_errors
    with pytest.raises(ValidationFailed) as too_many:
        admin.search_sessions(limit=201)
    assert set(too_many.value.field_errors) == {"limit"}


# -- unanswered queue -------------------------------------------------------------------------


def test_resolve_turns_an_unanswered_question_into_an_faq_answer(
    admin: RagClient, client: httpx.Client
) -> None:
    asked = ask(client, UNANSWERABLE, user_id="console-queue")
    duplicate = ask(client, UNANSWERABLE.upper(), user_id="console-other")
    assert asked["unanswered"] is True and duplicate["unanswered"] is True
    item, other = queued(admin, asked), queued(admin, duplicate)
    assert (item.question, item.user_id) == (UNANSWERABLE, "console-queue")
    assert "don't know" in item.answer.lower() and item.index_version == asked["index_version"]
    faq = admin.resolve_unanswered(item.id, "About 20 knots, if it is a European swallow.")
    try:
        assert (faq.question, faq.is_active) == (UNANSWERABLE, True)
        assert faq.id in {f.id for f in admin.list_faq(active_only=True)}
        open_ids = {i.id for i in admin.unanswered(limit=200)}
        assert item.id not in open_ids and other.id not in open_ids, "the same question leaves the queue too"
        with pytest.raises(ConflictError, match=f"handled already \\(faq into FAQ item {faq.id}\\)"):
            admin.resolve_unanswered(item.id, "again")
        again = ask(client, UNANSWERABLE, user_id="console-queue")
        assert again["source"] == "faq" and "About 20 knots" in again["answer"]
        assert again["unanswered"] is False
        tried = admin.playground(UNANSWERABLE)
        assert tried.answered_from_faq and tried.faq_id == faq.id and tried.chunks == []
        assert "About 20 knots" in tried.answer
    finally:
        admin.delete_faq(faq.id)
    after = ask(client, UNANSWERABLE)
    assert after["unanswered"] is True, "without the FAQ item it is unanswered again"
    admin.dismiss_unanswered(queued(admin, after).id)


def test_resolve_with_an_edited_question_and_dismiss(admin: RagClient, client: httpx.Client) -> None:
    first, second = ask(client, UNANSWERABLE), ask(client, OTHER_UNANSWERABLE)
    first_item, second_item = queued(admin, first), queued(admin, second)
    faq = admin.resolve_unanswered(first_item.id, "Nobody knows.", question="How fast is a swallow?")
    admin.delete_faq(faq.id)
    assert faq.question == "How fast is a swallow?"
    faqs = admin.list_faq()
    dismissed = admin.dismiss_unanswered(second_item.id)
    assert admin.list_faq() == faqs, "dismissing writes no FAQ item"
    assert dismissed.id == second_item.id and dismissed.question == OTHER_UNANSWERABLE
    remaining = {i.id for i in admin.unanswered(limit=200)}
    assert first_item.id not in remaining and second_item.id not in remaining
    with pytest.raises(ConflictError, match="dismissed"):
        admin.dismiss_unanswered(second_item.id)
    with pytest.raises(NotFoundError, match="unanswered item nope not found"):
        admin.resolve_unanswered("nope", "x")
    answered = ask(client, ANSWERABLE)  # an answer that is not an "I don't know" is no queue item
    with pytest.raises(NotFoundError):
        admin.dismiss_unanswered(answered_message_id(admin, answered))


def answered_message_id(admin: RagClient, asked: dict[str, Any]) -> str:
    return admin.get_transcript(asked["session_id"]).messages[-1].id


def test_resolve_refuses_an_empty_answer_and_an_overlong_question(
    admin: RagClient, client: httpx.Client
) -> None:
    item = queued(admin, ask(client, OTHER_UNANSWERABLE))
    with pytest.raises(ValidationFailed) as empty:
        admin.resolve_unanswered(item.id, "")
    assert set(empty.value.field_errors) == {"answer"}
    with pytest.raises(ValidationFailed) as long_question:
        admin.resolve_unanswered(item.id, "fine", question="x" * 501)
    assert set(long_question.value.field_errors) == {"question"}
    assert item.id in {i.id for i in admin.unanswered(limit=200)}, "a refused resolve leaves the item queued"
    admin.dismiss_unanswered(item.id)


def test_unanswered_pages(admin: RagClient, client: httpx.Client) -> None:
    asked = [ask(client, OTHER_UNANSWERABLE) for _ in range(2)]
    newest = admin.unanswered(limit=2)
    assert [i.session_id for i in newest] == [asked[1]["session_id"], asked[0]["session_id"]]
    assert [i.id for i in admin.unanswered(limit=1, offset=1)] == [newest[1].id]
    with pytest.raises(ValidationFailed):
        admin.unanswered(limit=0)
    for item in newest:
        admin.dismiss_unanswered(item.id)


# -- metrics ------------------------------------------------------------------------------------


def test_daily_metrics_and_top_questions_count_new_questions(admin: RagClient, client: httpx.Client) -> None:
    day = today()
    before = admin.daily_metrics(day - timedelta(days=2), day)
    assert [d.day for d in before] == [day - timedelta(days=2), day - timedelta(days=1), day]
    question = f"Who was the inventor of the atmospheric engine {uuid.uuid4().hex[:6]}?"
    for _ in range(2):
        ask(client, question)
    ask(client, UNANSWERABLE)
    after = admin.daily_metrics(day - timedelta(days=2), day)
    assert after[-1].questions == before[-1].questions + 3
    assert after[-1].unanswered == before[-1].unanswered + 1
    assert after[-1].unanswered_rate == round(after[-1].unanswered / after[-1].questions, 4)
    assert after[-1].latency_p50_ms is not None and after[-1].latency_p95_ms is not None
    assert after[-1].latency_p50_ms <= after[-1].latency_p95_ms
    top = admin.top_questions(day, day, limit=100)
    assert next(t.count for t in top if t.question == question) == 2
    assert len(admin.top_questions(day, day, limit=1)) == 1
    assert admin.top_questions(day - timedelta(days=9), day - timedelta(days=8)) == []

    metrics = admin.metrics()
    assert metrics.scope == "global" and metrics.questions >= after[-1].questions
    assert metrics.per_day[-1].day == day and metrics.per_day[-1].questions == after[-1].questions


def test_daily_metrics_range_is_checked(admin: RagClient) -> None:
    day = today()
    with pytest.raises(ValidationFailed, match="must not be before"):
        admin.daily_metrics(day, day - timedelta(days=1))
    with pytest.raises(ValidationFailed, match="the limit is 366"):
        admin.daily_metrics(day - timedelta(days=400), day)
    with pytest.raises(ValidationFailed) as top:
        admin.top_questions(day, day, limit=101)
    assert set(top.value.field_errors) == {"limit"}


# -- playground ----------------------------------------------------------------------------------


def test_playground_shows_chunks_answer_and_timings_and_stores_nothing(
    admin: RagClient, platform: Platform
) -> None:
    before = admin.overview()
    sessions_before = admin.search_sessions(user="playground").total
    result = admin.playground(ANSWERABLE, top_k=3)
    assert before.serving is not None and result.index_version == before.serving.version
    assert not result.answered_from_faq and not result.unanswered and result.source == "rag"
    assert 1 <= len(result.chunks) <= 3 and [c.rank for c in result.chunks] == list(
        range(1, len(result.chunks) + 1)
    )
    assert result.chunks[0].relevant and result.chunks[0].distance is not None
    assert [c.score for c in result.chunks] == sorted((c.score for c in result.chunks), reverse=True)
    assert {c.chunk_id for c in result.citations} == {c.chunk_id for c in result.chunks if c.relevant}
    assert any("Newcomen" in c.text for c in result.chunks) and result.answer
    t = result.timings
    assert t.embed_ms > 0 and t.search_ms > 0 and t.total_ms >= t.embed_ms + t.search_ms
    defaults = platform.serving.current.retriever.defaults
    assert (result.mode, result.fusion, result.top_k) == (defaults.mode, defaults.fusion, 3)
    assert result.distance_threshold == platform.settings.answer.relevance_max_distance
    after = admin.overview()
    assert after.questions_today == before.questions_today, "playground questions are not counted"
    assert admin.search_sessions(user="playground").total == sessions_before == 0


def test_playground_parameters_change_the_search(admin: RagClient) -> None:
    keyword = admin.playground(ANSWERABLE, mode="keyword", top_k=2)
    assert keyword.mode == "keyword" and len(keyword.chunks) <= 2
    assert all(c.distance is None for c in keyword.chunks)
    strict = admin.playground(ANSWERABLE, mode="dense", distance_threshold=0.0)
    assert strict.unanswered and strict.citations == [] and strict.chunks
    assert not any(c.relevant for c in strict.chunks) and strict.timings.generate_ms == 0
    fused = admin.playground(ANSWERABLE, mode="hybrid", fusion="alpha", alpha=1.0)
    assert (fused.fusion, fused.alpha) == ("alpha", 1.0) and fused.chunks


def test_playground_refuses_out_of_range_parameters(admin: RagClient) -> None:
    for kwargs, field in (
        ({"top_k": 0}, "top_k"),
        ({"top_k": 101}, "top_k"),
        ({"alpha": 1.5}, "alpha"),
        ({"distance_threshold": -0.1}, "distance_threshold"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            admin.playground(ANSWERABLE, **kwargs)
        assert set(refused.value.field_errors) == {field}, kwargs
    with pytest.raises(ValidationFailed) as long_question:
        admin.playground("x" * 4001)
    assert set(long_question.value.field_errors) == {"question"}


def test_openapi_documents_the_limits(client: httpx.Client) -> None:
    schema = client.get("/openapi.json").json()
    params = {p["name"]: p["schema"] for p in schema["paths"]["/api/admin/sessions"]["get"]["parameters"]}
    assert (params["limit"]["maximum"], params["limit"]["minimum"]) == (200, 1)
    body = schema["components"]["schemas"]["PlaygroundRequest"]["properties"]
    top_k = next(s for s in body["top_k"]["anyOf"] if s.get("type") == "integer")
    assert (top_k["minimum"], top_k["maximum"]) == (1, 100)
    assert body["question"]["maxLength"] == 4000
    top = {
        p["name"]: p["schema"]
        for p in schema["paths"]["/api/admin/metrics/top-questions"]["get"]["parameters"]
    }
    assert top["limit"]["maximum"] == 100


# -- indexes ---------------------------------------------------------------------------------------


def wait_for(admin: RagClient, job: BuildJob) -> BuildJob:
    deadline = time.monotonic() + 300
    while not job.finished:
        assert time.monotonic() < deadline, job
        time.sleep(0.3)
        job = admin.build_job(job.job_id)
    return job


def test_index_versions_build_refused_promotion_force_and_rollback(
    admin: RagClient, platform: Platform, settings: Settings
) -> None:
    versions = admin.list_indexes()
    (production,) = [v for v in versions if v.is_production]
    assert admin.get_index(production.version) == production
    assert production.mlflow_run_url and production.run_id in production.mlflow_run_url
    assert production.mlflow_version_url == (
        f"{settings.console.mlflow_ui_url}/#/models/{settings.index_name}/versions/{production.version}"
    )
    with pytest.raises(NotFoundError):
        admin.get_index("99999")

    spec = dict(production.spec)
    spec.update(name="console-warsaw-only", corpus={"paths": ["demo/warsaw.md"], "include_content": False})
    job = wait_for(admin, admin.start_build(spec))
    assert job.status == "succeeded" and job.version, job
    assert job.version in {v.version for v in admin.list_indexes()}
    assert job.job_id in [j.job_id for j in admin.build_jobs()]
    with pytest.raises(NotFoundError):
        admin.build_job("no-such-job")
    try:
        refused = admin.promote(job.version, reason="console test")
        assert (refused.verdict, refused.accepted, refused.previous) == ("refused", False, production.version)
        assert "nDCG@10" in refused.reason
        assert next(v for v in admin.list_indexes() if v.is_production).version == production.version
        assert admin.get_index(job.version).promotion["verdict"] == "refused"

        forced = admin.promote(job.version, force=True, reason="console test")
        assert (forced.verdict, forced.forced, forced.previous) == ("forced", True, production.version)
        assert admin.overview().serving is not None
        assert next(v for v in admin.list_indexes() if v.is_production).version == job.version

        back = admin.rollback()
        assert (back.verdict, back.version, back.previous) == ("rolled_back", production.version, job.version)
        assert next(v for v in admin.list_indexes() if v.is_production).version == production.version
        same = admin.promote(production.version)
        assert same.accepted and same.verdict == "promoted" and "already production" in same.reason
    finally:
        current = platform.indexes.production()
        if current is None or current.version != production.version:
            platform.indexes.promote(production.version, force=True, reason="restore after console test")


# -- fuzzing as an admin ------------------------------------------------------------------------


@pytest.mark.slow
def test_no_admin_console_operation_answers_with_a_server_error(
    live_server: LiveServer, admin: RagClient
) -> None:
    """Schema-driven requests, as an admin, to every console route added here (not the index
    builds, which would start real builds): bad input is a 4xx, never a 5xx."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error

    schema = schemathesis.openapi.from_url(f"{live_server.url}/openapi.json")
    headers = {"Authorization": f"Bearer {admin.token}"}
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith("/api/admin/") or operation.path.startswith("/api/admin/indexes"):
            continue
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case: Any) -> None:
            case.call_and_validate(
                base_url=live_server.url, headers=headers, checks=[not_a_server_error], timeout=60
            )

        try:
            run()
        except Exception as exc:
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:600]}")
    assert operations == len(ADMIN_PATHS)
    assert not failures, "\n\n".join(failures)
