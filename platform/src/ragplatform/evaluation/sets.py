"""Evaluation sets: questions with the documents that answer them, read where they lie.

Three sources, one shape (``EvalSet`` of ``EvalItem``):

- ``load_jsonl``: the documented format of ``evals/*.jsonl`` (see ``evals/README.md``).
- ``load_beir``: a BEIR directory (``queries*.jsonl`` + ``qrels/<split>.tsv``), graded
  relevance kept; the corpus itself is not read (it is indexed, not evaluated).
- ``load_squad``: a SQuAD v1.1 JSON file; each question's relevant document is its
  paragraph, named by ``squad_paragraph_id`` (the ``_id`` that ``write_squad_corpus``
  gives the paragraph when it writes the corpus).
"""

from __future__ import annotations

import csv
import json
import random
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ragplatform.errors import InvalidInput, NotFound


@dataclass(frozen=True)
class EvalItem:
    """One question. ``qrels`` maps document ids to graded relevance (BEIR: 0 = judged not
    relevant); without grades every id in ``relevant_doc_ids`` has grade 1. ``answers`` holds
    every gold answer (SQuAD has several); ``reference_contexts`` the gold passages' text, for
    ragas' non-LLM context recall."""

    id: str
    question: str
    reference_answer: str | None = None
    relevant_doc_ids: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    qrels: Mapping[str, int] = field(default_factory=dict)
    answers: tuple[str, ...] = ()
    reference_contexts: tuple[str, ...] = ()

    @property
    def grades(self) -> dict[str, int]:
        """Graded relevance of every judged document (grade 1 for plain relevant ids)."""
        if self.qrels:
            return dict(self.qrels)
        return dict.fromkeys(self.relevant_doc_ids, 1)

    @property
    def gold_answers(self) -> tuple[str, ...]:
        if self.answers:
            return self.answers
        return (self.reference_answer,) if self.reference_answer else ()


@dataclass(frozen=True)
class EvalSet:
    """A named list of questions. The name keys recorded results (version tags
    ``eval.<name>.<metric>``), so a set with a different slice gets a different name."""

    name: str
    items: tuple[EvalItem, ...]
    source: str = ""

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[EvalItem]:
        return iter(self.items)

    def head(self, n: int) -> EvalSet:
        """The first ``n`` questions, as a set of its own name (``<name>-<n>``), for small runs."""
        if n < 1:
            raise InvalidInput(f"n must be at least 1, got {n}", field="n", value=n)
        if n >= len(self.items):
            return self
        return replace(self, name=f"{self.name}-{n}", items=self.items[:n])

    @property
    def qrels(self) -> dict[str, dict[str, int]]:
        return {item.id: item.grades for item in self.items}


def safe_name(name: str) -> str:
    """A name usable in MLflow tag keys and run names."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.")
    return cleaned or "evalset"


def _str_list(value: Any, what: str, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(f"{where}: {what} must be a list of strings, got {value!r}", field=what.strip("'"))
    return tuple(value)


def _item_from_record(record: Any, where: str) -> EvalItem:
    if not isinstance(record, dict):
        raise InvalidInput(f"{where}: expected a JSON object, got {type(record).__name__}")
    qid, question = record.get("id"), record.get("question")
    if not isinstance(qid, str | int) or isinstance(qid, bool) or str(qid).strip() == "":
        raise InvalidInput(f"{where}: 'id' must be a non-empty string, got {qid!r}", field="id", value=qid)
    if not isinstance(question, str) or not question.strip():
        raise InvalidInput(
            f"{where}: 'question' must be a non-empty string, got {question!r}",
            field="question",
            value=question,
        )
    reference = record.get("reference_answer")
    if reference is not None and not isinstance(reference, str):
        raise InvalidInput(
            f"{where}: 'reference_answer' must be a string or null, got {reference!r}",
            field="reference_answer",
            value=reference,
        )
    qrels_raw = record.get("qrels") or {}
    if not isinstance(qrels_raw, dict) or not all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) for k, v in qrels_raw.items()
    ):
        raise InvalidInput(
            f"{where}: 'qrels' must map document ids to integer grades, got {qrels_raw!r}", field="qrels"
        )
    relevant = _str_list(record.get("relevant_doc_ids"), "'relevant_doc_ids'", where)
    if qrels_raw and not relevant:
        relevant = tuple(d for d, g in qrels_raw.items() if g > 0)
    return EvalItem(
        id=str(qid),
        question=question.strip(),
        reference_answer=reference,
        relevant_doc_ids=relevant,
        tags=_str_list(record.get("tags"), "'tags'", where),
        qrels=dict(qrels_raw),
        answers=_str_list(record.get("answers"), "'answers'", where),
        reference_contexts=_str_list(record.get("reference_contexts"), "'reference_contexts'", where),
    )


def _read_jsonl(path: Path) -> Iterator[tuple[int, Any]]:
    """(line number, parsed object) for every non-blank line; InvalidInput names the bad line."""
    try:
        handle = path.open(encoding="utf-8")
    except FileNotFoundError:
        raise NotFound(f"evaluation file {path} does not exist") from None
    with handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                raise InvalidInput(f"{path}:{number}: not valid JSON ({exc.msg})") from None


def load_jsonl(path: Path | str, name: str | None = None) -> EvalSet:
    """An evaluation set in the ``evals/`` format (one JSON object per line).

    Raises NotFound (no such file), InvalidInput (bad JSON, a missing or mistyped field,
    a duplicate id, an empty file), each naming the file and line.
    """
    path = Path(path)
    items: list[EvalItem] = []
    seen: dict[str, int] = {}
    for number, record in _read_jsonl(path):
        where = f"{path}:{number}"
        item = _item_from_record(record, where)
        if item.id in seen:
            raise InvalidInput(
                f"{where}: duplicate id {item.id!r} (first on line {seen[item.id]})",
                field="id",
                value=item.id,
            )
        seen[item.id] = number
        items.append(item)
    if not items:
        raise InvalidInput(f"{path}: no questions in the file")
    return EvalSet(safe_name(name or path.stem), tuple(items), str(path))


# -- BEIR -----------------------------------------------------------------------


def _beir_queries(root: Path, split: str) -> Path:
    for candidate in (
        root / f"queries.{split}.jsonl",
        root / f"queries-{split}.jsonl",
        root / "queries.jsonl",
    ):
        if candidate.is_file():
            return candidate
    found = sorted(p.name for p in root.glob("queries*.jsonl"))
    raise NotFound(
        f"no queries for split {split!r} in {root}: expected queries.{split}.jsonl or queries.jsonl"
        + (f" (found {', '.join(found)})" if found else "")
    )


def _beir_qrels(path: Path) -> dict[str, dict[str, int]]:
    """``query-id<TAB>corpus-id<TAB>score`` lines; a header line is skipped."""
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.reader(handle, delimiter="\t"), 1):
            if not row or not "".join(row).strip():
                continue
            if len(row) < 3:
                raise InvalidInput(
                    f"{path}:{number}: expected query-id<TAB>corpus-id<TAB>score, got {len(row)} column(s)"
                )
            qid, doc_id, score = row[0].strip(), row[1].strip(), row[2].strip()
            try:
                grade = int(float(score))
            except ValueError:
                if number == 1:  # the header line
                    continue
                raise InvalidInput(
                    f"{path}:{number}: score must be an integer, got {score!r}", field="score", value=score
                ) from None
            qrels.setdefault(qid, {})[doc_id] = grade
    return qrels


def load_beir(
    directory: Path | str, split: str = "train", limit: int | None = None, name: str | None = None
) -> EvalSet:
    """The judged queries of one BEIR split, in the queries file's order, ``limit`` first.

    Reads ``queries.<split>.jsonl`` (or ``queries.jsonl``) and ``qrels/<split>.tsv``;
    queries without judgements are left out (BEIR does the same). Document ids are the
    corpus ``_id`` values, which the index keeps as each record's ``record_id``.
    Raises NotFound (directory, queries or qrels file missing), InvalidInput (malformed line).
    """
    root = Path(directory)
    if limit is not None and limit < 1:
        raise InvalidInput(f"limit must be at least 1, got {limit}", field="limit", value=limit)
    if not root.is_dir():
        raise NotFound(f"BEIR directory {root} does not exist")
    qrels_path = root / "qrels" / f"{split}.tsv"
    if not qrels_path.is_file():
        splits = sorted(p.stem for p in (root / "qrels").glob("*.tsv"))
        raise NotFound(
            f"no judgements for split {split!r}: {qrels_path} does not exist"
            + (f" (splits available: {', '.join(splits)})" if splits else "")
        )
    qrels = _beir_qrels(qrels_path)
    queries_path = _beir_queries(root, split)
    items: list[EvalItem] = []
    for number, record in _read_jsonl(queries_path):
        where = f"{queries_path}:{number}"
        if not isinstance(record, dict) or "_id" not in record or not isinstance(record.get("text"), str):
            raise InvalidInput(f"{where}: a BEIR query needs '_id' and 'text'")
        qid = str(record["_id"])
        grades = qrels.get(qid)
        if not grades:
            continue
        items.append(
            EvalItem(
                id=qid,
                question=record["text"].strip(),
                relevant_doc_ids=tuple(d for d, g in grades.items() if g > 0),
                tags=("beir", root.name, split),
                qrels=grades,
            )
        )
        if limit is not None and len(items) >= limit:
            break
    if not items:
        raise InvalidInput(f"{queries_path}: no query has judgements in {qrels_path}")
    default = f"{root.name}-{split}" + (f"-{limit}" if limit else "")
    return EvalSet(safe_name(name or default), tuple(items), str(root))


# -- SQuAD ----------------------------------------------------------------------


def squad_paragraph_id(title: str, index: int) -> str:
    """The document id of a SQuAD paragraph: article title and the paragraph's position in
    the article, e.g. ``Super_Bowl_50#0``."""
    return f"{title}#{index}"


def _squad_articles(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotFound(f"SQuAD file {path} does not exist") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    articles = data.get("data") if isinstance(data, dict) else None
    if not isinstance(articles, list):
        raise InvalidInput(f"{path}: expected a SQuAD object with a 'data' list of articles", field="data")
    return articles


def load_squad(path: Path | str, limit: int | None = None, name: str | None = None) -> EvalSet:
    """SQuAD v1.1 questions with every gold answer; the relevant document is the paragraph
    (``squad_paragraph_id``), whose text is the item's reference context.

    Raises NotFound, InvalidInput (not SQuAD-shaped; names the article and paragraph).
    """
    path = Path(path)
    if limit is not None and limit < 1:
        raise InvalidInput(f"limit must be at least 1, got {limit}", field="limit", value=limit)
    items: list[EvalItem] = []
    for a_index, article in enumerate(_squad_articles(path)):
        title = str(article.get("title", f"article-{a_index}"))
        paragraphs = article.get("paragraphs")
        if not isinstance(paragraphs, list):
            raise InvalidInput(
                f"{path}: article {a_index} ({title!r}) has no 'paragraphs' list", field="paragraphs"
            )
        for p_index, paragraph in enumerate(paragraphs):
            context, qas = paragraph.get("context"), paragraph.get("qas")
            if not isinstance(context, str) or not isinstance(qas, list):
                raise InvalidInput(f"{path}: {title!r} paragraph {p_index} needs 'context' and 'qas'")
            doc_id = squad_paragraph_id(title, p_index)
            for qa in qas:
                answers = tuple(dict.fromkeys(a["text"] for a in qa.get("answers", []) if a.get("text")))
                items.append(
                    EvalItem(
                        id=str(qa["id"]),
                        question=str(qa["question"]).strip(),
                        reference_answer=answers[0] if answers else None,
                        relevant_doc_ids=(doc_id,),
                        tags=("squad", title),
                        answers=answers,
                        reference_contexts=(context,),
                    )
                )
                if limit is not None and len(items) >= limit:
                    return EvalSet(safe_name(name or f"squad-{path.stem}-{limit}"), tuple(items), str(path))
    if not items:
        raise InvalidInput(f"{path}: no questions in the file")
    return EvalSet(safe_name(name or f"squad-{path.stem}"), tuple(items), str(path))


def write_squad_corpus(path: Path | str, out: Path | str, titles: Sequence[str] | None = None) -> int:
    """Writes the paragraphs of a SQuAD file as a BEIR-style ``corpus.jsonl`` (``_id`` =
    ``squad_paragraph_id``, ``title``, ``text``), optionally only some articles; returns how
    many paragraphs. Indexed, each paragraph's ``record_id`` is the id ``load_squad`` expects."""
    path, out = Path(path), Path(out)
    wanted = set(titles) if titles is not None else None
    count = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as handle:
        for a_index, article in enumerate(_squad_articles(path)):
            title = str(article.get("title", f"article-{a_index}"))
            if wanted is not None and title not in wanted:
                continue
            for p_index, paragraph in enumerate(article.get("paragraphs", [])):
                record = {
                    "_id": squad_paragraph_id(title, p_index),
                    "title": title.replace("_", " "),
                    "text": paragraph["context"],
                }
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                count += 1
    return count


# -- splits ---------------------------------------------------------------------


def split(eval_set: EvalSet, validation_fraction: float = 0.2, seed: int = 0) -> tuple[EvalSet, EvalSet]:
    """A reproducible (fit, validation) split of the questions: tune on ``<name>-fit``, choose
    on ``<name>-validation``. Raises InvalidInput for a fraction outside (0, 1) or a set too
    small to split."""
    if not 0.0 < validation_fraction < 1.0:
        raise InvalidInput(
            f"validation_fraction must be between 0 and 1 (exclusive), got {validation_fraction}",
            field="validation_fraction",
            value=validation_fraction,
        )
    n = len(eval_set.items)
    if n < 2:
        raise InvalidInput(
            f"evaluation set {eval_set.name!r} has {n} question(s); a split needs at least 2",
            field="eval_set",
        )
    order = list(range(n))
    random.Random(seed).shuffle(order)
    n_val = min(n - 1, max(1, round(n * validation_fraction)))
    val_idx = set(order[:n_val])
    fit = tuple(item for i, item in enumerate(eval_set.items) if i not in val_idx)
    val = tuple(item for i, item in enumerate(eval_set.items) if i in val_idx)
    return (
        replace(eval_set, name=f"{eval_set.name}-fit", items=fit),
        replace(eval_set, name=f"{eval_set.name}-validation", items=val),
    )


# -- corpus slices --------------------------------------------------------------


def slice_beir_corpus(src: Path | str, dest: Path | str, keep: Iterable[str], others: int) -> tuple[int, int]:
    """Write the BEIR ``corpus.jsonl`` records whose ``_id`` is in ``keep`` plus the first
    ``others`` other records to ``dest``, leaving ``src`` untouched.

    ``dest`` is rewritten only when its content would change, so a reused data directory
    keeps the same corpus fingerprint (and its index collection) between runs. A slice has
    fewer distractors than the full corpus, so scores on it are higher. Returns
    (records from ``keep`` found, records written). Raises NotFound, InvalidInput.
    """
    src_path, dest_path = Path(src), Path(dest)
    if others < 0:
        raise InvalidInput(f"others must be 0 or more, got {others}", field="others", value=others)
    if src_path.is_dir():
        src_path = src_path / "corpus.jsonl"
    if not src_path.is_file():
        raise NotFound(f"BEIR corpus {src_path} does not exist")
    wanted = set(keep)
    lines: list[str] = []
    judged = extra = 0
    for number, record in _read_jsonl(src_path):
        if not isinstance(record, dict) or "_id" not in record:
            raise InvalidInput(f"{src_path}:{number}: a BEIR corpus record needs '_id'", field="_id")
        if str(record["_id"]) in wanted:
            judged += 1
        elif extra < others:
            extra += 1
        else:
            continue
        lines.append(json.dumps(record, ensure_ascii=False) + "\n")
    text = "".join(lines)
    dest_path.parent.mkdir(parents=True, exist_ok=True)
    if not dest_path.is_file() or dest_path.read_text(encoding="utf-8") != text:
        dest_path.write_text(text, encoding="utf-8")
    return judged, len(lines)
