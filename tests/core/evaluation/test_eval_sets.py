"""Evaluation-set loaders on small files written here and on the real public data in shared/data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ragplatform.errors import InvalidInput, NotFound
from ragplatform.evaluation import (
    EvalSet,
    load_beir,
    load_jsonl,
    load_squad,
    slice_beir_corpus,
    split,
    squad_paragraph_id,
    write_squad_corpus,
)
from ragplatform.ingest.readers import load_path

REPO = Path(__file__).resolve().parents[3]
SHARED = REPO.parent / "shared" / "data"
SCIFACT = SHARED / "scifact"
SQUAD = SHARED / "squad-v1.1" / "dev-v1.1.json"


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_demo_set_loads_with_every_field() -> None:
    demo = load_jsonl(REPO / "evals" / "demo.jsonl")
    assert demo.name == "demo" and len(demo) == 37
    first = demo.items[0]
    assert first.question == "When is the first reference in history to Warsaw?"
    assert first.reference_answer == "1313"
    assert first.relevant_doc_ids == ("warsaw.md",)
    assert first.tags == ("squad", "warsaw")
    assert first.grades == {"warsaw.md": 1}
    assert first.gold_answers == ("1313",)


def test_jsonl_optional_fields_and_graded_qrels(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "mine.jsonl",
        [
            json.dumps({"id": 1, "question": " Who? ", "qrels": {"a.md": 2, "b.md": 0}}),
            "",
            json.dumps(
                {
                    "id": "q2",
                    "question": "What?",
                    "reference_answer": None,
                    "relevant_doc_ids": [],
                    "answers": ["x", "y"],
                    "reference_contexts": ["x is y"],
                }
            ),
        ],
    )
    got = load_jsonl(path)
    assert got.name == "mine"
    one, two = got.items
    assert (one.id, one.question, one.relevant_doc_ids) == ("1", "Who?", ("a.md",))
    assert one.grades == {"a.md": 2, "b.md": 0}
    assert two.reference_answer is None and two.gold_answers == ("x", "y")
    assert two.reference_contexts == ("x is y",)
    assert got.qrels == {"1": {"a.md": 2, "b.md": 0}, "q2": {}}


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (['{"id": "a", "question": "ok"}', "{not json"], r"bad\.jsonl:2: not valid JSON"),
        (['{"id": "a"}'], r"bad\.jsonl:1: 'question' must be a non-empty string"),
        (
            ['{"id": "a", "question": "q", "relevant_doc_ids": "x.md"}'],
            r":1: 'relevant_doc_ids' must be a list",
        ),
        (
            ['{"id": "a", "question": "q"}', "", '{"id": "a", "question": "r"}'],
            r":3: duplicate id 'a' \(first on line 1\)",
        ),
        (
            ['{"id": "a", "question": "q", "reference_answer": 3}'],
            r"'reference_answer' must be a string or null",
        ),
        (
            ['{"id": "a", "question": "q", "qrels": {"d": "high"}}'],
            r"'qrels' must map document ids to integer",
        ),
        (["[1, 2]"], r":1: expected a JSON object"),
        ([""], r"no questions in the file"),
    ],
)
def test_malformed_jsonl_names_the_line(tmp_path: Path, lines: list[str], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        load_jsonl(write_lines(tmp_path / "bad.jsonl", lines))


def test_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="does not exist"):
        load_jsonl(tmp_path / "nope.jsonl")


def make_beir(root: Path, qrels: list[str]) -> Path:
    (root / "qrels").mkdir(parents=True)
    write_lines(
        root / "queries.jsonl",
        [json.dumps({"_id": q, "text": f"claim {q}"}) for q in ("1", "2", "3")],
    )
    write_lines(root / "qrels" / "dev.tsv", qrels)
    return root


def test_beir_split_keeps_graded_judgements_and_skips_unjudged_queries(tmp_path: Path) -> None:
    root = make_beir(tmp_path / "mini", ["query-id\tcorpus-id\tscore", "1\tdA\t2", "1\tdB\t0", "3\tdC\t1"])
    got = load_beir(root, split="dev")
    assert got.name == "mini-dev"
    assert [i.id for i in got.items] == ["1", "3"]
    assert got.items[0].grades == {"dA": 2, "dB": 0}
    assert got.items[0].relevant_doc_ids == ("dA",)
    assert got.items[0].question == "claim 1"
    assert load_beir(root, split="dev", limit=1).name == "mini-dev-1"


def test_beir_errors_name_the_split_and_the_line(tmp_path: Path) -> None:
    root = make_beir(tmp_path / "mini", ["1\tdA\t1", "2\tdB\tvery"])
    with pytest.raises(InvalidInput, match=r"dev\.tsv:2: score must be an integer, got 'very'"):
        load_beir(root, split="dev")
    with pytest.raises(NotFound, match=r"no judgements for split 'test'.*splits available: dev"):
        load_beir(root, split="test")
    with pytest.raises(NotFound, match="does not exist"):
        load_beir(tmp_path / "missing")
    with pytest.raises(InvalidInput, match="limit must be at least 1"):
        load_beir(root, split="dev", limit=0)


@pytest.mark.skipif(not SCIFACT.is_dir(), reason="shared/data/scifact is not present")
def test_scifact_train_slice() -> None:
    got = load_beir(SCIFACT, split="train", limit=20)
    assert got.name == "scifact-train-20" and len(got) == 20
    first = got.items[0]
    assert first.id == "0"
    assert first.question == "0-dimensional biomaterials lack inductive properties."
    assert first.grades == {"31715818": 1}
    assert all(item.relevant_doc_ids for item in got.items)
    assert all(set(item.grades.values()) == {1} for item in got.items)


@pytest.mark.skipif(not SQUAD.is_file(), reason="shared/data/squad-v1.1 is not present")
def test_squad_slice_has_gold_answers_and_paragraph_ids(tmp_path: Path) -> None:
    got = load_squad(SQUAD, limit=5)
    assert got.name == "squad-dev-v1.1-5" and len(got) == 5
    first = got.items[0]
    assert first.question == "Which NFL team represented the AFC at Super Bowl 50?"
    assert first.reference_answer == "Denver Broncos"
    assert first.gold_answers == ("Denver Broncos",)
    assert first.relevant_doc_ids == (squad_paragraph_id("Super_Bowl_50", 0),) == ("Super_Bowl_50#0",)
    assert "Super Bowl 50" in first.reference_contexts[0]

    # The corpus written from the same file names each paragraph with the id load_squad expects.
    corpus = tmp_path / "squad" / "corpus.jsonl"
    assert write_squad_corpus(SQUAD, corpus, titles=["Super_Bowl_50"]) == 54
    docs = load_path(corpus.parent)
    assert docs[0].metadata["record_id"] == "Super_Bowl_50#0"
    assert docs[0].metadata["title"] == "Super Bowl 50"


def test_squad_shape_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"version": "1.1"}))
    with pytest.raises(InvalidInput, match="'data' list of articles"):
        load_squad(bad)
    bad.write_text('{"data": [\n{"title": "A", "paragraphs": [{"qas": []}]}]}')
    with pytest.raises(InvalidInput, match="'A' paragraph 0 needs 'context' and 'qas'"):
        load_squad(bad)
    bad.write_text('{"data": [\n oops')
    with pytest.raises(InvalidInput, match=r"bad\.json:2: not valid JSON"):
        load_squad(bad)


def test_split_is_reproducible_disjoint_and_complete() -> None:
    demo = load_jsonl(REPO / "evals" / "demo.jsonl")
    fit, val = split(demo, 0.2, seed=7)
    assert (fit.name, val.name) == ("demo-fit", "demo-validation")
    assert len(val) == 7 and len(fit) == 30
    assert {i.id for i in fit} | {i.id for i in val} == {i.id for i in demo}
    assert not {i.id for i in fit} & {i.id for i in val}
    assert split(demo, 0.2, seed=7) == (fit, val)
    assert split(demo, 0.2, seed=8)[1] != val
    with pytest.raises(InvalidInput, match="validation_fraction must be between 0 and 1"):
        split(demo, 1.0)
    with pytest.raises(InvalidInput, match="a split needs at least 2"):
        split(EvalSet("one", demo.items[:1]), 0.5)
    assert demo.head(5).name == "demo-5" and len(demo.head(5)) == 5


def test_beir_corpus_slice_keeps_judged_records_plus_the_first_others(tmp_path: Path) -> None:
    src = tmp_path / "beir"
    src.mkdir()
    records = [{"_id": str(i), "title": f"t{i}", "text": f"text {i}"} for i in range(10)]
    (src / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    dest = tmp_path / "slice" / "corpus.jsonl"
    judged, total = slice_beir_corpus(src, dest, keep={"7", "9", "missing"}, others=2)
    assert (judged, total) == (2, 4)
    ids = [json.loads(line)["_id"] for line in dest.read_text().splitlines()]
    assert ids == ["0", "1", "7", "9"]
    before = dest.stat().st_mtime_ns
    slice_beir_corpus(src, dest, keep={"7", "9"}, others=2)
    assert dest.stat().st_mtime_ns == before  # unchanged content is not rewritten
    with pytest.raises(NotFound, match="does not exist"):
        slice_beir_corpus(tmp_path / "nowhere", dest, keep=set(), others=1)
