"""Metrics: questions per day, latency p50/p95, unanswered rate and top questions over a date range,
the business analytics over the same range (leads, conversations, conversion, revenue, against the
period before, and their trends per day or week), and the figures of one session."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from ragconsole import calls, session
from ragconsole.formatting import change, ms, percent
from ragplatform.client import Aggregation, AnalyticsOverviewPublic, KpiPublic, TrendMetric

PAGE = "metrics"
AGGREGATIONS: tuple[Aggregation, ...] = ("daily", "weekly")
TRENDS: dict[TrendMetric, str] = {
    "leads": "Leads",
    "conversations": "Active conversations",
    "revenue": "Revenue",
}
api = session.client()


def kpi(
    column: DeltaGenerator, label: str, shown: str | int | float, figure: KpiPublic, days: int, meaning: str
) -> None:
    """One figure with its change (%) against the ``days`` before the range: grey and without an
    arrow when nothing changed, left out when there is nothing to compare with."""
    delta = change(figure.change)
    column.metric(
        label,
        shown,
        delta,
        delta_color="off" if figure.change == 0 else "normal",
        delta_arrow="off" if figure.change == 0 else "auto",
        delta_description=f"vs the {days} days before" if delta is not None else None,
        help=meaning,
    )


def kpis(overview: AnalyticsOverviewPublic, days: int) -> None:
    leads, conversations, conversion, revenue = st.columns(4)
    kpi(leads, "Leads", overview.total_leads.value, overview.total_leads, days, "leads created in the range")
    kpi(
        conversations,
        "Active conversations",
        overview.active_conversations.value,
        overview.active_conversations,
        days,
        "sessions with a message in the range",
    )
    kpi(
        conversion,
        "Conversion rate",
        f"{overview.conversion_rate.value:.1f}%",
        overview.conversion_rate,
        days,
        "the range's leads that converted (status converted, or a paid subscription or payment)",
    )
    kpi(
        revenue,
        "Revenue",
        f"{overview.total_revenue.value:,.2f}",
        overview.total_revenue,
        days,
        "paid for the subscriptions and payments started in the range",
    )


def trend_chart(metric: TrendMetric, aggregation: Aggregation, since: datetime, until: datetime) -> None:
    points = calls.attempt(api.analytics_trends, metric, aggregation, since, until)
    if points is None:
        return
    name = TRENDS[metric]
    frame = pd.DataFrame(
        [{"period": pd.Timestamp(p.date), name: p.value} for p in points], columns=["period", name]
    )
    if metric == "conversations":
        st.line_chart(frame, x="period", y=name)
    else:
        st.bar_chart(frame, x="period", y=name)


def analytics(since: datetime, until: datetime) -> None:
    """The range's business figures against the period before, and their trends (the range's end
    is excluded: ``until`` is the day after "To")."""
    st.subheader("Analytics")
    chosen = st.segmented_control(
        "Trends per",
        AGGREGATIONS,
        format_func=lambda a: "day" if a == "daily" else "week",
        default="daily",
        required=True,
        key=f"{PAGE}_aggregation",
    )
    aggregation: Aggregation = chosen or "daily"
    overview = calls.attempt(api.analytics_overview, since, until)
    if overview is None:
        return
    kpis(overview, (until - since).days)
    for column, metric in zip(st.columns(len(TRENDS)), TRENDS, strict=True):
        with column:
            st.markdown(f"**{TRENDS[metric]} per {'day' if aggregation == 'daily' else 'week'}**")
            trend_chart(metric, aggregation, since, until)


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

analytics(since, until)

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
