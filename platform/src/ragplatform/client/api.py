"""RagClient: a typed, synchronous client of the served API (httpx), for the console and for apps.

Every method returns pydantic models (``ragplatform.client.models``) and raises the
``ragplatform.client.errors`` tree: ``AuthError`` (401/403), ``NotFoundError``,
``ConflictError``, ``ValidationFailed`` (422, or a 400 naming its field; with ``field_errors``) and
``ApiUnavailable`` (connection refused, timeout, 5xx). Admin methods need a token
from ``login`` (or one passed in).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, time
from types import TracebackType
from typing import Any, Literal, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter

from ragplatform.client.errors import (
    ApiError,
    ApiUnavailable,
    AuthError,
    ConflictError,
    NotFoundError,
    ValidationFailed,
)
from ragplatform.client.models import (
    AgentPublic,
    AgentRunPublic,
    Aggregation,
    AnalyticsOverviewPublic,
    BuildJob,
    CheckoutSessionPublic,
    DailyMetrics,
    DocumentInfo,
    EmergencyContact,
    Event,
    EventPrice,
    FaqItem,
    FusionName,
    IndexVersionInfo,
    LeadAnalysisPublic,
    LeadConsentPublic,
    LeadPublic,
    LeadsPublic,
    LeadStatus,
    Metrics,
    NotificationPublic,
    NotificationsPublic,
    Overview,
    PlaygroundResult,
    PromotionOutcome,
    SearchModeName,
    SessionMetrics,
    SessionPage,
    SubscriptionsPublic,
    TopQuestion,
    Transcript,
    TrendMetric,
    TrendPointPublic,
    UnansweredItem,
    UnansweredPage,
    UploadOutcome,
    WorkflowPublic,
    WorkflowRunDetailPublic,
    WorkflowRunPublic,
    WorkflowRunsPublic,
)

M = TypeVar("M")
Progress = Callable[[int, int], None]
PAGE = 1000  # the /postgres/* page limit
SLOW_TIMEOUT_S = 120.0  # uploads (parse + embed) and playground answers (generation) take longer
GATE_TIMEOUT_S = 300.0  # promotion: the gate may evaluate the candidate and production first
_FIELD_FIRST = re.compile(r"^'?([A-Za-z_][A-Za-z0-9_.]*)'?(?: \([^)]*\))? (?:must|is|should|has|needs)\b")


def _field_of(message: str) -> str:
    """The field a platform message names first (``top_k must be ...`` → ``top_k``), else ``""``."""
    match = _FIELD_FIRST.match(message.removeprefix("Value error, "))
    return match.group(1) if match else ""


def _field_errors(detail: Any) -> tuple[str, dict[str, str]]:
    """FastAPI's ``[{loc, msg}]`` (or the platform's one sentence) as (summary, field → message)."""
    if isinstance(detail, str):
        return detail, {_field_of(detail): detail}
    errors: dict[str, str] = {}
    if isinstance(detail, list):
        for item in detail:
            if not isinstance(item, dict):
                continue
            loc = [str(p) for p in item.get("loc", [])]
            if loc and loc[0] in ("body", "query", "path", "header", "form"):
                loc = loc[1:]
            msg = str(item.get("msg", "invalid value")).removeprefix("Value error, ")
            key = ".".join(loc) or _field_of(msg)
            errors.setdefault(key, msg)
    summary = "; ".join(f"{k}: {v}" if k else v for k, v in errors.items()) or "invalid input"
    return summary, errors


def _day(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    return value.date().isoformat() if isinstance(value, datetime) else value.isoformat()


def _instant(value: date | datetime | None) -> str | None:
    """A time parameter as ISO 8601; a day is its start (00:00 UTC)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.min, tzinfo=UTC)
    return value.isoformat()


def _drop_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _json_ready(values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, datetime | date):
            out[key] = value.isoformat()
        elif isinstance(value, list):
            out[key] = [v.model_dump(mode="json") if isinstance(v, BaseModel) else v for v in value]
        else:
            out[key] = value
    return out


class RagClient:
    """``RagClient("http://127.0.0.1:8000")``; ``login`` stores the token for later calls.

    ``timeout`` (seconds) applies to every call except uploads and playground answers,
    which wait at least ``SLOW_TIMEOUT_S``. Use as a context manager, or ``close()``.
    """

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 10.0) -> None:
        if timeout <= 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout}")
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout)

    def __enter__(self) -> RagClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- transport ------------------------------------------------------------------

    def _request(self, method: str, path: str, *, timeout: float | None = None, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", None) or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if "params" in kwargs:
            kwargs["params"] = _drop_none(kwargs["params"])
        wait = timeout or self.timeout
        try:
            response = self._http.request(method, path, headers=headers, timeout=wait, **kwargs)
        except httpx.TimeoutException as exc:
            raise ApiUnavailable(
                None, f"the API at {self.base_url} did not answer within {wait:g} s"
            ) from exc
        except httpx.TransportError as exc:
            raise ApiUnavailable(None, f"the API at {self.base_url} is not reachable ({exc})") from exc
        if response.status_code >= 400:
            raise self._error(response)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise ApiUnavailable(
                response.status_code, f"the API at {self.base_url} answered {path} with something not JSON"
            ) from exc

    def _error(self, response: httpx.Response) -> ApiError:
        code = response.status_code
        try:
            body: Any = response.json()
            detail: Any = body.get("detail", response.text)
            field = body.get("field")
        except (ValueError, AttributeError):
            detail, field = response.text, None
        if code >= 500:
            text = detail if isinstance(detail, str) and detail else response.reason_phrase
            return ApiUnavailable(code, f"the API at {self.base_url} failed ({code}): {text}")
        named = isinstance(field, str) and bool(field) and isinstance(detail, str)
        if code in (400, 422) and named:  # the platform's InvalidInput: one sentence and its field
            return ValidationFailed(code, detail, {str(field).removeprefix("body."): detail})
        if code == 422:
            summary, fields = _field_errors(detail)
            return ValidationFailed(code, summary, fields)
        text = detail if isinstance(detail, str) else str(detail)
        if code == 401:
            if not self.token and "invalid email or password" not in text:
                text = f"{text} (sign in first)"
            return AuthError(code, text)
        if code == 403:
            return AuthError(code, text)
        if code == 404:
            return NotFoundError(code, text)
        if code == 409:
            return ConflictError(code, text)
        return ApiError(code, text)

    @staticmethod
    def _as(kind: type[M] | Any, data: Any) -> M:
        result: M = TypeAdapter(kind).validate_python(data)
        return result

    # -- auth and health -------------------------------------------------------------------

    def login(self, username: str, password: str) -> str:
        """Signs in (``POST /api/login``); stores and returns the access token. Raises AuthError."""
        self.token = None
        body = self._request("POST", "/api/login", json={"email": username, "password": password})
        token = str(body["access_token"])
        self.token = token
        return token

    def health(self) -> dict[str, Any]:
        """``GET /health``: every engine and the serving index."""
        result: dict[str, Any] = self._request("GET", "/health")
        return result

    def api_health(self) -> dict[str, Any]:
        """``GET /api/``: the health report plus Redis."""
        result: dict[str, Any] = self._request("GET", "/api/")
        return result

    def overview(self) -> Overview:
        return Overview.model_validate(self._request("GET", "/api/admin/overview"))

    # -- content: FAQ, emergency contacts, events --------------------------------------------

    def _list_all(self, path: str, kind: Any, active_only: bool) -> Any:
        items: list[Any] = []
        while True:
            page = self._request(
                "GET", path, params={"skip": len(items), "limit": PAGE, "active_only": active_only}
            )
            items.extend(page)
            if len(page) < PAGE:
                return self._as(kind, items)

    def list_faq(self, active_only: bool = False) -> list[FaqItem]:
        """Every FAQ item, oldest first."""
        result: list[FaqItem] = self._list_all("/postgres/faq", list[FaqItem], active_only)
        return result

    def create_faq(self, question: str, answer: str, is_active: bool = True) -> FaqItem:
        body = {"question": question, "answer": answer, "is_active": is_active}
        return FaqItem.model_validate(self._request("POST", "/postgres/faq", json=body))

    def update_faq(
        self,
        faq_id: int,
        *,
        question: str | None = None,
        answer: str | None = None,
        is_active: bool | None = None,
    ) -> FaqItem:
        """Changes only the fields given; ``is_active=False`` deactivates."""
        body = _drop_none({"question": question, "answer": answer, "is_active": is_active})
        return FaqItem.model_validate(self._request("PUT", f"/postgres/faq/{faq_id}", json=body))

    def delete_faq(self, faq_id: int) -> None:
        self._request("DELETE", f"/postgres/faq/{faq_id}")

    def list_contacts(self, active_only: bool = False) -> list[EmergencyContact]:
        result: list[EmergencyContact] = self._list_all(
            "/postgres/emergency", list[EmergencyContact], active_only
        )
        return result

    def create_contact(
        self, name: str, phone_number: str, description: str = "", is_active: bool = True
    ) -> EmergencyContact:
        body = {
            "name": name,
            "phone_number": phone_number,
            "description": description,
            "is_active": is_active,
        }
        return EmergencyContact.model_validate(self._request("POST", "/postgres/emergency", json=body))

    def update_contact(
        self,
        contact_id: int,
        *,
        name: str | None = None,
        phone_number: str | None = None,
        description: str | None = None,
        is_active: bool | None = None,
    ) -> EmergencyContact:
        body = _drop_none(
            {"name": name, "phone_number": phone_number, "description": description, "is_active": is_active}
        )
        data = self._request("PUT", f"/postgres/emergency/{contact_id}", json=body)
        return EmergencyContact.model_validate(data)

    def delete_contact(self, contact_id: int) -> None:
        self._request("DELETE", f"/postgres/emergency/{contact_id}")

    def list_events(self, active_only: bool = False) -> list[Event]:
        result: list[Event] = self._list_all("/postgres/events", list[Event], active_only)
        return result

    def create_event(
        self,
        name: str,
        date_start: datetime,
        *,
        date_end: datetime | None = None,
        description: str = "",
        address: str = "",
        is_active: bool = True,
        featured: bool = False,
        price: Iterable[EventPrice | Mapping[str, Any]] = (),
    ) -> Event:
        body = _json_ready(
            {
                "name": name,
                "date_start": date_start,
                "date_end": date_end,
                "description": description,
                "address": address,
                "is_active": is_active,
                "featured": featured,
                "price": list(price),
            }
        )
        return Event.model_validate(self._request("POST", "/postgres/events", json=body))

    def update_event(
        self,
        event_id: int,
        *,
        name: str | None = None,
        date_start: datetime | None = None,
        date_end: datetime | None = None,
        description: str | None = None,
        address: str | None = None,
        is_active: bool | None = None,
        featured: bool | None = None,
        price: Iterable[EventPrice | Mapping[str, Any]] | None = None,
        clear_date_end: bool = False,
    ) -> Event:
        """Changes only the fields given; a price list given replaces the stored one.
        ``clear_date_end=True`` removes the end date (``date_end=None`` means "unchanged")."""
        if clear_date_end and date_end is not None:
            raise ValueError("give date_end or clear_date_end, not both")
        changes = {
            "name": name,
            "date_start": date_start,
            "date_end": date_end,
            "description": description,
            "address": address,
            "is_active": is_active,
            "featured": featured,
            "price": None if price is None else list(price),
        }
        body = _json_ready(_drop_none(changes))
        if clear_date_end:
            body["date_end"] = None
        return Event.model_validate(self._request("PUT", f"/postgres/events/{event_id}", json=body))

    def delete_event(self, event_id: int) -> None:
        self._request("DELETE", f"/postgres/events/{event_id}")

    # -- documents ----------------------------------------------------------------------

    def upload_documents(
        self, files: list[tuple[str, bytes, str]], progress: Progress | None = None
    ) -> list[UploadOutcome]:
        """Uploads ``(filename, data, content_type)`` one request per file, calling
        ``progress(done, total)`` before the first and after each. A refused file (413, 415,
        422) is reported in its outcome and the others go on; AuthError and ApiUnavailable stop."""
        outcomes: list[UploadOutcome] = []
        total = len(files)
        if progress is not None:
            progress(0, total)
        for i, (filename, data, content_type) in enumerate(files, 1):
            try:
                body = self._request(
                    "POST",
                    "/api/upload",
                    files={"file": (filename, data, content_type or "application/octet-stream")},
                    timeout=max(self.timeout, SLOW_TIMEOUT_S),
                )
                outcomes.append(
                    UploadOutcome(filename=filename, document=DocumentInfo.model_validate(body["document"]))
                )
            except (AuthError, ApiUnavailable):
                raise
            except ApiError as exc:
                outcomes.append(UploadOutcome(filename=filename, error=exc.detail, status=exc.status))
            if progress is not None:
                progress(i, total)
        return outcomes

    def list_documents(
        self, owner: str | None = None, limit: int = 200, offset: int = 0
    ) -> list[DocumentInfo]:
        """Every user's documents (admin), newest first, with status, chunk count and owner."""
        params = {"owner": owner, "limit": limit, "offset": offset}
        result: list[DocumentInfo] = self._as(
            list[DocumentInfo], self._request("GET", "/api/admin/documents", params=params)
        )
        return result

    def delete_document(self, document_id: str) -> None:
        """Removes the record, its indexed passages and the file."""
        self._request("DELETE", f"/api/documents/{document_id}")

    # -- sessions -------------------------------------------------------------------------

    def search_sessions(
        self,
        user: str | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
        text: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> SessionPage:
        """Sessions newest first. ``user``: a user id or username; ``date_from``/``date_to``: UTC days,
        inclusive (sessions active then); ``text``: a substring of the title or any message."""
        params = {
            "user": user or None,
            "date_from": _day(date_from),
            "date_to": _day(date_to),
            "text": text or None,
            "limit": limit,
            "offset": offset,
        }
        return SessionPage.model_validate(self._request("GET", "/api/admin/sessions", params=params))

    def get_transcript(self, session_id: str) -> Transcript:
        return Transcript.model_validate(self._request("GET", f"/api/admin/sessions/{session_id}"))

    def unanswered(self, limit: int = 50, offset: int = 0) -> list[UnansweredItem]:
        """Open 'I don't know' answers, newest first."""
        params = {"limit": limit, "offset": offset}
        page = UnansweredPage.model_validate(self._request("GET", "/api/admin/unanswered", params=params))
        return page.items

    def resolve_unanswered(self, item_id: str, answer: str, question: str | None = None) -> FaqItem:
        """Turns the item into an active FAQ item (its question unless ``question`` is given) and takes
        it, and the open items that asked the same question, off the queue. Raises ConflictError
        when it was handled already, ValidationFailed for an empty answer or an overlong question."""
        body = _drop_none({"answer": answer, "question": question})
        data = self._request("POST", f"/api/admin/unanswered/{item_id}/resolve", json=body)
        return FaqItem.model_validate(data)

    def dismiss_unanswered(self, item_id: str) -> UnansweredItem:
        """Takes the item off the queue without an FAQ item (spam, off-topic)."""
        data = self._request("POST", f"/api/admin/unanswered/{item_id}/dismiss")
        return UnansweredItem.model_validate(data)

    # -- indexes ---------------------------------------------------------------------------

    def list_indexes(self) -> list[IndexVersionInfo]:
        """Every index version, newest first; ``is_production`` marks the served one."""
        body = self._request("GET", "/api/admin/indexes")
        result: list[IndexVersionInfo] = self._as(list[IndexVersionInfo], body["versions"])
        return result

    def get_index(self, version: str) -> IndexVersionInfo:
        return IndexVersionInfo.model_validate(self._request("GET", f"/api/admin/indexes/{version}"))

    def promote(self, version: str, force: bool = False, reason: str = "") -> PromotionOutcome:
        """Moves production to ``version`` through the gate. A refusal comes back as an outcome with
        ``verdict == "refused"`` (and the gate's reason), not as an exception."""
        try:
            data = self._request(
                "POST",
                f"/api/admin/indexes/{version}/promote",
                json={"force": force, "reason": reason},
                timeout=max(self.timeout, GATE_TIMEOUT_S),  # the gate may evaluate both versions first
            )
        except ConflictError as exc:
            current = next((v.version for v in self.list_indexes() if v.is_production), None)
            return PromotionOutcome(
                version=version, previous=current, forced=False, verdict="refused", reason=exc.detail
            )
        return PromotionOutcome.model_validate(data)

    def rollback(self) -> PromotionOutcome:
        """Moves production back to the version before. Raises NotFoundError when there is none."""
        return PromotionOutcome.model_validate(
            self._request("POST", "/api/admin/indexes/rollback", timeout=max(self.timeout, GATE_TIMEOUT_S))
        )

    def start_build(self, spec: Mapping[str, Any] | None = None, promote: bool = False) -> BuildJob:
        """Starts a background build (default: production's spec over the current content)."""
        body = {"spec": dict(spec) if spec is not None else None, "promote": promote}
        return BuildJob.model_validate(self._request("POST", "/api/admin/indexes/builds", json=body))

    def build_job(self, job_id: str) -> BuildJob:
        return BuildJob.model_validate(self._request("GET", f"/api/admin/indexes/builds/{job_id}"))

    def build_jobs(self, limit: int = 50) -> list[BuildJob]:
        """Build jobs of every replica, newest first (a job whose process died shows ``failed``)."""
        rows = self._request("GET", "/api/admin/indexes/builds", params={"limit": limit})
        return [BuildJob.model_validate(row) for row in rows]

    # -- metrics ----------------------------------------------------------------------------

    def metrics(self, since: datetime | None = None, until: datetime | None = None) -> Metrics:
        """``GET /api/metrics``: global figures for an admin, one's own otherwise."""
        params = {
            "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None,
        }
        return Metrics.model_validate(self._request("GET", "/api/metrics", params=params))

    def daily_metrics(self, date_from: date, date_to: date) -> list[DailyMetrics]:
        """One entry per UTC day from ``date_from`` to ``date_to`` inclusive, days without questions too."""
        params = {"date_from": _day(date_from), "date_to": _day(date_to)}
        data = self._request("GET", "/api/admin/metrics/daily", params=params)
        result: list[DailyMetrics] = self._as(list[DailyMetrics], data)
        return result

    def top_questions(self, date_from: date, date_to: date, limit: int = 10) -> list[TopQuestion]:
        params = {"date_from": _day(date_from), "date_to": _day(date_to), "limit": limit}
        data = self._request("GET", "/api/admin/metrics/top-questions", params=params)
        result: list[TopQuestion] = self._as(list[TopQuestion], data)
        return result

    def session_metrics(self, session_id: str) -> SessionMetrics:
        return SessionMetrics.model_validate(self._request("GET", f"/api/metrics/sessions/{session_id}"))

    # -- playground -------------------------------------------------------------------------

    def playground(
        self,
        question: str,
        mode: SearchModeName | None = None,
        top_k: int | None = None,
        alpha: float | None = None,
        fusion: FusionName | None = None,
        distance_threshold: float | None = None,
    ) -> PlaygroundResult:
        """Asks the serving index with these retrieval parameters (unset: the index's defaults).
        Nothing is stored: no session, no metrics, no unanswered item."""
        body = _drop_none(
            {
                "question": question,
                "mode": mode,
                "top_k": top_k,
                "alpha": alpha,
                "fusion": fusion,
                "distance_threshold": distance_threshold,
            }
        )
        data = self._request(
            "POST", "/api/admin/playground", json=body, timeout=max(self.timeout, SLOW_TIMEOUT_S)
        )
        return PlaygroundResult.model_validate(data)

    # -- agents and workflows (API 02) ------------------------------------------------------

    def list_agents(self) -> list[AgentPublic]:
        """The agents ``invoke_agent`` runs, each with the JSON schema of its input."""
        body = self._request("GET", "/api/agents")
        result: list[AgentPublic] = self._as(list[AgentPublic], body["data"])
        return result

    def invoke_agent(
        self,
        agent_type: str,
        input: Mapping[str, Any] | None = None,  # noqa: A002 - the API's field name
        *,
        user_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> AgentRunPublic:
        """Runs one agent for the signed-in caller and waits for its answer (``completed`` with a
        ``result``, or ``failed`` with an ``error``). Raises ValidationFailed (400, naming the field)
        for an unknown agent or refused input, AuthError for an admin-only agent, NotFoundError for
        a session or document the caller may not see."""
        body = _drop_none(
            {
                "agent_type": agent_type,
                "input": dict(input or {}),
                "user_id": user_id,
                "metadata": dict(metadata) if metadata is not None else None,
            }
        )
        data = self._request(
            "POST", "/api/agents/invoke", json=body, timeout=max(self.timeout, SLOW_TIMEOUT_S)
        )
        return AgentRunPublic.model_validate(data)

    def list_workflows(self) -> list[WorkflowPublic]:
        """The workflows ``execute_workflow`` starts, with their steps and the schema of their inputs."""
        body = self._request("GET", "/api/agents/workflows")
        result: list[WorkflowPublic] = self._as(list[WorkflowPublic], body["data"])
        return result

    def execute_workflow(
        self,
        workflow_id: str,
        inputs: Mapping[str, Any] | None = None,
        *,
        user_id: str | None = None,
        run_async: bool = False,
    ) -> WorkflowRunPublic:
        """Starts a workflow. ``run_async=True`` answers at once with status ``queued``: follow it with
        ``workflow_run``. Otherwise the call waits for the finished run (``completed`` with ``outputs``
        or ``failed`` with ``error``), for up to ``GATE_TIMEOUT_S``. Raises ValidationFailed (400,
        naming the field) for an unknown workflow or refused inputs, AuthError for an admin-only one."""
        body = _drop_none(
            {"workflow_id": workflow_id, "inputs": dict(inputs or {}), "user_id": user_id, "async": run_async}
        )
        wait = self.timeout if run_async else max(self.timeout, GATE_TIMEOUT_S)
        data = self._request("POST", "/api/agents/workflows/execute", json=body, timeout=wait)
        return WorkflowRunPublic.model_validate(data)

    def workflow_runs(
        self, limit: int = 50, offset: int = 0, workflow_id: str | None = None
    ) -> WorkflowRunsPublic:
        """Runs newest first: the caller's own, every user's for an admin."""
        params = {"limit": limit, "offset": offset, "workflow_id": workflow_id}
        data = self._request("GET", "/api/agents/workflows/runs", params=params)
        return WorkflowRunsPublic.model_validate(data)

    def workflow_run(self, run_id: str) -> WorkflowRunDetailPublic:
        """One run with its inputs and steps (poll it while it runs). Raises NotFoundError."""
        data = self._request("GET", f"/api/agents/workflows/runs/{run_id}")
        return WorkflowRunDetailPublic.model_validate(data)

    # -- notifications (API 02) -------------------------------------------------------------

    def notifications(
        self, unread_only: bool = False, limit: int = 50, offset: int = 0
    ) -> NotificationsPublic:
        """The caller's notifications, newest first; ``unread`` counts the unread ones on every page."""
        params = {"unread": unread_only, "limit": limit, "skip": offset}
        return NotificationsPublic.model_validate(self._request("GET", "/api/notifications", params=params))

    def notification(self, notification_id: str) -> NotificationPublic:
        """Raises NotFoundError for one that is not the caller's."""
        data = self._request("GET", f"/api/notifications/{notification_id}")
        return NotificationPublic.model_validate(data)

    def mark_notification_read(self, notification_id: str) -> NotificationPublic:
        data = self._request("POST", f"/api/notifications/{notification_id}/read")
        return NotificationPublic.model_validate(data)

    def mark_all_notifications_read(self) -> int:
        """Marks every notification of the caller read; returns how many were unread."""
        return int(self._request("POST", "/api/notifications/read-all")["updated"])

    # -- leads (API 02) ---------------------------------------------------------------------

    def create_lead(
        self, email: str, *, consent: bool, name: str = "", company: str = "", message: str = ""
    ) -> LeadPublic:
        """The lead form: stored (and qualified at once) only with ``consent=True``; the same address
        again merges into its lead. Raises ValidationFailed naming the field."""
        body = {"email": email, "name": name, "company": company, "message": message, "consent": consent}
        return LeadPublic.model_validate(self._request("POST", "/api/leads", json=body))

    def leads(
        self,
        status: LeadStatus | None = None,
        min_score: int | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> LeadsPublic:
        """Leads newest first, each with its newest qualification: every lead for an admin, the
        caller's own otherwise. ``min_score``: 0..100."""
        params = {"status": status, "min_score": min_score, "limit": limit, "skip": offset}
        return LeadsPublic.model_validate(self._request("GET", "/api/leads", params=params))

    def lead(self, lead_id: str) -> LeadPublic:
        """One lead with its newest qualification. Raises NotFoundError."""
        return LeadPublic.model_validate(self._request("GET", f"/api/leads/{lead_id}"))

    def update_lead_status(self, lead_id: str, status: LeadStatus) -> LeadPublic:
        """Admins only (AuthError otherwise)."""
        data = self._request("PATCH", f"/api/leads/{lead_id}", json={"status": status})
        return LeadPublic.model_validate(data)

    def lead_analyses(self, lead_id: str, limit: int = 50) -> list[LeadAnalysisPublic]:
        """Every qualification of the lead, newest first."""
        body = self._request("GET", f"/api/leads/{lead_id}/analyses", params={"limit": limit})
        result: list[LeadAnalysisPublic] = self._as(list[LeadAnalysisPublic], body["data"])
        return result

    def set_lead_consent(self, session_id: str, consent: bool) -> LeadConsentPublic:
        """The chat's "you may contact me" box: with consent, the newest e-mail address in the chat
        becomes a lead. Raises NotFoundError for a session the caller may not see."""
        body = {"session_id": session_id, "consent": consent}
        return LeadConsentPublic.model_validate(self._request("POST", "/api/leads/consent", json=body))

    # -- analytics (API 02) -----------------------------------------------------------------

    def analytics_overview(
        self, start_date: date | datetime | None = None, end_date: date | datetime | None = None
    ) -> AnalyticsOverviewPublic:
        """Leads, active conversations, conversion rate and revenue from ``start_date`` up to
        ``end_date`` (excluded; a day means its 00:00 UTC), each with its change (%) against the
        period before. Unset: the server's default period ending now."""
        params = {"start_date": _instant(start_date), "end_date": _instant(end_date)}
        data = self._request("GET", "/api/analytics/overview", params=params)
        return AnalyticsOverviewPublic.model_validate(data)

    def analytics_trends(
        self,
        metric: TrendMetric,
        aggregation: Aggregation = "daily",
        start_date: date | datetime | None = None,
        end_date: date | datetime | None = None,
    ) -> list[TrendPointPublic]:
        """``metric`` per UTC day or ISO week (the point's date is the Monday), oldest first, empty
        ones as 0. Raises ValidationFailed for an unknown metric or a reversed or too long period."""
        params = {
            "metric": metric,
            "aggregation": aggregation,
            "start_date": _instant(start_date),
            "end_date": _instant(end_date),
        }
        data = self._request("GET", "/api/analytics/trends", params=params)
        result: list[TrendPointPublic] = self._as(list[TrendPointPublic], data)
        return result

    # -- payments (API 02) ------------------------------------------------------------------

    def create_checkout_session(
        self,
        price_id: str | None = None,
        *,
        mode: Literal["subscription", "payment"] | None = None,
        success_url: str | None = None,
        cancel_url: str | None = None,
        customer_email: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> CheckoutSessionPublic:
        """A Stripe Checkout Session for the caller (unset fields: the server's STRIPE_* settings);
        send the buyer to its ``url``. Raises ValidationFailed (400) for a bad price, URL, e-mail or
        metadata, ApiUnavailable (503) while payments are not configured or Stripe is away."""
        body = _drop_none(
            {
                "price_id": price_id,
                "mode": mode,
                "success_url": success_url,
                "cancel_url": cancel_url,
                "customer_email": customer_email,
                "metadata": dict(metadata) if metadata is not None else None,
            }
        )
        data = self._request("POST", "/api/payments/create-checkout-session", json=body)
        return CheckoutSessionPublic.model_validate(data)

    def subscriptions(
        self, user_id: str | None = None, status: str | None = None, limit: int = 50, offset: int = 0
    ) -> SubscriptionsPublic:
        """Subscriptions and payments newest first: the caller's own; an admin's are everyone's, or
        ``user_id``'s."""
        params = {"user_id": user_id, "status": status, "limit": limit, "skip": offset}
        data = self._request("GET", "/api/payments/subscriptions", params=params)
        return SubscriptionsPublic.model_validate(data)
