"""The one assembly point: Settings → the platform's parts, as Protocol types.

Embedded defaults are started here when no production URL is set: PostgreSQL
from pgserver in ``DATA_DIR/pg`` (migrated on start), LanceDB in
``DATA_DIR/lancedb``, MLflow on sqlite in ``DATA_DIR``, files in ``DATA_DIR/files``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ragplatform.accounts.one_time_tokens import OneTimeTokens
from ragplatform.agents.invoke import AgentService
from ragplatform.analytics.service import AnalyticsService
from ragplatform.answering.faq import FaqMatcher
from ragplatform.answering.service import Answer, AnswerService
from ragplatform.answering.serving import ServingIndex
from ragplatform.closing import call_quietly, close_quietly
from ragplatform.content.base import ContentStore
from ragplatform.documents.links import DownloadLinks
from ragplatform.documents.service import DocumentService
from ragplatform.embeddings.base import Embedder
from ragplatform.embeddings.cache import CachedEmbedder, EmbeddingCache
from ragplatform.embeddings.query_cache import QueryCachedEmbedder
from ragplatform.embeddings.resolver import Embedders
from ragplatform.errors import InvalidInput, RagPlatformError
from ragplatform.evaluation.gate import GateConfig
from ragplatform.events import EventBus, make_event_bus
from ragplatform.files.base import FileStore
from ragplatform.files.local import LocalFileStore
from ragplatform.generation.base import Generator
from ragplatform.generation.providers import ModelGenerators
from ragplatform.indexing.jobs import BuildJobs
from ragplatform.indexing.manager import IndexManager
from ragplatform.indexing.reaper import ReapReport, reap_dead_builds
from ragplatform.leads.base import Lead
from ragplatform.leads.capture import LeadCapture
from ragplatform.leads.service import LeadService
from ragplatform.leads.store import LeadStore
from ragplatform.metrics.base import QueryLog, QueryRecord
from ragplatform.metrics.postgres import PostgresQueryLog
from ragplatform.notifications.store import NotificationStore, notification_event
from ragplatform.notifications.unanswered import UnansweredNotifier
from ragplatform.payments.service import PaymentService
from ragplatform.registry.mlflow import MlflowIndexRegistry
from ragplatform.sessions.base import SessionStore
from ragplatform.sessions.publishing import PublishingSessionStore
from ragplatform.settings import EmbeddingSettings, Settings
from ragplatform.spec import EmbeddingSpec
from ragplatform.vectorindex.base import VectorIndex
from ragplatform.workflows.service import WorkflowService

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

    from ragplatform.workflows.queue import WorkflowQueue

log = logging.getLogger(__name__)

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "RAGAS_DO_NOT_TRACK": "true",
    "DO_NOT_TRACK": "true",
    "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    "TOKENIZERS_PARALLELISM": "false",
}


def apply_offline_env() -> None:
    """Sets the offline variables (without overriding what the user set) and the tiktoken cache
    that llama-index-core ships, so nothing reaches for a hub at run time."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    if "TIKTOKEN_CACHE_DIR" not in os.environ:
        import importlib.util

        spec = importlib.util.find_spec("llama_index.core")
        if spec and spec.submodule_search_locations:
            cache = Path(next(iter(spec.submodule_search_locations))) / "_static" / "tiktoken_cache"
            os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)


# -- engines ------------------------------------------------------------------


def database_url(settings: Settings) -> str:
    """``DATABASE_URL`` or the embedded PostgreSQL (started if needed); migrated either way."""
    from ragplatform.db.embedded import start_embedded_postgres
    from ragplatform.db.migrate import upgrade

    url = settings.database_url or start_embedded_postgres(settings.pg_dir)
    upgrade(url)
    return url


def make_content_store(pool: Any) -> ContentStore:
    from ragplatform.content.postgres import PostgresContentStore

    return PostgresContentStore(pool)


def make_session_store(settings: Settings, pool: Any) -> SessionStore:
    if settings.mongodb_uri:
        import pymongo

        from ragplatform.sessions.mongo import MongoSessionStore

        client: Any = pymongo.MongoClient(settings.mongodb_uri, serverSelectionTimeoutMS=5000, tz_aware=True)
        return MongoSessionStore(client, settings.mongodb_database)
    from ragplatform.sessions.postgres import PostgresSessionStore

    return PostgresSessionStore(pool)


def make_vector_index(settings: Settings) -> VectorIndex:
    if settings.weaviate_url:
        from ragplatform.vectorindex.weaviate import WeaviateVectorIndex

        key = settings.weaviate_api_key.get_secret_value() if settings.weaviate_api_key else None
        return WeaviateVectorIndex(settings.weaviate_url, api_key=key)
    from ragplatform.vectorindex.lancedb import LanceDBVectorIndex

    return LanceDBVectorIndex(settings.lancedb_dir)


def make_registry(settings: Settings) -> MlflowIndexRegistry:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return MlflowIndexRegistry(
        settings.resolved_mlflow_uri,
        experiment=settings.mlflow_experiment,
        model_name=settings.index_name,
        artifact_root=settings.mlflow_artifact_root,
    )


def make_embedder(
    emb: EmbeddingSettings, spec: EmbeddingSpec | None = None, models_dir: Path | None = None
) -> Embedder:
    """The raw embedder for ``spec`` (an index's embedding) or, without one, the settings' default.

    A local model other than the default is a sentence-transformers directory: an absolute path,
    or a name under ``models_dir`` (``finetuned/<name>``, as notebook 05 saves them).
    Raises InvalidInput when it cannot be found.
    """
    provider = spec.provider if spec else emb.provider
    model = spec.model if spec else emb.model
    key = emb.api_key.get_secret_value() if emb.api_key else None
    if provider == "local":
        from ragplatform.embeddings.local import LocalEmbedder

        path = emb.model_path if (spec is None or model == emb.model) else None
        if spec is not None and model != emb.model:
            path = str(_local_model_dir(model, models_dir))
        return LocalEmbedder(model_path=path, batch_size=emb.batch_size)
    if provider == "openai":
        from ragplatform.embeddings.openai import OpenAIEmbedder

        if not emb.base_url:
            raise InvalidInput(
                "EMBEDDING__BASE_URL must be set for the openai embedding provider",
                field="embedding.base_url",
            )
        return OpenAIEmbedder(base_url=emb.base_url, api_key=key, model=model, batch_size=emb.batch_size)
    if provider == "ollama":
        from ragplatform.embeddings.ollama import OllamaEmbedder

        return OllamaEmbedder(base_url=emb.base_url or "http://127.0.0.1:11434", model=model)
    raise InvalidInput(
        f"unknown embedding provider {provider!r}; use local, openai or ollama",
        field="embedding.provider",
        value=provider,
    )


def _local_model_dir(model: str, models_dir: Path | None) -> Path:
    candidates = [Path(model).expanduser()]
    if models_dir is not None and not candidates[0].is_absolute():
        candidates.insert(0, models_dir / model)
    for candidate in candidates:
        if (candidate / "config.json").is_file():
            return candidate.resolve()
    where = " or ".join(str(c) for c in candidates)
    raise InvalidInput(
        f"embedding model {model!r} not found: no sentence-transformers directory at {where}",
        field="embedding.model",
        value=model,
    )


def make_generator(settings: Settings) -> Generator:
    """The generator chain of ``LLM__PROVIDERS`` (one generator, or a fallback chain), each built by
    the provider mapping that AI Suite and chats use (``generation/providers.py``)."""
    from ragplatform.generation.catalog import model_id
    from ragplatform.generation.fallback import FallbackGenerator
    from ragplatform.generation.providers import build_generator, resolve

    llm = settings.llm
    temperature = llm.temperature if llm.ollama_temperature is None else llm.ollama_temperature
    chain = [
        build_generator(settings, *resolve(name, model_id(settings, name)), ollama_temperature=temperature)
        for name in llm.providers
    ]
    return chain[0] if len(chain) == 1 else FallbackGenerator(chain)


def load_gate(settings: Settings) -> GateConfig | None:
    """The promotion gate from ``PROMOTION_GATE`` (a relative path is tried from the working
    directory, then beside the datasets folder). Raises InvalidInput for a malformed file."""
    if settings.promotion_gate is None:
        return None
    for path in (settings.promotion_gate, settings.datasets_dir.parent / settings.promotion_gate):
        if path.is_file():
            return GateConfig.from_yaml(path)
    log.info("no promotion gate file at %s: promotions are not compared", settings.promotion_gate)
    return None


# -- the assembled platform ---------------------------------------------------


@dataclass
class Platform:
    """Everything a process needs, assembled once; ``close()`` releases pools and threads."""

    settings: Settings
    content: ContentStore
    sessions: SessionStore
    index: VectorIndex
    registry: MlflowIndexRegistry
    embedder: CachedEmbedder
    files: FileStore
    indexes: IndexManager
    serving: ServingIndex
    queries: QueryLog
    build_jobs: BuildJobs
    one_time_tokens: OneTimeTokens
    notifications: NotificationStore
    events: EventBus
    payments: PaymentService
    pool: ConnectionPool[Any]  # the PostgreSQL pool the stores above share
    database_url: str  # its URL (the embedded server's unless DATABASE_URL is set), migrated
    _generator_factory: Callable[[], Generator]
    _closers: list[Callable[[], None]] = field(default_factory=list)
    _answers: AnswerService | None = None
    _documents: DocumentService | None = None
    _agents: AgentService | None = None
    _analytics: AnalyticsService | None = None
    _workflows: WorkflowService | None = None
    _workflow_queue: WorkflowQueue | None = None
    _leads: LeadService | None = None
    _models: ModelGenerators | None = None

    @property
    def answers(self) -> AnswerService:
        """Built on first use: loading the local LLM costs a second or two."""
        if self._answers is None:
            self._answers = AnswerService(
                serving=self.serving,
                embedder=self.embedder,
                index=self.index,
                sessions=self.sessions,
                generator=self._generator_factory(),
                faq=FaqMatcher(self.content, self.embedder, self.settings.answer.faq_max_distance),
                settings=self.settings.answer,
                chat_generator=lambda session: self.models.for_chat(session.metadata),
            )
            self._answers.on_answered.append(self._log_query)
            self._answers.on_unanswered.append(UnansweredNotifier(self.content, self.notifications))
            self._answers.on_answered.append(LeadCapture(self.leads))
        return self._answers

    @property
    def models(self) -> ModelGenerators:
        """Generators of the models a request or a chat names (API 05's AI Suite and chats)."""
        if self._models is None:
            self._models = ModelGenerators(self.settings)
            self._closers.append(self._models.close)
        return self._models

    @property
    def documents(self) -> DocumentService:
        """Uploads into the live per-owner collection."""
        if self._documents is None:
            self._documents = DocumentService(
                self.content,
                self.files,
                self.index,
                self.embedder,
                max_bytes=self.settings.serve.max_upload_bytes,
                limits=self.settings.documents,
                links=DownloadLinks(self.settings.jwt_secret, self.settings.documents.link_ttl_s),
            )
        return self._documents

    @property
    def agents(self) -> AgentService:
        """API 02's agents over this platform's services (``ragplatform/agents``)."""
        if self._agents is None:
            self._agents = AgentService(self)
        return self._agents

    @property
    def analytics(self) -> AnalyticsService:
        """API 02's overview and trends (``ragplatform/analytics``)."""
        if self._analytics is None:
            self._analytics = AnalyticsService(self.pool, self.sessions, self.settings.analytics)
        return self._analytics

    @property
    def leads(self) -> LeadService:
        """API 02's leads: the form, the chat capture and their qualifications (``ragplatform/leads``)."""
        if self._leads is None:
            self._leads = LeadService(
                LeadStore(self.pool),
                self.sessions,
                self.content,
                self.notifications,
                self.events,
                self.settings.leads,
                generator=lambda: self.answers.generator,
            )
            self._leads.on_created.append(self._qualify_by_workflow)
        return self._leads

    def _qualify_by_workflow(self, lead: Lead) -> None:
        """With an LLM in the generator chain, ``lead_agent``'s LLM qualification of a new lead runs
        as a ``qualify_leads`` workflow (for the admin account), off the request that made the lead;
        the rules already scored it. Offline (extractive only) there is nothing more to do."""
        if not self.settings.leads.use_llm or set(self.settings.llm.providers) <= {"extractive"}:
            return
        try:
            admin = self.content.get_user_by_username(self.settings.admin_username)
            self.workflows.start("qualify_leads", {"lead_ids": [lead.id]}, admin, run_async=True)
        except RagPlatformError:
            log.warning("could not queue the qualification of lead %s", lead.id, exc_info=True)

    @property
    def workflows(self) -> WorkflowService:
        """API 02's workflows: runs stored here, executed by a procrastinate worker (``workflows/``)."""
        if self._workflows is None:
            from ragplatform.workflows.builtin import default_workflows
            from ragplatform.workflows.queue import WorkflowQueue
            from ragplatform.workflows.runs import RunStore

            self._workflow_queue = WorkflowQueue(self.database_url)
            self._closers.append(self._workflow_queue.close)
            runs = RunStore(self.pool, self.events.publish)
            self._workflows = WorkflowService(self, runs, default_workflows(), self._workflow_queue.defer)
        return self._workflows

    def reap_dead_builds(self, dead_jobs: Collection[str] = ()) -> ReapReport:
        """Marks runs of builds that died FAILED and drops the collections they left behind
        (``indexing/reaper.py``). Raises BackendUnavailable."""
        return reap_dead_builds(self.registry, self.index, dead_jobs=dead_jobs)

    def _log_query(self, question: str, answer: Answer, user_id: str) -> None:
        t = answer.timings
        self.queries.record(
            QueryRecord(
                question=question,
                user_id=user_id,
                session_id=answer.session_id or None,
                latency_ms=t.get("total_ms", 0.0),
                retrieval_ms=t.get("retrieval_ms"),
                generation_ms=t.get("generation_ms"),
                unanswered=answer.unanswered,
                prompt_tokens=answer.tokens.get("prompt", 0),
                completion_tokens=answer.tokens.get("completion", 0),
                index_version=answer.index_version,
                generator=answer.generator,
                source=answer.source,
            )
        )

    def close(self) -> None:
        """Stops the alias watcher and closes every client this platform opened: the generator chain
        (HTTP clients, the local model), the embedders and their cache, the session store (MongoDB),
        the vector index (Weaviate) and the PostgreSQL pool. Safe to call twice."""
        self.serving.stop()
        if self._answers is not None:
            close_quietly(self._answers.generator)
        closers, self._closers = self._closers, []
        for close in reversed(closers):
            call_quietly(close)


def build_platform(settings: Settings) -> Platform:
    """Starts or connects to every engine named by ``settings``. Raises BackendUnavailable."""
    from ragplatform.db.pool import make_pool

    apply_offline_env()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = database_url(settings)
    pool = make_pool(url)
    content = make_content_store(pool)
    sessions = make_session_store(settings, pool)
    index = make_vector_index(settings)
    registry = make_registry(settings)
    cache = EmbeddingCache(settings.embedding_cache_path)
    embedder = CachedEmbedder(QueryCachedEmbedder(make_embedder(settings.embedding)), cache)
    embedders = Embedders(
        embedder,
        EmbeddingSpec(provider=settings.embedding.provider, model=settings.embedding.model),
        lambda spec: make_embedder(settings.embedding, spec, settings.models_dir),
        cache,
    )
    files = LocalFileStore(settings.files_dir)
    indexes = IndexManager(
        registry,
        index,
        embedder,
        content,
        settings.datasets_dir,
        gate=load_gate(settings),
        embedders=embedders.for_spec,
    )
    serving = ServingIndex(registry, index, embedders.for_spec)
    events = make_event_bus(pool, url, settings.redis_url)
    notifications = NotificationStore(pool)
    notifications.on_created.append(lambda n: events.publish(notification_event(n)))
    platform = Platform(
        settings=settings,
        content=content,
        sessions=PublishingSessionStore(sessions, events),  # tells the analytics channel
        index=index,
        registry=registry,
        embedder=embedder,
        files=files,
        indexes=indexes,
        serving=serving,
        queries=PostgresQueryLog(pool),
        build_jobs=BuildJobs(
            pool, indexes, reap_builds=lambda dead: reap_dead_builds(registry, index, dead_jobs=dead)
        ),
        one_time_tokens=OneTimeTokens(pool),
        notifications=notifications,
        events=events,
        payments=PaymentService(pool, content, notifications, events, settings.stripe),
        pool=pool,
        database_url=url,
        _generator_factory=lambda: make_generator(settings),
    )
    platform._closers.extend(
        [pool.close, events.close, *_closers_of(sessions, index, registry), embedders.close]
    )
    return platform


def _closers_of(*things: object) -> list[Callable[[], None]]:
    """The ``close`` of each thing that has one (a MongoDB session store, a Weaviate index, ...)."""
    return [close for thing in things if callable(close := getattr(thing, "close", None))]
