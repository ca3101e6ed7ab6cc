"""Playground: ask the serving index with adjustable retrieval parameters and see what it retrieved
(scores, sources), the answer with its citations, and the time each step took. Nothing is stored."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ragconsole import calls, session
from ragconsole.formatting import ms
from ragplatform.client import FusionName, PlaygroundResult, SearchModeName

PAGE = "playground"
RESULT = f"{PAGE}_result"
MODES: dict[str, SearchModeName] = {"hybrid": "hybrid", "dense": "dense", "keyword": "keyword"}
FUSIONS: dict[str, FusionName] = {"rrf": "rrf", "alpha": "alpha"}
api = session.client()


def answer(result: PlaygroundResult) -> None:
    st.subheader("Answer")
    if result.answered_from_faq:
        st.info(f"Answered directly by FAQ item #{result.faq_id}.", icon=":material/quiz:")
    elif result.unanswered:
        st.warning(
            "Nothing relevant was retrieved within the distance threshold: the assistant says it does not know.",
            icon=":material/help:",
        )
    with st.container(border=True):
        st.markdown(result.answer)
    for n, c in enumerate(result.citations, 1):
        where = f" · {c.section}" if c.section else ""
        st.caption(f"[{n}] {c.title or c.source}{where} — `{c.source}` · score {c.score:.3f}")
    st.caption(
        f"index v{result.index_version or '–'} · {result.source} · generator {result.generator} · "
        f"{result.mode}, top_k {result.top_k}, fusion {result.fusion}"
        + (f", alpha {result.alpha:g}" if result.alpha is not None else "")
        + f", threshold {result.distance_threshold:g}"
    )


def timings(result: PlaygroundResult) -> None:
    st.subheader("Time per step")
    t = result.timings
    steps = {"embed": t.embed_ms, "search": t.search_ms, "generate": t.generate_ms}
    cols = st.columns(4)
    for col, (step, value) in zip(cols, steps.items(), strict=False):
        col.metric(step, ms(value))
    cols[3].metric("total", ms(t.total_ms))
    st.bar_chart(
        pd.DataFrame({"step": list(steps), "ms": list(steps.values())}), x="step", y="ms", horizontal=True
    )


def chunks(result: PlaygroundResult) -> None:
    st.subheader(f"Retrieved chunks ({len(result.chunks)})")
    if not result.chunks:
        st.caption(
            "None: the FAQ answered before the index was searched." if result.answered_from_faq else "None."
        )
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "rank": c.rank,
                    "score": c.score,
                    "distance": c.distance,
                    "relevant": c.relevant,
                    "source": c.source,
                    "title": c.title,
                    "section": c.section,
                    "text": c.text,
                }
                for c in result.chunks
            ]
        ),
        hide_index=True,
        column_config={"text": st.column_config.TextColumn("text", width="large")},
    )
    for c in result.chunks:
        mark = "✓" if c.relevant else "✗"
        with st.expander(f"{c.rank}. {mark} {c.title or c.source} · score {c.score:.3f}"):
            st.caption(f"`{c.source}` {c.section} · chunk {c.chunk_id}")
            st.write(c.text)


st.title("Playground")
serving = calls.fetch(api.health).get("index") or {}
st.caption(
    f"Asks the serving index (v{serving.get('version', '–')}) as a user would, with the retrieval parameters "
    "below. Nothing is stored: no session, no metrics, no unanswered item."
)
with st.form(f"{PAGE}_form"):
    question = st.text_area("Question", key=f"{PAGE}_question", placeholder="Ask what a user would ask…")
    mode_col, k_col, fusion_col, alpha_col, threshold_col = st.columns(5)
    mode = MODES[mode_col.selectbox("Mode", list(MODES), key=f"{PAGE}_mode")]
    top_k = k_col.number_input("top_k", min_value=1, max_value=100, value=4, key=f"{PAGE}_top_k")
    fusion = FUSIONS[fusion_col.selectbox("Fusion (hybrid)", list(FUSIONS), key=f"{PAGE}_fusion")]
    alpha = alpha_col.slider(
        "alpha (hybrid, alpha fusion)",
        0.0,
        1.0,
        0.5,
        0.05,
        key=f"{PAGE}_alpha",
        help="1 = dense only, 0 = keyword only",
    )
    threshold = threshold_col.slider(
        "Distance threshold",
        0.0,
        2.0,
        0.75,
        0.05,
        key=f"{PAGE}_threshold",
        help="chunks farther than this are not relevant",
    )
    asked = st.form_submit_button("Ask", type="primary", icon=":material/send:")

if asked:
    if not question.strip():
        st.error("Write a question first.", icon=":material/edit:")
    else:
        with st.spinner("Retrieving and answering…"):
            result = calls.attempt(
                api.playground,
                question.strip(),
                mode=mode,
                top_k=int(top_k),
                alpha=alpha if mode == "hybrid" and fusion == "alpha" else None,
                fusion=fusion if mode == "hybrid" else None,
                distance_threshold=threshold,
            )
        if result is not None:
            st.session_state[RESULT] = result

shown: PlaygroundResult | None = st.session_state.get(RESULT)
if shown is not None:
    st.caption(f"Question: {shown.question}")
    answer(shown)
    timings(shown)
    chunks(shown)
