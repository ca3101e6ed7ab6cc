"""``ragplatform`` command line: start the embedded engines, build, promote, ask."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, cast

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ragplatform.errors import RagPlatformError
from ragplatform.factory import Platform, apply_offline_env, build_platform
from ragplatform.settings import Settings
from ragplatform.spec import IndexSpec
from ragplatform.vectorindex.base import SearchMode

app = typer.Typer(
    help="ragplatform: build, evaluate, promote and serve retrieval indexes.", no_args_is_help=True
)
console = Console(stderr=True)
out = Console()


@contextmanager
def platform() -> Iterator[Platform]:
    apply_offline_env()
    p = build_platform(Settings())
    try:
        yield p
    finally:
        p.close()


@contextmanager
def progress_bar() -> Iterator[Any]:
    """A rich progress bar fed by the build's (stage, done, total) callback."""
    with Progress(
        TextColumn("{task.description:<12}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,
    ) as bar:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)
            if not console.is_terminal:
                console.print(f"{stage}: {done}/{total}", highlight=False)

        yield update


def _fail(exc: RagPlatformError) -> None:
    console.print(f"[red]error:[/red] {exc.message}")
    raise typer.Exit(2)


def load_spec(spec_file: Path | None, overrides: dict[str, Any]) -> IndexSpec:
    base: dict[str, Any] = json.loads(spec_file.read_text()) if spec_file else {}
    for dotted, value in overrides.items():
        if value is None:
            continue
        node = base
        *parents, leaf = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return IndexSpec.model_validate(base)


def _reap(p: Platform) -> None:
    """Builds that died since the last start: their jobs and runs marked failed, their tables dropped."""
    dead = p.build_jobs.fail_dead()
    for job in dead:
        console.print(f"build job {job}: the build process died; marked failed")
    report = p.reap_dead_builds(dead)
    for run_id, reason in report.failed_runs.items():
        console.print(f"run {run_id} marked FAILED: {reason}")
    for name in report.dropped_collections:
        console.print(f"dropped collection {name}, left behind by a build that died")


@app.command()
def up(seed: bool = True) -> None:
    """Start the embedded engines; seed content and build + promote the demo index when none is promoted."""
    from ragplatform.seed import seed_content

    try:
        with platform() as p:
            _reap(p)
            if seed:
                seed_content(p.content, p.settings.datasets_dir / "seed")
            with progress_bar() as update:
                version = p.indexes.ensure_production(IndexSpec(), update)
            out.print(
                f"production index: version {version.version} ({version.spec.name}, "
                f"{int(version.metrics.get('chunks', 0))} chunks, collection {version.collection})"
            )
    except RagPlatformError as exc:
        _fail(exc)


@app.command()
def build(
    spec_file: Annotated[Path | None, typer.Option("--spec", help="IndexSpec as JSON")] = None,
    name: str | None = None,
    corpus: Annotated[list[str] | None, typer.Option(help="folder or file (repeatable)")] = None,
    strategy: str | None = None,
    chunk_size: int | None = None,
    chunk_overlap: int | None = None,
    mode: str | None = None,
    top_k: int | None = None,
    alpha: float | None = None,
    promote: bool = False,
) -> None:
    """Build (and register) an index version from an IndexSpec."""
    from pydantic import ValidationError

    try:
        spec = load_spec(
            spec_file,
            {
                "name": name,
                "corpus.paths": corpus or None,
                "chunking.strategy": strategy,
                "chunking.chunk_size": chunk_size,
                "chunking.chunk_overlap": chunk_overlap,
                "retrieval.mode": mode,
                "retrieval.top_k": top_k,
                "retrieval.alpha": alpha,
            },
        )
    except ValidationError as exc:
        console.print(f"[red]invalid IndexSpec:[/red]\n{exc}")
        raise typer.Exit(2) from None
    try:
        with platform() as p, progress_bar() as update:
            result = p.indexes.build(spec, update)
            s = result.stats
            out.print(
                f"built version {result.version.version}: {s.documents} documents, {s.chunks} chunks, "
                f"{s.build_seconds:.1f}s, cache hits {s.cache_hits}, misses {s.cache_misses}"
                + (" (reused collection)" if s.reused_collection else "")
            )
            if promote:
                r = p.indexes.promote(result.version.version, reason="cli build --promote")
                out.print(f"promoted version {r.version} (was {r.previous})")
    except RagPlatformError as exc:
        _fail(exc)


EvalsOption = Annotated[
    Path | None, typer.Option("--evals", help="evaluation set in the evals/ JSONL format")
]
BeirOption = Annotated[Path | None, typer.Option("--beir", help="BEIR directory (queries*.jsonl, qrels/)")]
SquadOption = Annotated[Path | None, typer.Option("--squad", help="SQuAD v1.1 JSON file")]
SplitOption = Annotated[str, typer.Option("--split", help="BEIR split (qrels/<split>.tsv)")]
LimitOption = Annotated[int | None, typer.Option("--limit", help="first N questions only")]
GATE_CONFIG = Path("evals") / "promotion.yaml"


def load_eval_set(
    evals: Path | None, beir: Path | None, squad: Path | None, split: str, limit: int | None
) -> Any:
    """The one evaluation set named on the command line, or None. Raises InvalidInput, NotFound."""
    from ragplatform.errors import InvalidInput
    from ragplatform.evaluation.sets import load_beir, load_jsonl, load_squad

    given = [x for x in (evals, beir, squad) if x is not None]
    if len(given) > 1:
        raise InvalidInput("give one evaluation set: --evals, --beir or --squad")
    if evals is not None:
        return load_jsonl(evals)
    if beir is not None:
        return load_beir(beir, split=split, limit=limit)
    if squad is not None:
        return load_squad(squad, limit=limit)
    return None


@app.command()
def evaluate(
    version: str,
    evals: EvalsOption = None,
    beir: BeirOption = None,
    squad: SquadOption = None,
    split: SplitOption = "train",
    limit: LimitOption = None,
    top_k: Annotated[int, typer.Option("--top-k", help="retrieval depth evaluated")] = 100,
    answers: Annotated[bool, typer.Option("--answers", help="also answer and score the answers")] = False,
) -> None:
    """Evaluate index VERSION on an evaluation set; prints the metrics and logs an MLflow run."""
    from ragplatform.evaluation.evaluate import evaluate as run_evaluation
    from ragplatform.evaluation.metrics import label
    from ragplatform.evaluation.ragas_metrics import ragas_judge

    try:
        eval_set = load_eval_set(evals, beir, squad, split, limit) or load_eval_set(
            Path("evals") / "demo.jsonl", None, None, split, limit
        )
        with platform() as p, progress_bar() as update:
            judge, note = ragas_judge(p.settings.llm) if answers else (None, "")
            report = run_evaluation(
                p.indexes,
                version,
                eval_set,
                top_k=top_k,
                with_answers=answers,
                generator=p.answers.generator if answers else None,
                answer_settings=p.settings.answer,
                judge=judge,
                judge_note=note,
                progress=update,
            )
    except RagPlatformError as exc:
        _fail(exc)
        return
    table = Table("metric", "value", title=f"index v{version} on {eval_set.name}")
    for key, value in report.metrics.items():
        table.add_row(label(key), f"{value:.0f}" if key.startswith("questions") else f"{value:.4f}")
    out.print(table)
    for key, reason in report.skipped.items():
        out.print(f"skipped {label(key)}: {reason}")
    out.print(f"MLflow run {report.run_id}")


@app.command()
def promote(
    version: str,
    force: bool = False,
    reason: str = "",
    evals: EvalsOption = None,
    beir: BeirOption = None,
    squad: SquadOption = None,
    split: SplitOption = "train",
    limit: LimitOption = None,
    gate_config: Annotated[
        Path, typer.Option(help="gate settings (primary metric, tolerance, eval set)")
    ] = GATE_CONFIG,
) -> None:
    """Move the production alias to VERSION through the evaluation gate (--force overrides a refusal)."""
    from ragplatform.evaluation.gate import GateConfig

    try:
        eval_set = load_eval_set(evals, beir, squad, split, limit)
        with platform() as p:
            if gate_config.is_file():
                p.indexes.gate = GateConfig.from_yaml(gate_config)
            r = p.indexes.promote(version, force=force, reason=reason or "cli", eval_set=eval_set)
            out.print(f"{r.verdict}: production is version {r.version} (was {r.previous})")
            out.print(f"reason: {r.reason}")
    except RagPlatformError as exc:
        _fail(exc)


@app.command()
def rollback() -> None:
    """Move the production alias back to the previous version."""
    try:
        with platform() as p:
            r = p.indexes.rollback()
            out.print(f"rolled back: production is version {r.version} (was {r.previous})")
    except RagPlatformError as exc:
        _fail(exc)


@app.command()
def versions() -> None:
    """List index versions with their key metrics."""
    with platform() as p:
        table = Table("version", "name", "aliases", "chunks", "build s", "mode", "created")
        for v in p.indexes.versions():
            table.add_row(
                v.version,
                v.spec.name,
                ",".join(v.aliases),
                f"{v.metrics.get('chunks', 0):.0f}",
                f"{v.metrics.get('build_seconds', 0):.1f}",
                v.spec.retrieval.mode,
                v.created_at.strftime("%Y-%m-%d %H:%M"),
            )
        out.print(table)


@app.command()
def ingest(
    paths: list[Path],
    owner: Annotated[str, typer.Option(help="the user whose knowledge base receives the files")] = "admin",
) -> None:
    """Parse files into OWNER's live document collection (searchable by them at once)."""
    from ragplatform.documents.service import DocumentService
    from ragplatform.ingest.readers import SUPPORTED_EXTENSIONS

    with platform() as p:
        service = DocumentService(
            p.content, p.files, p.index, p.embedder, max_bytes=p.settings.serve.max_upload_bytes
        )
        files = [
            f
            for path in paths
            for f in ([path] if path.is_file() else sorted(path.rglob("*")))
            if f.is_file() and f.suffix.lower() in SUPPORTED_EXTENSIONS
        ]
        failed = 0
        with progress_bar() as update:
            for i, f in enumerate(files, 1):
                try:
                    rec = service.ingest(owner, f.name, f.read_bytes())
                    out.print(f"{f}: {rec.status}, {rec.chunks} chunks (document {rec.id})")
                except RagPlatformError as exc:
                    failed += 1
                    console.print(f"[red]{f}:[/red] {exc.message}")
                update("ingest", i, len(files))
        if failed:
            raise typer.Exit(1)


@app.command()
def ask(
    question: str,
    top_k: int | None = None,
    mode: str | None = None,
    user: str = "cli",
    owner: str | None = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Answer QUESTION from the production index, with citations and timings."""
    from ragplatform.answering.service import AskOptions

    try:
        with platform() as p:
            options = AskOptions(top_k=top_k, mode=cast(SearchMode | None, mode))
            answer = p.answers.ask(question, user_id=user, owner=owner, options=options)
    except RagPlatformError as exc:
        _fail(exc)
        return
    if as_json:
        from dataclasses import asdict

        out.print_json(json.dumps(asdict(answer), default=str))
        return
    out.print(answer.answer)
    out.print()
    for i, c in enumerate(answer.citations, 1):
        where = f" ({c.section})" if c.section else ""
        out.print(f"[{i}] {c.source}{where}  score={c.score:.3f}  chunk={c.chunk_id}")
    flags = " [unanswered]" if answer.unanswered else ""
    out.print(
        f"\nindex v{answer.index_version} · {answer.generator} · "
        + " · ".join(f"{k} {v:.0f}" for k, v in answer.timings.items())
        + flags
    )


@app.command()
def worker(name: str = "ragplatform-worker") -> None:
    """Run API 02's workflows from the PostgreSQL task queue until SIGINT/SIGTERM (any number of
    workers, on any machine that reaches the database); also recovers runs of workers that died."""
    import asyncio

    from ragplatform.workflows.queue import run_worker

    try:
        with platform() as p:
            out.print(f"workflow worker {name} started (concurrency {p.settings.workflows.concurrency})")
            asyncio.run(run_worker(p, install_signal_handlers=True, name=name))
    except RagPlatformError as exc:
        _fail(exc)


@app.command()
def serve(host: str | None = None, port: int | None = None) -> None:
    """Run the API server (``ragserve``) on the embedded defaults."""
    import uvicorn

    settings = Settings()
    uvicorn.run(
        "ragserve.main:create_app",
        factory=True,
        host=host or settings.serve.host,
        port=port or settings.serve.port,
        log_level="info",
    )


def main() -> None:  # pragma: no cover
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
