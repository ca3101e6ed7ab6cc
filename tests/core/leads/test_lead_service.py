"""LeadService on the real embedded PostgreSQL: deduplication by e-mail, consent, qualification with
its events and admin notification, who reads what, and the chat capture through the answering path."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from ragplatform.content.base import User
from ragplatform.errors import InvalidInput, NotFound, PermissionDenied
from ragplatform.events import PlatformEvent
from ragplatform.leads.base import Submission
from ragplatform.leads.service import CONSENT_FLAG, SYSTEM, Viewer

if TYPE_CHECKING:
    from ragplatform.factory import Platform


def tag() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture
def events(platform: Platform) -> Iterator[list[PlatformEvent]]:
    heard: list[PlatformEvent] = []
    platform.events.hooks.append(heard.append)
    yield heard
    platform.events.hooks.remove(heard.append)


@pytest.fixture
def user(platform: Platform) -> User:
    return platform.content.create_user(f"lead-user-{tag()}", None)


@pytest.fixture
def admin(platform: Platform) -> User:
    return platform.content.create_user(f"lead-admin-{tag()}", None, role="admin")


def hot(email: str, company: str = "Acme SaaS") -> Submission:
    return Submission(email, "Jane", company, "Team of 40 agents, need pricing and a demo this month.", True)


def test_a_second_submission_with_the_same_address_merges(
    platform: Platform, events: list[PlatformEvent]
) -> None:
    t = tag()
    first = platform.leads.submit(Submission(f"Ada.{t}@Example.org ", "Ada", "", "Hello", True), SYSTEM)
    again = platform.leads.submit(
        Submission(f"  ada.{t}@example.ORG", "", f"Analytical {t}", "Can I see a demo?", True), SYSTEM
    )
    assert first.created and not again.created
    assert again.lead.id == first.lead.id
    lead, analysis = platform.leads.get(first.lead.id, SYSTEM)
    assert lead.email == f"Ada.{t}@Example.org"  # as first typed, trimmed
    assert (lead.name, lead.company) == ("Ada", f"Analytical {t}")
    assert lead.message == "Hello\n\nCan I see a demo?"
    assert lead.metadata["submissions"] == 2
    assert analysis is not None and lead.score == analysis.score
    assert len(platform.leads.analyses(lead.id, SYSTEM)) == 2
    created = [e for e in events if e.type == "lead_created" and e.data["lead_id"] == lead.id]
    assert len(created) == 1  # merging is no creation
    analyzed = [e for e in events if e.type == "lead_analyzed" and e.data["lead_id"] == lead.id]
    assert len(analyzed) == 2
    assert set(created[0].data) == {"lead_id", "user_id", "created_at"}
    assert set(analyzed[0].data) == {"lead_id", "user_id", "analysis_id", "completed_at"}
    assert created[0].channel == "analytics" and created[0].owner is None


def test_nothing_is_stored_without_consent(platform: Platform) -> None:
    t = tag()
    with pytest.raises(InvalidInput) as info:
        platform.leads.submit(Submission(f"x{t}@corp-{t}.io", company=f"Nope{t}"), SYSTEM)
    assert info.value.field == "consent"
    assert platform.leads.prospects(f"Nope{t}", SYSTEM)[1] == []


def test_qualifying_to_the_threshold_notifies_admins_once(
    platform: Platform, admin: User, events: list[PlatformEvent]
) -> None:
    receipt = platform.leads.submit(hot(f"jane-{tag()}@acme-saas.io"), SYSTEM)
    assert (
        receipt.lead.status == "qualified"
        and receipt.analysis.score >= platform.settings.leads.qualified_score
    )
    mine = [n for n in platform.notifications.list(admin.id) if n.metadata.get("lead_id") == receipt.lead.id]
    assert len(mine) == 1
    note = mine[0]
    assert note.notification_type == "lead_qualified" and note.severity == "success"
    assert note.action_url == f"/api/leads/{receipt.lead.id}"
    assert note.metadata["score"] == receipt.analysis.score
    again = platform.leads.qualify(receipt.lead.id)
    assert again.analysis.id != receipt.analysis.id and not again.became_qualified
    mine = [n for n in platform.notifications.list(admin.id) if n.metadata.get("lead_id") == receipt.lead.id]
    assert len(mine) == 1
    assert any(e.type == "notification_created" for e in events)


def test_a_cold_lead_stays_new_and_notifies_no_one(platform: Platform, admin: User) -> None:
    receipt = platform.leads.submit(Submission(f"bob-{tag()}@gmail.com", message="hi", consent=True), SYSTEM)
    assert receipt.lead.status == "new" and receipt.analysis.score < 60
    assert not [
        n for n in platform.notifications.list(admin.id) if n.metadata.get("lead_id") == receipt.lead.id
    ]


def test_an_account_reads_only_its_own_leads(platform: Platform, user: User) -> None:
    other = platform.content.create_user(f"lead-other-{tag()}", None)
    mine = platform.leads.submit(hot(f"mine-{tag()}@corp.io"), Viewer(user.id)).lead
    theirs = platform.leads.submit(hot(f"theirs-{tag()}@corp.io"), Viewer(other.id)).lead
    assert mine.user_id == user.id
    assert platform.leads.get(mine.id, Viewer(user.id))[0].id == mine.id
    for lead_id in (theirs.id, "not-a-uuid", str(uuid.uuid4())):
        with pytest.raises(NotFound):
            platform.leads.get(lead_id, Viewer(user.id))
    with pytest.raises(NotFound):
        platform.leads.qualify(theirs.id, Viewer(user.id))
    with pytest.raises(NotFound):
        platform.leads.get(mine.id, Viewer())  # anonymous
    page, _ = platform.leads.page(Viewer(user.id))
    assert [lead.id for lead in page.items] == [mine.id] and page.total == 1
    admin_page, latest = platform.leads.page(SYSTEM, limit=200)
    assert {mine.id, theirs.id} <= {lead.id for lead in admin_page.items}
    assert latest[mine.id].lead_id == mine.id
    with pytest.raises(PermissionDenied):
        platform.leads.set_status(mine.id, "contacted", Viewer(user.id))
    assert platform.leads.set_status(mine.id, "contacted", SYSTEM)[0].status == "contacted"


def test_merging_into_another_accounts_lead_shows_only_what_was_sent(platform: Platform, user: User) -> None:
    email = f"shared-{tag()}@corp.io"
    owner = platform.content.create_user(f"lead-owner-{tag()}", None)
    platform.leads.submit(
        Submission(email, "Owner's name", "Secret Corp", "private plans", True), Viewer(owner.id)
    )
    receipt = platform.leads.submit(Submission(email, message="hello", consent=True), Viewer(user.id))
    assert receipt.lead.message == "hello" and receipt.lead.company == "" and receipt.lead.name == ""
    assert "Secret" not in str(receipt.analysis.model_dump())
    assert receipt.lead.user_id == user.id
    stored, _ = platform.leads.get(receipt.lead.id, SYSTEM)
    assert stored.user_id == owner.id and stored.company == "Secret Corp"


def test_prospects_match_the_query_words_best_scored_first(platform: Platform, user: User) -> None:
    t = tag()
    warm = platform.leads.submit(hot(f"warm-{t}@corp.io", company=f"Zeta{t} SaaS"), Viewer(user.id)).lead
    cold = platform.leads.submit(
        Submission(f"cold-{t}@gmail.com", message=f"zeta{t}", consent=True), Viewer(user.id)
    ).lead
    terms, found = platform.leads.prospects(f"Find top prospects like Zeta{t}", Viewer(user.id))
    assert terms == [f"zeta{t}"]
    assert [p.lead.id for p in found] == [warm.id, cold.id]
    assert found[0].analysis is not None and found[0].analysis.score == warm.score
    assert (
        platform.leads.prospects(f"Zeta{t}", Viewer(platform.content.create_user(f"n-{t}", None).id))[1] == []
    )


def test_an_address_in_a_chat_with_consent_becomes_a_lead(platform: Platform) -> None:
    t = tag()
    consenting = platform.sessions.create_session(f"open:visitor-{t}", metadata={CONSENT_FLAG: True})
    question = f"Do you offer a demo for teams? Reach me at Carla.{t}@Bistro{t}.com"
    answer = platform.answers.ask(question, user_id=f"open:visitor-{t}", session_id=consenting.id)
    found = platform.leads.prospects(f"bistro{t}", SYSTEM)[1]
    assert len(found) == 1
    lead = found[0].lead
    assert (lead.source, lead.session_id, lead.user_id, lead.consent) == (
        "chat",
        answer.session_id,
        None,
        True,
    )
    assert lead.email == f"Carla.{t}@Bistro{t}.com" and question in lead.message
    assert found[0].analysis is not None
    assert any(r.rule == "demo_request" for r in found[0].analysis.reasons)

    silent = platform.sessions.create_session(f"open:visitor2-{t}")
    platform.answers.ask(f"Write to dora.{t}@cafe{t}.com", user_id=f"open:visitor2-{t}", session_id=silent.id)
    assert platform.leads.prospects(f"cafe{t}", SYSTEM)[1] == []
    # consent given afterwards turns the address written earlier into a lead
    result = platform.leads.set_chat_consent(silent.id, True, Viewer())
    assert result.lead is not None and result.lead.email == f"dora.{t}@cafe{t}.com"
    assert platform.sessions.get_session(silent.id).metadata[CONSENT_FLAG] is True


def test_consent_for_a_private_chat_is_the_accounts_own(platform: Platform, user: User) -> None:
    private = platform.sessions.create_session(user.id, metadata={"private": True})
    with pytest.raises(NotFound):
        platform.leads.set_chat_consent(private.id, True, Viewer())
    with pytest.raises(NotFound):
        platform.leads.set_chat_consent(str(uuid.uuid4()), True, Viewer(user.id))
    assert platform.leads.set_chat_consent(private.id, True, Viewer(user.id)).lead is None


def test_pending_leads_are_qualified(platform: Platform) -> None:
    assert all(isinstance(i, str) for i in platform.leads.unqualified_ids())
    for analysed in platform.leads.qualify_pending(limit=5):
        assert analysed.analysis.lead_id == analysed.lead.id
