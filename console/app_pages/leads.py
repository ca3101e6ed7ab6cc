"""Leads: who left contact details (the form, or a chat with consent), filtered by status and
score; for one lead its newest qualification (score, intent, next step and why), every earlier
one, and its status to change."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ragconsole import calls, session
from ragconsole.widgets import flash, show_flashes
from ragplatform.client import LeadPublic
from ragplatform.leads.base import LEAD_STATUSES

PAGE = "leads"
PAGE_SIZE = 50
COLUMNS = ["created", "email", "name", "company", "source", "status", "score", "intent", "next step", "lead"]
api = session.client()


def lead_label(lead: LeadPublic) -> str:
    who = f"{lead.name} · " if lead.name else ""
    score = "not qualified" if lead.score is None else f"score {lead.score}"
    return f"{lead.email} · {who}{lead.status} · {score}"


def table(leads: list[LeadPublic]) -> None:
    rows = [
        {
            "created": lead.created_at,
            "email": lead.email,
            "name": lead.name,
            "company": lead.company,
            "source": lead.source,
            "status": lead.status,
            "score": lead.score,
            "intent": lead.analysis.intent if lead.analysis else None,
            "next step": lead.analysis.next_step if lead.analysis else None,
            "lead": lead.id,
        }
        for lead in leads
    ]
    st.dataframe(
        pd.DataFrame(rows, columns=COLUMNS),
        hide_index=True,
        column_config={
            "score": st.column_config.ProgressColumn("score", min_value=0, max_value=100, format="%d")
        },
    )


def qualification(lead: LeadPublic) -> None:
    analysis = lead.analysis
    if analysis is None:
        st.caption("Not qualified yet.")
        return
    st.metric("Score", f"{analysis.score} / 100", help="how ready to buy this lead looks, 0..100")
    st.markdown(
        f"**Intent:** {analysis.intent} · **Next step:** {analysis.next_step} · "
        f"**Qualified by:** {analysis.method}"
    )
    if analysis.reasons:
        st.markdown(
            "\n".join(
                f"- **{r.rule}**" + (f" ({r.points:+d})" if r.points is not None else "") + f": {r.detail}"
                for r in analysis.reasons
            )
        )
    st.caption(f"qualified {analysis.created_at:%Y-%m-%d %H:%M} UTC")


def history(lead: LeadPublic) -> None:
    analyses = calls.fetch(api.lead_analyses, lead.id)
    st.markdown(f"**Qualifications** ({len(analyses)})")
    if not analyses:
        st.caption("None yet.")
        return
    frame = pd.DataFrame(
        [
            {
                "qualified": a.created_at,
                "score": a.score,
                "intent": a.intent,
                "next step": a.next_step,
                "method": a.method,
            }
            for a in analyses
        ]
    )
    if len(analyses) > 1:
        st.line_chart(frame, x="qualified", y="score")
    st.dataframe(frame, hide_index=True)


def change_status(lead: LeadPublic) -> None:
    key = f"{PAGE}_status_{lead.id}"
    chosen = st.selectbox("Status", LEAD_STATUSES, index=LEAD_STATUSES.index(lead.status), key=key)
    save, requalify = st.columns(2)
    if save.button("Save status", key=f"{key}_save", icon=":material/save:", disabled=chosen == lead.status):
        changed = calls.attempt(api.update_lead_status, lead.id, chosen)
        if changed is not None:
            flash(PAGE, "success", f"{changed.email} is now {changed.status}.")
            st.rerun()
    if requalify.button("Qualify again", key=f"{PAGE}_qualify_{lead.id}", icon=":material/refresh:"):
        run = calls.attempt(api.execute_workflow, "qualify_leads", {"lead_ids": [lead.id]})
        if run is not None:
            if run.status == "completed":
                flash(PAGE, "success", f"Qualified {lead.email} again.")
            else:
                flash(PAGE, "error", f"The qualification {run.status}: {run.error}")
            st.rerun()


def details(lead: LeadPublic) -> None:
    st.subheader(lead.email)
    facts = [x for x in (lead.name, lead.company) if x]
    facts += [f"from the {lead.source}", "consented" if lead.consent else "no consent"]
    facts.append(f"created {lead.created_at:%Y-%m-%d %H:%M} UTC, updated {lead.updated_at:%Y-%m-%d %H:%M}")
    if lead.session_id:
        facts.append(f"chat {lead.session_id}")
    st.caption(" · ".join(facts))
    if lead.message:
        st.text(lead.message)
    left, right = st.columns(2)
    with left:
        st.markdown("**Latest qualification**")
        qualification(lead)
        change_status(lead)
    with right:
        history(lead)


st.title("Leads")
show_flashes(PAGE)
status_filter, score_filter = st.columns(2)
status = status_filter.selectbox(
    "Status", [None, *LEAD_STATUSES], format_func=lambda s: s or "any", key=f"{PAGE}_status"
)
min_score = score_filter.slider("Score at least", 0, 100, 0, key=f"{PAGE}_min_score")
page = int(st.session_state.get(f"{PAGE}_page", 1))
found = calls.fetch(
    api.leads, status=status, min_score=min_score or None, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
)
pages = max(1, -(-found.count // PAGE_SIZE))
if page > pages:  # the filters narrowed: back to the first page
    st.session_state[f"{PAGE}_page"] = 1
    st.rerun()
st.caption(f"{found.count} leads match" + (f", {pages} pages of {PAGE_SIZE}" if pages > 1 else ""))
if pages > 1:
    st.number_input("Page", min_value=1, max_value=pages, key=f"{PAGE}_page")
table(found.data)
wanted = st.session_state.get(f"{PAGE}_selected")  # e.g. opened from a notification
by_id = {lead.id: lead for lead in found.data}
if wanted and wanted not in by_id and (opened := calls.attempt(api.lead, wanted)) is not None:
    by_id = {opened.id: opened, **by_id}
if by_id:
    selected = st.selectbox(
        "Lead", list(by_id), format_func=lambda i: lead_label(by_id[i]), key=f"{PAGE}_selected"
    )
    details(calls.fetch(api.lead, selected))
