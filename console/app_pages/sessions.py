"""Sessions: find conversations by user, day and text, read a transcript with its citations, and
answer what the assistant could not: each unanswered question becomes an FAQ item in one step."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ragconsole import calls, session
from ragconsole.calls import FieldErrors
from ragconsole.formatting import ms
from ragconsole.widgets import flash, show_flashes
from ragplatform.client import SessionSummary, Transcript, UnansweredItem

PAGE = "sessions"
PAGE_SIZE = 50
QUEUE_SIZE = 50
api = session.client()


def session_label(s: SessionSummary) -> str:
    who = s.username or s.user_id
    return f"{s.title or '(untitled)'} · {who} · {s.updated_at:%Y-%m-%d %H:%M} · {s.message_count} messages"


def transcript(t: Transcript) -> None:
    st.subheader(t.title or "(untitled)")
    st.caption(
        f"session {t.session_id} · user {t.username or t.user_id} · "
        f"started {t.created_at:%Y-%m-%d %H:%M} UTC · last {t.updated_at:%Y-%m-%d %H:%M} UTC"
    )
    for message in t.messages:
        role = "user" if message.role == "user" else "assistant"
        with st.chat_message(role):
            st.markdown(message.text)
            facts = [f"{message.time:%Y-%m-%d %H:%M:%S}"]
            if message.source:
                facts.append(f"from {message.source}")
            if message.latency_ms is not None:
                facts.append(ms(message.latency_ms))
            if message.index_version:
                facts.append(f"index v{message.index_version}")
            if message.unanswered:
                facts.append("**unanswered**")
            st.caption(" · ".join(facts))
            for n, c in enumerate(message.citations, 1):
                where = f" · {c.section}" if c.section else ""
                st.caption(f"[{n}] {c.title or c.source}{where} — `{c.source}` · score {c.score:.3f}")


def search() -> None:
    user, text, day_from, day_to = st.columns([2, 3, 1.5, 1.5])
    who = user.text_input("User (id or email)", key=f"{PAGE}_user")
    words = text.text_input("Text in the title or any message", key=f"{PAGE}_text")
    date_from = day_from.date_input("From (UTC)", value=None, key=f"{PAGE}_from")
    date_to = day_to.date_input("To (UTC)", value=None, key=f"{PAGE}_to")
    page = int(st.session_state.get(f"{PAGE}_page", 1))
    found = calls.fetch(
        api.search_sessions,
        user=who.strip() or None,
        date_from=date_from,
        date_to=date_to,
        text=words.strip() or None,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    pages = max(1, -(-found.total // PAGE_SIZE))
    if page > pages:  # the filters narrowed: back to the first page
        st.session_state[f"{PAGE}_page"] = 1
        st.rerun()
    st.caption(f"{found.total} sessions match" + (f", {pages} pages of {PAGE_SIZE}" if pages > 1 else ""))
    if pages > 1:
        st.number_input("Page", min_value=1, max_value=pages, key=f"{PAGE}_page")
    rows = [
        {
            "updated": s.updated_at,
            "user": s.username or s.user_id,
            "title": s.title,
            "messages": s.message_count,
            "unanswered": s.unanswered_count,
            "session": s.id,
        }
        for s in found.items
    ]
    st.dataframe(
        pd.DataFrame(rows, columns=["updated", "user", "title", "messages", "unanswered", "session"]),
        hide_index=True,
    )
    if not found.items:
        return
    by_id = {s.id: s for s in found.items}
    chosen = st.selectbox(
        "Transcript", list(by_id), format_func=lambda i: session_label(by_id[i]), key=f"{PAGE}_selected"
    )
    transcript(calls.fetch(api.get_transcript, chosen))


def resolve_form(item: UnansweredItem) -> None:
    key = f"{PAGE}_resolve_{item.id}"
    with st.form(key):
        errors = FieldErrors()
        question = st.text_input(
            "Question (as the FAQ item will read)", value=item.question, key=f"{key}_question"
        )
        errors.slot("question")
        answer = st.text_area("The right answer", key=f"{key}_answer")
        errors.slot("answer")
        add = st.form_submit_button("Add to the FAQ", type="primary", icon=":material/playlist_add:")
    if add:
        faq = errors.submit(
            api.resolve_unanswered, item.id, answer, question if question != item.question else None
        )
        if faq is not None:
            flash(PAGE, "success", f"FAQ item #{faq.id} “{faq.question}” answers this question from now on.")
            st.rerun()
    dismiss = st.button(
        "Dismiss (no FAQ item)", key=f"{PAGE}_dismiss_{item.id}", icon=":material/delete_sweep:"
    )
    if dismiss and calls.attempt(api.dismiss_unanswered, item.id) is not None:
        flash(PAGE, "info", f"Dismissed “{item.question}”.")
        st.rerun()


def queue() -> None:
    items = calls.fetch(api.unanswered, limit=QUEUE_SIZE)
    if not items:
        st.success("No unanswered questions waiting.", icon=":material/check_circle:")
        return
    st.caption(
        f"{len(items)} questions the assistant could not answer, newest first. Write the right answer: it "
        "becomes an active FAQ item that answers the question directly from now on."
    )
    for item in items:
        who = item.username or item.user_id or "anonymous"
        title = f"{item.question} — {who}, {item.asked_at:%Y-%m-%d %H:%M}"
        with st.expander(title, icon=":material/help:"):
            st.caption(
                f"answered: “{item.answer}” · index v{item.index_version or '?'} · session {item.session_id}"
            )
            resolve_form(item)


st.title("Sessions")
show_flashes(PAGE)
view = st.segmented_control(
    "View",
    ["Sessions", "Unanswered queue"],
    default="Sessions",
    required=True,
    key=f"{PAGE}_view",
    label_visibility="collapsed",
)
if view == "Unanswered queue":
    queue()
else:
    search()
