"""IndexManager: build, list, promote and roll back index versions, one place for every caller
(CLI, notebooks, API, console)."""

from __future__ import annotations

import logging
from pathlib import Path

from ragplatform.content.base import ContentStore
from ragplatform.embeddings.cache import CachedEmbedder
from ragplatform.indexing.build import BuildResult, Progress, _no_progress, build_index
from ragplatform.registry.base import PRODUCTION, IndexRegistry, IndexVersion, PromotionResult
from ragplatform.spec import IndexSpec
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
    ) -> None:
        self.registry = registry
        self.index = index
        self.embedder = embedder
        self.content = content
        self.datasets_dir = datasets_dir

    def build(self, spec: IndexSpec, progress: Progress = _no_progress) -> BuildResult:
        """Builds and registers a version (not promoted). Raises InvalidInput for a bad spec/corpus."""
        return build_index(
            spec,
            registry=self.registry,
            index=self.index,
            embedder=self.embedder,
            content=self.content,
            datasets_dir=self.datasets_dir,
            progress=progress,
        )

    def versions(self) -> list[IndexVersion]:
        return self.registry.list_versions()

    def production(self) -> IndexVersion | None:
        return self.registry.resolve(PRODUCTION)

    def promote(self, version: str, *, force: bool = False, reason: str = "") -> PromotionResult:
        """Moves ``production`` (and the engine's collection alias) to ``version``. Raises NotFound."""
        target = self.registry.get_version(version)
        result = self.registry.promote(target.version, forced=force, reason=reason)
        self.index.set_alias(PRODUCTION, target.collection)
        return result

    def rollback(self) -> PromotionResult:
        result = self.registry.rollback()
        self.index.set_alias(PRODUCTION, self.registry.get_version(result.version).collection)
        return result

    def ensure_production(self, spec: IndexSpec, progress: Progress = _no_progress) -> IndexVersion:
        """The promoted version; builds and promotes ``spec`` first when none is promoted."""
        current = self.production()
        if current is not None:
            return current
        log.info("no promoted index: building %s", spec.name)
        result = self.build(spec, progress)
        self.promote(result.version.version, reason="first index")
        return self.registry.get_version(result.version.version)
