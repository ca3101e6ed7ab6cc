"""Overview and Metrics pages: the figures they show are the API's, and follow new questions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

from console_support import ask, assert_clean, console, open_page, page_text
from serve_support import LiveServer
from streamlit.testing.v1 import AppTest

from ragplatform.client import RagClient

ANSWERABLE = "Who was the inventor of the atmospheric engine?"


def metric(at: AppTest, label: str) -> str:
    return str(next(m.value for m in at.metric if m.label == label))


def test_overview_shows_engines_serving_index_and_today(
    console_api: LiveServer, admin_token: str, api: RagClient
) -> None:
    at = open_page(console(admin_token), "overview")
    assert_clean(at)
    overview = api.overview()
    text = page_text(at)
    assert overview.serving is not None and f"**v{overview.serving.version}**" in text
    for role, engine in overview.engines.items():
        assert role.replace("_", " ") in text and engine.engine in text
    assert metric(at, "Questions today") == str(overview.questions_today)

    ask(console_api.url, f"console-overview-{uuid.uuid4().hex[:8]}", ANSWERABLE)
    at.button(key="overview_refresh").click().run()
    assert_clean(at)
    after = api.overview()
    assert after.questions_today == overview.questions_today + 1
    assert metric(at, "Questions today") == str(after.questions_today)
    assert metric(at, "Unanswered today") == str(after.unanswered_today)


def test_metrics_follow_the_date_range_top_questions_and_one_session(
    console_api: LiveServer, admin_token: str, api: RagClient
) -> None:
    marker = uuid.uuid4().hex[:8]
    question = f"What does the atmospheric engine {marker} pump?"
    user = f"console-metrics-{marker}"
    session_id = ask(console_api.url, user, question)["session_id"]
    for _ in range(2):
        ask(console_api.url, user, question, session_id)

    at = open_page(console(admin_token), "metrics")
    assert_clean(at)
    today = datetime.now(UTC).date()
    since = datetime.combine(today - timedelta(days=13), time.min, tzinfo=UTC)
    until = datetime.combine(today + timedelta(days=1), time.min, tzinfo=UTC)
    assert metric(at, "Questions") == str(api.metrics(since=since, until=until).questions)

    at.number_input(key="metrics_top_n").set_value(100).run()
    top = next(d.value for d in at.dataframe if "question" in d.value.columns)
    assert list(top[top["question"] == question]["asked"]) == [3]
    assert (question, 3) in [(q.question, q.count) for q in api.top_questions(today, today, limit=100)]

    at.selectbox(key="metrics_session").set_value(session_id).run()
    figures = api.session_metrics(session_id)
    assert figures.questions == 3
    assert metric(at, "Session questions") == "3" and metric(at, "Session messages") == str(figures.messages)

    yesterday = today - timedelta(days=1)
    at.date_input(key="metrics_from").set_value(yesterday)
    at.date_input(key="metrics_to").set_value(yesterday).run()
    assert_clean(at)
    day = datetime.combine(yesterday, time.min, tzinfo=UTC)
    in_range = api.metrics(since=day, until=day + timedelta(days=1))
    assert metric(at, "Questions") == str(in_range.questions)
    tables = [d.value for d in at.dataframe if "question" in d.value.columns]
    assert all(question not in set(t["question"]) for t in tables)


def test_metrics_refuse_a_backwards_range(admin_token: str) -> None:
    at = open_page(console(admin_token), "metrics")
    today = datetime.now(UTC).date()
    at.date_input(key="metrics_from").set_value(today)
    at.date_input(key="metrics_to").set_value(today - timedelta(days=3)).run()
    assert not at.exception
    assert "starts before it ends" in at.error[0].value


def test_metrics_analytics_kpis_and_trends_follow_a_new_lead(admin_token: str, api: RagClient) -> None:
    today = datetime.now(UTC).date()
    since = datetime.combine(today - timedelta(days=13), time.min, tzinfo=UTC)
    until = datetime.combine(today + timedelta(days=1), time.min, tzinfo=UTC)
    api.create_lead(f"analytics.{uuid.uuid4().hex[:8]}@corp.io", consent=True)
    at = open_page(console(admin_token), "metrics")
    assert_clean(at)
    overview = api.analytics_overview(since, until)
    assert overview.total_leads.value >= 1
    leads = next(m for m in at.metric if m.label == "Leads")
    assert leads.value == str(overview.total_leads.value)
    change = overview.total_leads.change
    assert leads.delta == ("" if change is None else "0.0%" if change == 0 else f"{change:+.1f}%")
    assert metric(at, "Active conversations") == str(overview.active_conversations.value)
    assert metric(at, "Conversion rate") == f"{overview.conversion_rate.value:.1f}%"
    assert metric(at, "Revenue") == f"{overview.total_revenue.value:,.2f}"
    charts = len(at.get("vega_lite_chart"))
    assert charts >= 6, "three charts of questions, three of analytics"

    at.segmented_control(key="metrics_aggregation").set_value("weekly").run()
    assert_clean(at)
    assert len(at.get("vega_lite_chart")) == charts
    assert "**Leads per week**" in page_text(at)
    weekly = api.analytics_trends("leads", "weekly", since, until)
    assert sum(p.value for p in weekly) == overview.total_leads.value
