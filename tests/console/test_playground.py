"""Playground page: what it shows for a question is what the API's playground answers, with the
chosen retrieval parameters."""

from __future__ import annotations

import uuid

from console_support import assert_clean, console, open_page, page_text, submit
from streamlit.testing.v1 import AppTest

from ragplatform.client import RagClient

ANSWERABLE = "Who was the inventor of the atmospheric engine?"


def ask(at: AppTest, question: str, **params: object) -> AppTest:
    at.text_area(key="playground_question").input(question)
    for name, value in params.items():
        widget = {"mode": at.selectbox, "fusion": at.selectbox, "top_k": at.number_input}.get(name, at.slider)
        widget(key=f"playground_{name}").set_value(value)
    submit(at, "playground_form", "Ask")
    assert_clean(at)
    return at


def test_retrieved_chunks_answer_citations_and_timings(admin_token: str, api: RagClient) -> None:
    at = ask(open_page(console(admin_token), "playground"), ANSWERABLE, mode="dense", top_k=3, threshold=0.9)
    expected = api.playground(ANSWERABLE, mode="dense", top_k=3, distance_threshold=0.9)
    chunks = at.dataframe[0].value
    assert list(chunks["source"]) == [c.source for c in expected.chunks] and len(chunks) == 3
    assert [round(s, 6) for s in chunks["score"]] == [round(c.score, 6) for c in expected.chunks]
    text = page_text(at)
    assert expected.answer in text
    assert f"`{expected.citations[0].source}`" in text and "[1]" in text
    assert "dense, top_k 3" in text and "threshold 0.9" in text
    assert {m.label for m in at.metric} >= {"embed", "search", "generate", "total"}


def test_an_faq_item_answers_directly(admin_token: str, api: RagClient) -> None:
    marker = uuid.uuid4().hex[:8]
    faq = api.create_faq(
        f"When does the glimmering ferry {marker} sail?", f"The ferry {marker} sails at dawn."
    )
    at = ask(open_page(console(admin_token), "playground"), faq.question)
    text = page_text(at)
    assert f"Answered directly by FAQ item #{faq.id}" in text
    assert f"The ferry {marker} sails at dawn." in text
    assert "Retrieved chunks (0)" in text


def test_a_zero_threshold_leaves_nothing_relevant(admin_token: str) -> None:
    at = ask(open_page(console(admin_token), "playground"), ANSWERABLE, mode="dense", threshold=0.0)
    assert "Nothing relevant was retrieved" in page_text(at)
    chunks = at.dataframe[0].value
    assert not chunks["relevant"].any()
