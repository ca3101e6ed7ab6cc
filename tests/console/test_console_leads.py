"""Leads page: the table filtered by status and score, one lead's qualification and history,
changing its status, and qualifying it again."""

from __future__ import annotations

import uuid

from console_support import assert_clean, button, console, open_page, page_text
from streamlit.testing.v1 import AppTest

from ragplatform.client import LeadPublic, RagClient

HOT_MESSAGE = "We are a team of 40 agents and need pricing and a demo this month; budget is approved."


def new_lead(api: RagClient) -> LeadPublic:
    t = uuid.uuid4().hex[:8]
    return api.create_lead(
        f"buyer.{t}@foundry{t}.io", consent=True, name="Ida Lind", company=f"Foundry {t}", message=HOT_MESSAGE
    )


def listed(at: AppTest) -> list[str]:
    return list(at.dataframe[0].value["lead"])


def metric(at: AppTest, label: str) -> str:
    return str(next(m.value for m in at.metric if m.label == label))


def test_a_leads_qualification_history_and_status(admin_token: str, api: RagClient) -> None:
    lead = new_lead(api)
    analysis = lead.analysis
    assert analysis is not None
    at = open_page(console(admin_token), "leads")
    assert_clean(at)
    assert listed(at)[0] == lead.id  # newest first
    assert f"{api.leads(limit=1).count} leads match" in page_text(at)

    at.selectbox(key="leads_selected").set_value(lead.id).run()
    assert_clean(at)
    text = page_text(at)
    assert metric(at, "Score") == f"{analysis.score} / 100"
    assert f"**Intent:** {analysis.intent} · **Next step:** {analysis.next_step}" in text
    for reason in analysis.reasons:
        assert f"**{reason.rule}**" in text and reason.detail in text
    assert "**Qualifications** (1)" in text

    at.selectbox(key=f"leads_status_{lead.id}").set_value("contacted").run()
    button(at, f"leads_status_{lead.id}_save")
    assert_clean(at)
    assert api.lead(lead.id).status == "contacted"
    assert f"{lead.email} is now contacted." in page_text(at)

    button(at, f"leads_qualify_{lead.id}")
    assert_clean(at)
    assert len(api.lead_analyses(lead.id)) == 2
    assert "**Qualifications** (2)" in page_text(at) and at.get("vega_lite_chart"), "the scores over time"


def test_filters_by_status_and_score(admin_token: str, api: RagClient) -> None:
    lead = new_lead(api)
    api.update_lead_status(lead.id, "lost")
    at = open_page(console(admin_token), "leads")
    at.selectbox(key="leads_status").set_value("lost").run()
    assert_clean(at)
    assert lead.id in listed(at)
    assert set(at.dataframe[0].value["status"]) == {"lost"}
    assert f"{api.leads(status='lost').count} leads match" in page_text(at)

    score = lead.score or 0
    at.slider(key="leads_min_score").set_value(score).run()
    assert lead.id in listed(at)
    if score < 100:
        at.slider(key="leads_min_score").set_value(score + 1).run()
        assert lead.id not in listed(at)
    at.selectbox(key="leads_status").set_value("converted").run()
    at.slider(key="leads_min_score").set_value(100).run()
    assert_clean(at)
    expected = api.leads(status="converted", min_score=100).count
    assert f"{expected} leads match" in page_text(at) and len(listed(at)) == expected
