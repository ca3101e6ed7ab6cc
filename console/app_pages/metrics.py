"""Metrics: questions per day, latency p50/p95, unanswered rate and top questions over a date range,
and the figures of one session."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pandas as pd
import streamlit as st

from ragconsole import calls, session
from ragconsole.formatting import ms, percent

PAGE = "metrics"
api = session.client()

st.title("Metrics")
today = datetime.now(UTC).date()
start, end, top_n = st.columns([2, 2, 1])
date_from = start.date_input(
    "From (UTC)", value=today - timedelta(days=13), max_value=today, key=f"{PAGE}_from"
)
date_to = end.date_input("To (UTC)", value=today, max_value=today, key=f"{PAGE}_to")
limit = int(top_n.number_input("Top questions", min_value=1, max_value=100, value=10, key=f"{PAGE}_top_n"))
if date_from > date_to:
    st.error("“From” is after “To”: choose a range that starts before it ends.", icon=":material/event_busy:")
    st.stop()

since = datetime.combine(date_from, time.min, tzinfo=UTC)
until = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=UTC)
summary = calls.fetch(api.metrics, since=since, until=until)
questions, unanswered, rate, p50, p95 = st.columns(5)
questions.metric("Questions", summary.questions)
unanswered.metric("Unanswered", summary.unanswered)
rate.metric("Unanswered rate", percent(summary.unanswered_rate))
p50.metric("Latency p50", ms(summary.latency_p50_ms))
p95.metric("Latency p95", ms(summary.latency_p95_ms))

days = calls.fetch(api.daily_metrics, date_from, date_to)
daily = pd.DataFrame(
    [
        {
            "day": pd.Timestamp(d.day),
            "answered": d.questions - d.unanswered,
            "unanswered": d.unanswered,
            "unanswered rate": d.unanswered_rate,
            "p50 (ms)": d.latency_p50_ms,
            "p95 (ms)": d.latency_p95_ms,
        }
        for d in days
    ],
    columns=["day", "answered", "unanswered", "unanswered rate", "p50 (ms)", "p95 (ms)"],
)
per_day, latency = st.columns(2)
with per_day:
    st.subheader("Questions per day")
    st.bar_chart(daily, x="day", y=["answered", "unanswered"], color=["#4c78a8", "#e45756"])
with latency:
    st.subheader("Answer latency")
    st.line_chart(daily, x="day", y=["p50 (ms)", "p95 (ms)"])
rate_chart, top = st.columns(2)
with rate_chart:
    st.subheader("Unanswered rate")
    st.line_chart(daily, x="day", y="unanswered rate")
with top:
    st.subheader("Top questions")
    asked = calls.fetch(api.top_questions, date_from, date_to, limit=limit)
    if asked:
        st.dataframe(
            pd.DataFrame([{"question": q.question, "asked": q.count} for q in asked]),
            hide_index=True,
            column_config={
                "asked": st.column_config.ProgressColumn("asked", max_value=asked[0].count, format="%d")
            },
        )
    else:
        st.caption("No questions in this range.")

st.subheader("One session")
recent = calls.fetch(api.search_sessions, date_from=date_from, date_to=date_to, limit=50)
if not recent.items:
    st.caption("No sessions in this range.")
else:
    by_id = {s.id: s for s in recent.items}
    chosen = st.selectbox(
        "Session",
        list(by_id),
        format_func=lambda i: f"{by_id[i].title or '(untitled)'} · {by_id[i].username or by_id[i].user_id}",
        key=f"{PAGE}_session",
    )
    figures = calls.fetch(api.session_metrics, chosen)
    cols = st.columns(5)
    cols[0].metric("Session messages", figures.messages)
    cols[1].metric("Session questions", figures.questions)
    cols[2].metric("Session unanswered", figures.unanswered)
    cols[3].metric("Session p50", ms(figures.latency_p50_ms))
    cols[4].metric("Session p95", ms(figures.latency_p95_ms))
    st.caption(
        f"tokens: {figures.tokens.prompt} prompt + {figures.tokens.completion} completion · "
        f"first {figures.first_at or '–'} · last {figures.last_at or '–'}"
    )
