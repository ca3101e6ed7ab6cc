"""Workflows: start one (rebuild an index, evaluate one, qualify leads, ingest documents), watch
its steps move while it runs, read what it produced, and look back at past runs."""

from __future__ import annotations

import base64
from typing import Any

import pandas as pd
import streamlit as st

from ragconsole import calls, session
from ragconsole.calls import FieldErrors
from ragconsole.formatting import metric_table, step_caption
from ragconsole.widgets import flash, show_flashes
from ragplatform.client import (
    WorkflowPublic,
    WorkflowRunDetailPublic,
    WorkflowRunPublic,
    WorkflowStepPublic,
)

PAGE = "workflows"
RUN = f"{PAGE}_run"  # the run this page follows
HISTORY = 50
STATUS_ICONS = {
    "queued": ":material/schedule:",
    "running": ":material/autorenew:",
    "completed": ":material/check_circle:",
    "failed": ":material/error:",
}
api = session.client()


# -- starting a run --------------------------------------------------------------------------


def rebuild_inputs(key: str) -> dict[str, Any]:
    promote = st.checkbox("Promote the new version through the gate", value=True, key=f"{key}_promote")
    force = st.checkbox("Force: promote even if the gate refuses (recorded as forced)", key=f"{key}_force")
    eval_set = st.text_input(
        "Evaluation set (a file in evals/; empty: the gate's)",
        key=f"{key}_eval_set",
        placeholder="demo.jsonl",
    )
    inputs: dict[str, Any] = {"promote": promote, "force": force and promote}
    return {**inputs, "eval_set": eval_set.strip()} if eval_set.strip() else inputs


def evaluate_inputs(key: str) -> dict[str, Any]:
    versions = calls.fetch(api.list_indexes)
    by_version = {v.version: v for v in versions}
    version = st.selectbox(
        "Version",
        [None, *by_version],
        format_func=lambda x: (
            "production" if x is None else f"v{x}" + (" (production)" if by_version[x].is_production else "")
        ),
        key=f"{key}_version",
    )
    eval_set = st.text_input(
        "Evaluation set (a file in evals/; empty: the gate's)",
        key=f"{key}_eval_set",
        placeholder="demo.jsonl",
    )
    top_k = st.number_input("Chunks retrieved per question", 1, 1000, 100, key=f"{key}_top_k")
    inputs: dict[str, Any] = {"top_k": int(top_k)}
    if version is not None:
        inputs["version"] = version
    if eval_set.strip():
        inputs["eval_set"] = eval_set.strip()
    return inputs


def qualify_inputs(key: str) -> dict[str, Any]:
    named = st.text_area(
        "Lead ids, one a line (empty: every lead not qualified yet)", key=f"{key}_lead_ids", height=80
    )
    ids = [line.strip() for line in named.splitlines() if line.strip()]
    return {"lead_ids": ids} if ids else {}


def ingest_inputs(key: str) -> dict[str, Any]:
    files = st.file_uploader(
        "Documents (indexed into your own documents, all or none)",
        accept_multiple_files=True,
        key=f"{key}_files",
    )
    documents = [
        {
            "filename": f.name,
            "content_base64": base64.b64encode(f.getvalue()).decode(),
            "content_type": f.type or None,
        }
        for f in files or []
    ]
    return {"documents": documents}


INPUTS = {
    "rebuild_index": rebuild_inputs,
    "evaluate_index": evaluate_inputs,
    "qualify_leads": qualify_inputs,
    "ingest_documents": ingest_inputs,
}


def start(workflows: list[WorkflowPublic]) -> None:
    st.subheader("Start a workflow")
    by_id = {w.workflow_id: w for w in workflows if w.workflow_id in INPUTS}
    chosen = st.selectbox("Workflow", list(by_id), key=f"{PAGE}_workflow")
    if chosen is None:
        st.caption("The API offers no workflow this page knows how to start.")
        return
    workflow = by_id[chosen]
    st.caption(f"{workflow.description} Steps: {' → '.join(workflow.steps)}.")
    key = f"{PAGE}_{chosen}"
    with st.form(f"{key}_form"):
        errors = FieldErrors()
        inputs = INPUTS[chosen](key)
        errors.slot("inputs")
        submitted = st.form_submit_button("Start", type="primary", icon=":material/play_arrow:")
    if submitted:
        run = errors.submit(api.execute_workflow, chosen, inputs, run_async=True)
        if run is not None:
            st.session_state[RUN] = run.workflow_run_id
            flash(PAGE, "info", f"Started {chosen} (run {run.workflow_run_id}).")
            st.rerun()


# -- showing a run ---------------------------------------------------------------------------


def step_bar(name: str, step: WorkflowStepPublic | None) -> None:
    if step is None:
        st.progress(0.0, text=f"{name}: waiting")
        return
    st.progress(min(max(step.progress, 0.0), 1.0), text=f"{name}: {step.status} {step.progress:.0%}")
    if caption := step_caption(step.detail):
        st.caption(caption)


def outcome(run: WorkflowRunDetailPublic) -> None:
    """What a finished run produced, as a person reads it; everything else under "All outputs"."""
    if run.status == "failed":
        st.error(f"The run failed: {run.error}", icon=":material/error:")
        return
    out = run.outputs or {}
    if "version" in out:
        st.markdown(
            f"**Version v{out['version']}**"
            + (f" · evaluation set {out['eval_set']}" if out.get("eval_set") else "")
        )
    promotion = out.get("promotion")
    if promotion in ("promoted", "forced"):
        st.success(
            f"Promoted ({promotion}): production serves v{out.get('production')}.", icon=":material/check:"
        )
    elif promotion == "refused":
        st.warning(
            f"The gate refused v{out.get('version')}: {out.get('refusal')}. Production is unchanged; "
            "promote or force it on the Indexes page.",
            icon=":material/block:",
        )
    elif promotion == "not requested":
        st.info(f"Built v{out.get('version')}; not promoted (promote it on the Indexes page).")
    figures = metric_table(out["metrics"]) if isinstance(out.get("metrics"), dict) else None
    if figures is not None and not figures.empty:
        top = max(1.0, float(figures["value"].max()))
        bar = st.column_config.ProgressColumn("value", min_value=0.0, max_value=top, format="%.3f")
        st.dataframe(figures, hide_index=True, column_config={"value": bar})
    if "qualified" in out:
        st.markdown(f"**{out['qualified']} leads qualified**")
        if out.get("leads"):
            st.dataframe(pd.DataFrame(out["leads"]), hide_index=True)
    if out.get("documents"):
        st.markdown(f"**{len(out['documents'])} documents ingested**")
        st.dataframe(pd.DataFrame(out["documents"]), hide_index=True)
    with st.expander("All outputs", icon=":material/data_object:"):
        st.json(out)


def show_run(run: WorkflowRunDetailPublic, steps: list[str]) -> None:
    icon = STATUS_ICONS.get(run.status, "")
    st.markdown(f"{icon} **{run.workflow_id}** · run `{run.workflow_run_id}` · **{run.status}**")
    times = [f"created {run.created_at:%Y-%m-%d %H:%M:%S} UTC"]
    if run.finished_at is not None:
        times.append(f"finished {run.finished_at:%H:%M:%S}")
    if run.attempts > 1:
        times.append(f"attempt {run.attempts}")
    st.caption(" · ".join(times))
    st.progress(min(max(run.progress, 0.0), 1.0), text=f"overall {run.progress:.0%} · step {run.step or '–'}")
    by_name = {s.name: s for s in run.steps}
    for name in steps or [s.name for s in run.steps]:
        step_bar(name, by_name.get(name))
    if run.finished:
        outcome(run)


@st.fragment(run_every=1.0)
def follow(run_id: str, steps: list[str]) -> None:
    """Polls the run every second while it runs; when it ends, the whole page reruns (the table too)."""
    run = calls.attempt(api.workflow_run, run_id)
    if run is None:
        return
    if run.finished:
        st.rerun(scope="app")
    show_run(run, steps)


def current(workflows: dict[str, WorkflowPublic]) -> None:
    run_id = st.session_state.get(RUN)
    if not run_id:
        return
    st.subheader("Current run")
    run = calls.attempt(api.workflow_run, run_id)
    if run is None:  # e.g. a run of another database
        st.session_state.pop(RUN, None)
        return
    steps = workflows[run.workflow_id].steps if run.workflow_id in workflows else []
    with st.container(border=True):
        if run.finished:
            show_run(run, steps)
            if st.button("Done", key=f"{PAGE}_run_done"):
                st.session_state.pop(RUN, None)
                st.rerun()
        else:
            follow(run_id, steps)


# -- past runs -------------------------------------------------------------------------------


def run_label(run: WorkflowRunPublic) -> str:
    return (
        f"{run.created_at:%Y-%m-%d %H:%M:%S} · {run.workflow_id} · {run.status} · {run.workflow_run_id[:8]}"
    )


def history(workflows: dict[str, WorkflowPublic]) -> None:
    st.subheader("Past runs")
    only = st.selectbox(
        "Workflow", [None, *workflows], format_func=lambda x: x or "all", key=f"{PAGE}_history_filter"
    )
    page = calls.fetch(api.workflow_runs, limit=HISTORY, workflow_id=only)
    rows = [
        {
            "created": r.created_at,
            "workflow": r.workflow_id,
            "status": r.status,
            "step": r.step,
            "progress": r.progress,
            "finished": r.finished_at,
            "error": r.error or "",
            "run": r.workflow_run_id,
        }
        for r in page.data
    ]
    columns = ["created", "workflow", "status", "step", "progress", "finished", "error", "run"]
    st.dataframe(
        pd.DataFrame(rows, columns=columns),
        hide_index=True,
        column_config={"progress": st.column_config.ProgressColumn("progress", min_value=0.0, max_value=1.0)},
    )
    st.caption(f"{len(page.data)} of {page.count} runs" + (", newest first" if page.data else ""))
    if not page.data:
        return
    by_id = {r.workflow_run_id: r for r in page.data}
    chosen = st.selectbox(
        "Run details",
        [None, *by_id],
        format_func=lambda i: "–" if i is None else run_label(by_id[i]),
        key=f"{PAGE}_history_run",
    )
    if chosen is not None:
        run = calls.fetch(api.workflow_run, chosen)
        with st.container(border=True):
            show_run(run, workflows[run.workflow_id].steps if run.workflow_id in workflows else [])
            with st.expander("Inputs", icon=":material/input:"):
                st.json(run.inputs)


st.title("Workflows")
show_flashes(PAGE)
all_workflows = calls.fetch(api.list_workflows)
known = {w.workflow_id: w for w in all_workflows}
start(all_workflows)
current(known)
history(known)
