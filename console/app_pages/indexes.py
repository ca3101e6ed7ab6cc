"""Indexes: every version with its spec and metrics, a chart comparing versions, promotion and
rollback through the gate (with its verdict), links to MLflow, and rebuilds from the content."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ragconsole import calls, session
from ragconsole.formatting import evaluation_table, evaluation_values
from ragconsole.widgets import confirm_button, flash, show_flashes
from ragplatform.client import BuildJob, IndexVersionInfo, PromotionOutcome

PAGE = "indexes"
BUILD_JOB = f"{PAGE}_build_job"
PREFERRED_METRICS = ("nDCG@10", "recall@10", "MRR@10", "recall@5")  # charted first when evaluated
api = session.client()


def run_url(v: IndexVersionInfo) -> str:
    return v.mlflow_run_url or f"{session.console_settings().mlflow_ui_url.rstrip('/')}/#/runs/{v.run_id}"


def figures(v: IndexVersionInfo) -> dict[str, float]:
    """Build metrics and evaluation results of one version, by the name the chart shows."""
    return {**{k: v.metrics[k] for k in sorted(v.metrics)}, **evaluation_values(v.evaluations)}


def verdict(outcome: PromotionOutcome, action: str) -> None:
    moved = f"production v{outcome.previous or '–'} → v{outcome.version}"
    if not outcome.accepted:
        flash(
            PAGE,
            "error",
            f"The gate refused v{outcome.version}: {outcome.reason}. Production stays on "
            f"v{outcome.previous or '–'}. Tick “force” to promote it anyway (recorded as forced).",
        )
    else:
        flash(PAGE, "success", f"{action}: {moved} (verdict: {outcome.verdict}). {outcome.reason}")


def versions_table(versions: list[IndexVersionInfo]) -> None:
    rows = []
    for v in versions:
        row: dict[str, object] = {
            "version": v.version,
            "serving": "production" if v.is_production else "",
            "name": v.name,
            "created": v.created_at,
            **{k: v.metrics.get(k) for k in ("documents", "chunks")},
            **{
                k: x
                for k, x in evaluation_values(v.evaluations).items()
                if k.split(" (")[0] in PREFERRED_METRICS
            },
            "last verdict": v.promotion.get("verdict", ""),
            "MLflow run": run_url(v),
        }
        rows.append(row)
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        column_config={"MLflow run": st.column_config.LinkColumn("MLflow run", display_text="open run")},
    )


def compare(versions: list[IndexVersionInfo]) -> None:
    st.subheader("Compare versions")
    table = pd.DataFrame({f"v{v.version}": figures(v) for v in reversed(versions)}).T
    evaluated = [c for c in table.columns if "(" in c]
    quality = [c for c in evaluated if c.split(" (")[0] in PREFERRED_METRICS]
    default = quality[:3] or evaluated[:3] or [c for c in ("chunks",) if c in table.columns]
    chosen = st.multiselect("Metrics", list(table.columns), default=default, key=f"{PAGE}_chart_metrics")
    if chosen:
        data = table[chosen].rename_axis("version").reset_index()
        st.bar_chart(data, x="version", y=chosen, stack=False)
    else:
        st.caption("Choose one or more metrics to compare.")


def details(v: IndexVersionInfo) -> None:
    st.markdown(
        f"**v{v.version}** · {v.name} · {', '.join(v.aliases) or 'no alias'} · "
        f"built {v.created_at:%Y-%m-%d %H:%M} UTC · collection `{v.collection}`"
    )
    links = st.columns(4)
    links[0].link_button("Run in MLflow", run_url(v), icon=":material/open_in_new:")
    if v.mlflow_version_url:
        links[1].link_button("Model version in MLflow", v.mlflow_version_url, icon=":material/open_in_new:")
    spec, numbers = st.columns(2)
    with spec:
        st.markdown("**Spec**")
        st.json(v.spec, expanded=1)
    with numbers:
        st.markdown("**Build**")
        st.dataframe(
            pd.DataFrame([{"metric": k, "value": v.metrics[k]} for k in sorted(v.metrics)]), hide_index=True
        )
        st.markdown("**Evaluations**")
        evaluations = evaluation_table(v.evaluations)
        if evaluations.empty:
            st.caption("Not evaluated yet (the gate evaluates it when it is promoted).")
        else:
            st.dataframe(evaluations, hide_index=True)
        if v.promotion:
            st.markdown("**Last gate verdict**")
            st.json(v.promotion)


def promotion(versions: list[IndexVersionInfo], production: IndexVersionInfo | None) -> None:
    st.subheader("Promote or roll back")
    candidates = [v.version for v in versions if not v.is_production]
    serving = f"v{production.version}" if production else "nothing"
    st.caption(f"Production serves {serving}. The API follows the alias within seconds, without a restart.")
    promote, rollback = st.columns(2)
    with promote, st.container(border=True):
        if not candidates:
            st.caption("No other version to promote: start a rebuild below.")
        else:
            target = st.selectbox(
                "Version to promote", candidates, format_func=lambda x: f"v{x}", key=f"{PAGE}_promote_version"
            )
            force = st.checkbox(
                "Force (promote even if the gate refuses; recorded)", key=f"{PAGE}_promote_force"
            )
            reason = st.text_input("Reason (recorded on the version)", key=f"{PAGE}_promote_reason")
            prompt = (
                f"Move production from {serving} to v{target}? The promotion gate first compares both "
                "versions on the evaluation set; a regression is refused"
                + (" but promoted anyway, as forced." if force else ".")
            )
            if confirm_button(
                "Promote…", f"{PAGE}_promote_{target}", prompt, confirm_label=f"Yes, promote v{target}"
            ):
                with st.spinner("The gate is evaluating…"):
                    outcome = calls.attempt(
                        session.client(slow=True).promote, target, force=force, reason=reason
                    )
                if outcome is not None:
                    verdict(outcome, "Promoted")
                    st.rerun()
    with rollback, st.container(border=True):
        st.caption("Roll back: production goes back to the version it served before.")
        prompt = f"Roll production back from {serving} to the version before it?"
        if confirm_button("Roll back…", f"{PAGE}_rollback", prompt, confirm_label="Yes, roll back"):
            outcome = calls.attempt(session.client(slow=True).rollback)
            if outcome is not None:
                verdict(outcome, "Rolled back")
                st.rerun()


def show_job(job: BuildJob) -> None:
    share = min(job.done / job.total, 1.0) if job.total else 0.0
    st.progress(share, text=f"build {job.status}: {job.stage or 'waiting'} {job.done}/{job.total}")
    if job.status == "succeeded":
        promoted = " and promoted it (it serves now)." if job.promoted else ". Promote it above to serve it."
        st.success(f"Built v{job.version}{promoted}", icon=":material/check:")
    elif job.status == "failed":
        st.error(f"The build failed: {job.error}", icon=":material/error:")


@st.fragment(run_every=1.0)
def follow_build(job_id: str) -> None:
    """Polls the job every second while it runs; when it ends the whole page reruns (new version)."""
    job = calls.attempt(api.build_job, job_id)
    if job is None:
        return
    if job.finished:
        st.rerun(scope="app")
    show_job(job)


def rebuild() -> None:
    st.subheader("Rebuild")
    st.caption(
        "Builds a new version with production's spec from the current content (FAQ items, contacts, events and "
        "the corpus). It does not serve until promoted."
    )
    promote_after = st.checkbox(
        "Promote it when the build succeeds (through the gate)", key=f"{PAGE}_build_promote"
    )
    if st.button("Start rebuild", icon=":material/construction:", key=f"{PAGE}_build_start"):
        started = calls.attempt(api.start_build, promote=promote_after)
        if started is not None:
            st.session_state[BUILD_JOB] = started.job_id
    job_id = st.session_state.get(BUILD_JOB)
    if not job_id:
        return
    job = calls.attempt(api.build_job, job_id)
    if job is None:  # e.g. the API restarted and forgot it
        st.session_state.pop(BUILD_JOB, None)
    elif not job.finished:
        follow_build(job_id)
    else:
        show_job(job)
        if st.button("Done", key=f"{PAGE}_build_done"):
            st.session_state.pop(BUILD_JOB, None)
            st.rerun()


st.title("Indexes")
show_flashes(PAGE)
all_versions = calls.fetch(api.list_indexes)
current = next((v for v in all_versions if v.is_production), None)
if not all_versions:
    st.info("No index version yet: start a build below.", icon=":material/info:")
else:
    versions_table(all_versions)
    compare(all_versions)
    st.subheader("Version details")
    by_version = {v.version: v for v in all_versions}
    shown = st.selectbox(
        "Version",
        list(by_version),
        format_func=lambda x: f"v{x}" + (" (production)" if by_version[x].is_production else ""),
        key=f"{PAGE}_details_version",
    )
    details(by_version[shown])
    promotion(all_versions, current)
rebuild()
