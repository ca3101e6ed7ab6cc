"""Overview: is every engine healthy, which index serves, and how today is going."""

from __future__ import annotations

import streamlit as st

from ragconsole import calls, session
from ragconsole.formatting import evaluation_table, ms, percent

st.title("Overview")
api = session.client()
if st.button("Refresh", icon=":material/refresh:", key="overview_refresh"):
    st.rerun()
overview = calls.fetch(api.overview)

if overview.status == "healthy":
    st.success("Every engine is healthy.", icon=":material/check_circle:")
else:
    down = [name for name, engine in overview.engines.items() if engine.status != "healthy"]
    st.warning(f"Degraded: {', '.join(down)} not available.", icon=":material/warning:")

st.subheader(f"Today ({overview.day:%Y-%m-%d}, UTC)")
questions, unanswered, p50, p95, queue = st.columns(5)
questions.metric("Questions today", overview.questions_today)
unanswered.metric(
    "Unanswered today",
    overview.unanswered_today,
    help=f"{percent(overview.unanswered_rate_today)} of today's",
)
p50.metric("Latency p50", ms(overview.latency_p50_ms_today))
p95.metric("Latency p95", ms(overview.latency_p95_ms_today))
queue.metric(
    "Unanswered queue", overview.open_unanswered, help="questions waiting for an answer (Sessions page)"
)

st.subheader("Engines")
engine_columns = st.columns(max(len(overview.engines), 1))
for column, (role, engine) in zip(engine_columns, overview.engines.items(), strict=False):
    with column, st.container(border=True):
        icon = ":material/check_circle:" if engine.status == "healthy" else ":material/error:"
        st.markdown(f"{icon} **{role.replace('_', ' ')}**")
        st.caption(engine.engine)
        if engine.detail:
            st.caption(engine.detail)

st.subheader("Serving index")
serving = overview.serving
if serving is None:
    st.warning(
        "No index version is in production: the API cannot answer from an index. "
        "Build and promote one on the Indexes page.",
        icon=":material/warning:",
    )
else:
    st.markdown(f"**v{serving.version}** · {serving.name} · built {serving.created_at:%Y-%m-%d %H:%M} UTC")
    if serving.mlflow_run_url:
        st.link_button("Build run in MLflow", serving.mlflow_run_url, icon=":material/open_in_new:")
    build = st.columns(4)
    for column, key in zip(
        build, ("documents", "chunks", "build_seconds", "embed_chunks_per_s"), strict=False
    ):
        if key in serving.metrics:
            column.metric(key.replace("_", " "), f"{serving.metrics[key]:.4g}")
    evaluations = evaluation_table(serving.evaluations)
    if evaluations.empty:
        st.caption("No evaluation recorded for this version yet.")
    else:
        st.dataframe(evaluations, hide_index=True)
