"""Sessions page: search by user and text, the transcript with citations, and the unanswered queue
where an admin's answer becomes an FAQ item in one step."""

from __future__ import annotations

import uuid

from console_support import ask, assert_clean, console, next_to, open_page, page_text, submit
from serve_support import LiveServer

from ragplatform.client import RagClient

ANSWERABLE = "Who was the inventor of the atmospheric engine?"
# Nothing in the demo corpus is within the relevance distance of these (checked against MiniLM).
UNANSWERABLE = ("Qwxz vrrbl plonk?", "Qwxz yarrow fip?")


def test_search_by_user_and_text_then_read_the_transcript(
    console_api: LiveServer, admin_token: str, api: RagClient
) -> None:
    user = f"console-sessions-{uuid.uuid4().hex[:8]}"
    reply = ask(console_api.url, user, ANSWERABLE)
    assert reply["citations"] and not reply["unanswered"], reply

    at = open_page(console(admin_token), "sessions")
    at.text_input(key="sessions_user").input(user).run()
    assert_clean(at)
    table = at.dataframe[0].value
    expected = api.search_sessions(user=user)
    assert expected.total == 1 and list(table["session"]) == [expected.items[0].id]

    at.text_input(key="sessions_text").input("atmospheric").run()
    assert list(at.dataframe[0].value["session"]) == [expected.items[0].id]
    at.text_input(key="sessions_text").input(f"no-such-words-{uuid.uuid4().hex}").run()
    assert at.dataframe[0].value.empty and "0 sessions match" in page_text(at)

    at.text_input(key="sessions_text").input("").run()
    text = page_text(at)
    transcript = api.get_transcript(expected.items[0].id)
    answer = next(m for m in transcript.messages if m.role == "assistant")
    assert [m.value for m in at.chat_message[0].markdown] == [ANSWERABLE]
    assert answer.text in [m.value for m in at.chat_message[1].markdown]
    first = answer.citations[0]
    assert f"[1] {first.title or first.source}" in text and f"`{first.source}`" in text


def test_unanswered_question_becomes_an_faq_item_in_one_step(
    console_api: LiveServer, admin_token: str, api: RagClient
) -> None:
    marker = uuid.uuid4().hex[:8]
    question = UNANSWERABLE[0]
    reply = ask(console_api.url, f"console-unanswered-{marker}", question)
    assert reply["unanswered"], reply
    item = next(i for i in api.unanswered() if i.question == question)

    at = open_page(console(admin_token), "sessions")
    at.segmented_control(key="sessions_view").set_value("Unanswered queue").run()
    assert_clean(at)
    assert any(question in e.label for e in at.expander)
    form = f"sessions_resolve_{item.id}"
    at.text_area(key=f"{form}_answer").input(f"Plonk {marker} sleeps in the lighthouse.")
    submit(at, form, "Add to the FAQ")
    assert_clean(at)
    assert "answers this question from now on" in page_text(at)

    faq = next(f for f in api.list_faq() if f.question == question)
    assert faq.is_active and faq.answer == f"Plonk {marker} sleeps in the lighthouse."
    assert all(i.id != item.id for i in api.unanswered())
    assert not any(question in e.label for e in at.expander)
    again = ask(console_api.url, f"console-unanswered-{marker}", question)
    assert again["source"] == "faq" and "lighthouse" in again["answer"]


def test_resolving_without_an_answer_shows_the_error_under_the_answer(
    console_api: LiveServer, admin_token: str, api: RagClient
) -> None:
    marker = uuid.uuid4().hex[:8]
    question = UNANSWERABLE[1]
    ask(console_api.url, f"console-unanswered-{marker}", question)
    item = next(i for i in api.unanswered() if i.question == question)

    at = open_page(console(admin_token), "sessions")
    at.segmented_control(key="sessions_view").set_value("Unanswered queue").run()
    submit(at, f"sessions_resolve_{item.id}", "Add to the FAQ")
    assert not at.exception
    slot = next_to(at, f"sessions_resolve_{item.id}_answer")
    assert slot.type == "error", "an empty answer is refused by the API, and the page says so under it"
    assert any(i.id == item.id for i in api.unanswered())  # still waiting

    at.button(key=f"sessions_dismiss_{item.id}").click().run()
    assert_clean(at)
    assert all(i.id != item.id for i in api.unanswered())
    assert all(f.question != question for f in api.list_faq())
