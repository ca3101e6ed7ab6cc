"""IndexManager: build, list, evaluate, promote and roll back index versions, one place for every
caller (CLI, notebooks, API, console).

The manager runs the evaluations the promotion gate needs and hands their scores to the gate,
which is pure policy (``evaluation/gate.py``); evaluation never imports the manager.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path

from ragplatform.content.base import ContentStore
from ragplatform.embeddings.cache import CachedEmbedder
from ragplatform.errors import PromotionRefused
from ragplatform.evaluation.evaluate import evaluate
from ragplatform.evaluation.gate import GateConfig, check, primary_value, recorded
from ragplatform.evaluation.sets import EvalSet
from ragplatform.indexing.build import BuildResult, build_index
from ragplatform.progress import Progress, no_progress
from ragplatform.registry.base import PRODUCTION, IndexRegistry, IndexVersion, PromotionResult
from ragplatform.retrieval.retriever import Retriever
from ragplatform.spec import EmbeddingSpec, IndexSpec
from ragplatform.vectorindex.base import VectorIndex

log = logging.getLogger(__name__)


class IndexManager:
    def __init__(
        self,
        registry: IndexRegistry,
        index: VectorIndex,
        embedder: CachedEmbedder,
        content: ContentStore | None,
        datasets_dir: Path,
        gate: GateConfig | None = None,
        embedders: Callable[[EmbeddingSpec], CachedEmbedder] | None = None,
    ) -> None:
        self.registry = registry
        self.index = index
        self.embedder = embedder
        self.content = content
        self.datasets_dir = datasets_dir
        self.gate = gate or GateConfig()
        self._embedders = embedders

    def embedder_for(self, spec: EmbeddingSpec) -> CachedEmbedder:
        """The embedder an index built with ``spec`` uses (the default one unless it names another
        model, e.g. a fine-tuned MiniLM). Raises InvalidInput when that model cannot be found."""
        return self._embedders(spec) if self._embedders is not None else self.embedder

    def build(
        self, spec: IndexSpec, progress: Progress = no_progress, run_tags: Mapping[str, str] | None = None
    ) -> BuildResult:
        """Builds and registers a version (not promoted); ``run_tags`` go on its build run.
        Raises InvalidInput for a bad spec/corpus, or one naming another engine than the platform's."""
        return build_index(
            spec.for_engine(self.index.engine),
            registry=self.registry,
            index=self.index,
            embedder=self.embedder_for(spec.embedding),
            content=self.content,
            datasets_dir=self.datasets_dir,
            progress=progress,
            run_tags=run_tags,
        )

    def retriever(self, version: str) -> Retriever:
        """A retriever over ``version``'s collection with its retrieval defaults and its own
        embedder (the model it was built with), whether or not it is in production.
        Raises NotFound, InvalidInput (its embedding model cannot be found)."""
        target = self.registry.get_version(version)
        return Retriever(
            self.embedder_for(target.spec.embedding), self.index, target.collection, target.spec.retrieval
        )

    def gate_score(self, version: IndexVersion, eval_set: EvalSet) -> float:
        """The gate's primary metric for ``version`` on ``eval_set``: the value an earlier evaluation
        recorded, else a retrieval evaluation now (logged like any). Raises InvalidInput, NotFound."""
        value = recorded(version, eval_set.name, self.gate.primary_metric)
        if value is not None:
            return value
        report = evaluate(self, version.version, eval_set, top_k=self.gate.top_k)
        return primary_value(report.metrics, self.gate)

    def versions(self) -> list[IndexVersion]:
        return self.registry.list_versions()

    def production(self) -> IndexVersion | None:
        return self.registry.resolve(PRODUCTION)

    def promote(
        self, version: str, *, force: bool = False, reason: str = "", eval_set: EvalSet | None = None
    ) -> PromotionResult:
        """Moves ``production`` (and the engine's collection alias) to ``version`` through the gate.

        With an evaluation set (``eval_set``, else the gate's configured one) and a production
        version to compare with, the candidate must not fall below production's primary metric
        by more than the tolerance; otherwise the refusal is recorded and PromotionRefused is
        raised, unless ``force`` (then the promotion is recorded as forced, with the verdict).
        Without either, it promotes and records why no comparison was made.
        Raises NotFound, PromotionRefused, InvalidInput (bad eval set).
        """
        target = self.registry.get_version(version)
        note = self._gate(target, force, eval_set)
        full_reason = "; ".join(part for part in (reason, f"gate: {note}") if part)
        result = self.registry.promote(target.version, forced=force, reason=full_reason)
        self.index.set_alias(PRODUCTION, target.collection)
        return result

    def _gate(self, target: IndexVersion, force: bool, eval_set: EvalSet | None) -> str:
        """The gate's verdict as a sentence; raises PromotionRefused (after recording it)."""
        current = self.production()
        if current is None:
            return "no production version yet, no comparison"
        if current.version == target.version:
            return f"version {target.version} is already production, no comparison"
        eval_set = eval_set or self.gate.load_eval_set()
        if eval_set is None:
            return "no evaluation set given, no comparison"
        verdict = check(
            self.gate_score(target, eval_set),
            self.gate_score(current, eval_set),
            self.gate,
            eval_set=eval_set.name,
            candidate_version=target.version,
            production_version=current.version,
        )
        if verdict.passed:
            return verdict.reason
        if force:
            return f"regression accepted by force: {verdict.reason}"
        self.registry.record_refusal(target.version, verdict.reason)
        raise PromotionRefused(f"promotion of version {target.version} refused: {verdict.reason}")

    def rollback(self) -> PromotionResult:
        result = self.registry.rollback()
        self.index.set_alias(PRODUCTION, self.registry.get_version(result.version).collection)
        return result

    def ensure_production(self, spec: IndexSpec, progress: Progress = no_progress) -> IndexVersion:
        """The promoted version; builds and promotes ``spec`` first when none is promoted."""
        current = self.production()
        if current is not None:
            return current
        log.info("no promoted index: building %s", spec.name)
        result = self.build(spec, progress)
        self.promote(result.version.version, reason="first index")
        return self.registry.get_version(result.version.version)
