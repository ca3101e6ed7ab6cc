"""Request and response bodies of API document 05 (``/api/v1`` and ``/internal``).

The JSON field names are the document's ("Chat Structure", "Message Structure", "File Structure",
``fileid`` and ``userid`` included); the class names follow the full-stack FastAPI template:
``ChatCreate``, ``ChatPublic``, ``ChatsPublic``, ``ChatMessagePublic``, ``FilePublic``, ...
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from ragplatform.client.models import Message
from ragplatform.content.base import DocumentRecord, Role, User
from ragplatform.generation.completion import MAX_COMPLETION_TOKENS, MAX_MESSAGE_CHARS, MAX_MESSAGES
from ragplatform.prompts.parameters import MAX_PARAMETERS, MAX_PROMPT_CHARS
from ragplatform.sessions.base import Message as StoredMessage
from ragplatform.sessions.base import MessageRole

__all__ = [
    "ChatCompletionCreate",
    "ChatCompletionPublic",
    "ChatCreate",
    "ChatMessagePublic",
    "ChatPublic",
    "ChatsPublic",
    "CompiledPromptPublic",
    "FilePublic",
    "InternalHealthPublic",
    "Message",
    "ModelPublic",
    "ModelsPublic",
    "ParameterValuesPublic",
    "ParameterValuesUpdate",
    "PromptCompile",
    "PromptFormPublic",
    "TokenRefreshedPublic",
    "UserPublic",
]

PRINTABLE = r"^[^\x00-\x1f\x7f]+$"


# -- auth ---------------------------------------------------------------------------


class UserPublic(BaseModel):
    id: str
    email: str
    full_name: str
    role: Role
    is_active: bool
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserPublic:
        return cls(
            id=user.id,
            email=user.username,
            full_name=user.full_name,
            role=user.role,
            is_active=user.is_active,
            created_at=user.created_at,
        )


class TokenRefreshedPublic(BaseModel):
    user: UserPublic
    access_token_expires_at: datetime = Field(description="when the new access_token cookie expires")


# -- chat ---------------------------------------------------------------------------


class ChatCreate(BaseModel):
    model_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        pattern=PRINTABLE,
        description="default: the first model of GET /api/v1/model",
    )
    model_api_source: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        pattern=PRINTABLE,
        description="default: the provider of model_id's default",
    )


class FilePublic(BaseModel):
    """The document's "File Structure", with ``status`` and ``chunks`` besides."""

    fileid: str
    filename: str
    uploaded_at: datetime
    userid: str
    content_type: str
    size: int = Field(description="bytes")
    object_key: str
    status: str = Field(description="uploaded | parsed | failed: whether the file is searchable in the chat")
    chunks: int = Field(description="indexed chunks")

    @classmethod
    def of(cls, record: DocumentRecord) -> FilePublic:
        return cls(
            fileid=record.id,
            filename=record.filename,
            uploaded_at=record.created_at,
            userid=record.owner,
            content_type=record.content_type,
            size=record.size_bytes,
            object_key=record.storage_key,
            status=record.status,
            chunks=record.chunks,
        )


class ChatPublic(BaseModel):
    """The document's "Chat Structure", with ``title`` besides."""

    chat_id: str
    user_id: str
    current_model_id: str
    current_model_api_source: str
    created_timestamp: datetime
    title: str = Field(description="the first question, once there is one")
    files: list[FilePublic]


class ChatsPublic(BaseModel):
    items: list[ChatPublic]
    total: int
    page: int
    size: int
    pages: int


class ChatMessagePublic(BaseModel):
    """The document's "Message Structure"."""

    message_id: str
    chat_id: str
    role: MessageRole
    content: str
    files: list[str] = Field(description="ids of files attached to this message")
    timestamp: datetime

    @classmethod
    def of(cls, message: StoredMessage) -> ChatMessagePublic:
        files = message.metadata.get("files") or []
        return cls(
            message_id=message.id,
            chat_id=message.session_id,
            role=message.role,
            content=message.content,
            files=[str(f) for f in files] if isinstance(files, list) else [],
            timestamp=message.created_at,
        )


# -- models -------------------------------------------------------------------------


class ModelPublic(BaseModel):
    id: str = Field(description="what POST /api/v1/chat takes as model_id")
    name: str
    api_source: str = Field(
        description="what POST /api/v1/chat takes as model_api_source: openai, anthropic, groq, aws, "
        "ollama, huggingface, gemini, local (extractive for the chain's offline answerer); "
        "AI Suite's model is `api_source:id`"
    )
    provider: str = Field(description="the provider's display name")
    default: bool = Field(description="the first of the chain: what a new chat uses")
    fallback_order: int | None = Field(
        description="0-based position in the generator chain (LLM__PROVIDERS); null: not in it"
    )
    available: bool = Field(description="whether its provider is configured now, so a chat may choose it")
    missing_setting: str | None = Field(description="what to set before it is available; null when it is")


class ModelsPublic(BaseModel):
    items: list[ModelPublic]
    total: int
    page: int
    size: int
    pages: int


# -- AI Suite -----------------------------------------------------------------------


class ChatCompletionMessageCreate(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str = Field(max_length=MAX_MESSAGE_CHARS)


class ChatCompletionCreate(BaseModel):
    """``POST /api/v1/aisuite/chat``: a conversation for one model, OpenAI's request shape."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "messages": [{"role": "user", "content": "Hello!"}],
                    "model": "anthropic:claude-3-5-haiku-latest",
                    "temperature": 0.7,
                }
            ]
        }
    )

    messages: list[ChatCompletionMessageCreate] = Field(
        min_length=1, max_length=MAX_MESSAGES, description="oldest first; the last is the user's"
    )
    model: str = Field(
        min_length=3,
        max_length=300,
        pattern=r"^[A-Za-z]+:[^\x00-\x1f\x7f]+$",
        description="`provider:model`: openai, anthropic, groq, aws, ollama, huggingface, gemini, or local "
        "for the offline models (local:extractive, local:SmolLM2-135M-Instruct); GET /api/v1/model "
        "lists each provider's model and whether it is available",
    )
    temperature: float | None = Field(default=None, ge=0.0, le=2.0, description="default: LLM__TEMPERATURE")
    max_tokens: int | None = Field(
        default=None, ge=1, le=MAX_COMPLETION_TOKENS, description="default: LLM__MAX_TOKENS"
    )
    stream: bool = Field(
        default=False,
        description="true: Server-Sent Events of `chat.completion.chunk` objects, then `data: [DONE]`",
    )


class ChatCompletionMessagePublic(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class ChatCompletionChoicePublic(BaseModel):
    index: int
    message: ChatCompletionMessagePublic
    finish_reason: Literal["stop"] = "stop"


class ChatCompletionUsagePublic(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletionPublic(BaseModel):
    """OpenAI's ``chat.completion`` object (token counts are estimates where a provider sends none)."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int = Field(description="Unix seconds")
    model: str = Field(description="`provider:model` that answered")
    choices: list[ChatCompletionChoicePublic]
    usage: ChatCompletionUsagePublic


# -- internal -----------------------------------------------------------------------


class InternalHealthPublic(BaseModel):
    status: str = Field(description="ok | degraded (an engine is unavailable; the reply is then a 503)")
    version: str
    timestamp: datetime
    engines: dict[str, str] = Field(description="engine → ok | unavailable: <reason>")
    index_version: str | None = Field(description="the promoted index version being served")


# -- prompt compiler ----------------------------------------------------------------

ParameterName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
JsonScalar = str | int | float | bool | None
PROMPT_FIELD = Field(
    min_length=1,
    max_length=MAX_PROMPT_CHARS,
    description=f"the prompt, up to {MAX_PROMPT_CHARS} characters; placeholders may be written {{city}}, "
    "{{city}}, <city>, [city], $city or ${city}, with a type, choices and a default as "
    "{count:int=5} or {tone:formal|casual=formal}",
)
MODELID_FIELD = Field(
    default=None,
    min_length=1,
    max_length=200,
    pattern=PRINTABLE,
    description="the model the prompt is for: any id, those of GET /api/v1/model are marked "
    "configured; it chooses the compiled prompt's style (XML tags for Claude, plain labels for "
    "small local models, Markdown otherwise). Default: the first model of GET /api/v1/model",
)


class PromptCompile(BaseModel):
    """The body of ``POST /api/v1/prompt_compiler/compile`` and ``/compile/form``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"prompt": "Find good restaurants", "modelid": "gpt-4"},
                {"prompt": "You are a travel guide. Suggest {count} things to do in <city>. Answer as JSON."},
            ]
        }
    )

    prompt: str = PROMPT_FIELD
    modelid: str | None = MODELID_FIELD


class PromptParameterPublic(BaseModel):
    name: str = Field(
        description="snake_case; a placeholder's name, or the slot's (location, word_count, ...)"
    )
    type: Literal["string", "integer", "number", "boolean"]
    description: str
    default: JsonScalar = Field(
        description="the value written in the prompt for a slot, or the placeholder's"
    )
    enum: list[str] = Field(description="the allowed values, when the prompt gives choices")
    format: str | None = Field(description="a JSON Schema format: date, time, email, uri")
    required: bool
    source: Literal["placeholder", "slot", "missing"] = Field(
        description="placeholder: written as one; slot: a detail of the request found by rules (its "
        "default is what is written); missing: a detail the request needs but does not give"
    )
    placeholder: str = Field(description="the text in the prompt: '<city>', or 'Paris' for a slot")
    start: int | None = Field(description="where placeholder starts in the prompt (null when missing)")
    end: int | None


class PromptSectionsPublic(BaseModel):
    role: str
    task: str
    inputs: list[str] = Field(description="'name: {name}' for a placeholder, 'name: value' for a slot")
    constraints: list[str]
    output_format: str


class CompiledPromptPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "compiled_prompt": "## Role\nYou are a careful, knowledgeable assistant.\n\n## Task\n"
                    "Find good restaurants.\n\n## Inputs\n- location: (not given: ask for it, or state "
                    "the assumption you make)\n\n## Constraints\n- If information you need is missing or "
                    "uncertain, say so instead of guessing.\n\n## Output format\nA direct answer first, "
                    "then the supporting details; plain prose unless a list is clearer.",
                    "sections": {
                        "role": "You are a careful, knowledgeable assistant.",
                        "task": "Find good restaurants.",
                        "inputs": ["location: (not given: ask for it, or state the assumption you make)"],
                        "constraints": [
                            "If information you need is missing or uncertain, say so instead of guessing."
                        ],
                        "output_format": "A direct answer first, then the supporting details; plain "
                        "prose unless a list is clearer.",
                    },
                    "changes": [
                        "named the role",
                        "added a missing input: location",
                        "added a constraint against guessing",
                        "added an explicit output format",
                    ],
                    "parameters": [
                        {
                            "name": "location",
                            "type": "string",
                            "description": "where to look: the request names no place",
                            "default": None,
                            "enum": [],
                            "format": None,
                            "required": True,
                            "source": "missing",
                            "placeholder": "",
                            "start": None,
                            "end": None,
                        }
                    ],
                    "modelid": "gpt-4",
                    "model_configured": False,
                    "model_api_source": None,
                    "style": "markdown",
                    "engine": "rules",
                    "note": None,
                }
            ]
        }
    )

    compiled_prompt: str = Field(description="the sections as one prompt, in the model's style")
    sections: PromptSectionsPublic
    changes: list[str] = Field(description="what the compiler changed, in order")
    parameters: list[PromptParameterPublic]
    modelid: str
    model_configured: bool = Field(description="whether modelid is one of GET /api/v1/model")
    model_api_source: str | None = Field(description="its provider when configured")
    style: Literal["markdown", "xml", "plain"]
    engine: str = Field(description="rules (the offline compiler) or llm:<provider>")
    note: str | None = Field(description="why the rules answered although a model is configured")


class PromptFormPublic(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "parameters": [
                        {
                            "name": "count",
                            "type": "integer",
                            "description": "count",
                            "default": None,
                            "enum": [],
                            "format": None,
                            "required": True,
                            "source": "placeholder",
                            "placeholder": "{count}",
                            "start": 32,
                            "end": 39,
                        }
                    ],
                    "schema": {
                        "title": "Prompt parameters",
                        "type": "object",
                        "properties": {
                            "count": {"type": "integer", "title": "Count", "description": "count"}
                        },
                        "required": ["count"],
                    },
                    "defaults": {},
                    "template": "You are a travel guide. Suggest {count} things to do.",
                    "modelid": "gpt-4",
                    "engine": "rules",
                    "note": None,
                }
            ]
        },
    )

    parameters: list[PromptParameterPublic]
    json_schema: dict[str, Any] = Field(
        alias="schema",
        description="a JSON Schema (draft 2020-12 object) for a form that fills the parameters",
    )
    defaults: dict[str, JsonScalar] = Field(description="parameter → default, for those that have one")
    template: str = Field(description="the prompt with every placeholder written {name}")
    modelid: str
    engine: str = Field(description="rules (the offline compiler) or llm:<provider>")
    note: str | None


class ParameterProperty(BaseModel):
    """One property of the parameter schema (what ``/compile/form`` returns as ``schema``)."""

    type: Literal["string", "integer", "number", "boolean"] = "string"
    title: str | None = Field(default=None, max_length=200)
    description: str = Field(default="", max_length=1000)
    default: JsonScalar = None
    enum: list[Annotated[str, StringConstraints(max_length=200)]] = Field(default_factory=list, max_length=50)
    format: str | None = Field(default=None, max_length=50)


class ParameterSchema(BaseModel):
    type: Literal["object"] = "object"
    title: str | None = Field(default=None, max_length=200)
    properties: dict[ParameterName, ParameterProperty] = Field(min_length=1, max_length=MAX_PARAMETERS)
    required: list[ParameterName] = Field(default_factory=list, max_length=MAX_PARAMETERS)

    @model_validator(mode="after")
    def _required_are_properties(self) -> ParameterSchema:
        unknown = [name for name in self.required if name not in self.properties]
        if unknown:
            raise ValueError(f"required names no property: {', '.join(unknown)}")
        return self


class ParameterValuesUpdate(BaseModel):
    """The body of ``POST /api/v1/prompt_compiler/update_parameters``."""

    model_config = ConfigDict(
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "prompt": "Suggest 5 things to do in Lisbon on 2026-05-01.",
                    "schema": {
                        "type": "object",
                        "properties": {
                            "count": {"type": "integer"},
                            "city": {"type": "string", "description": "a place"},
                            "date": {"type": "string", "format": "date"},
                        },
                        "required": ["count", "city", "date"],
                    },
                    "template": "Suggest {count} things to do in {city} on {date}.",
                }
            ]
        },
    )

    prompt: str = PROMPT_FIELD
    parameter_schema: ParameterSchema = Field(
        alias="schema", description="the parameters as a JSON Schema object, as /compile/form returns it"
    )
    template: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_PROMPT_CHARS,
        description="the template the prompt was filled from (/compile/form's template): every span "
        "is then exact; without it each parameter is looked for by rules",
    )


class FoundValuePublic(BaseModel):
    name: str
    value: JsonScalar = Field(description="typed as the parameter's schema says")
    start: int = Field(description="prompt[start:end] is the text the value was read from")
    end: int
    text: str
    method: str = Field(description="how it was found: template, enum, label, date, unit, place, llm, ...")


class ParameterValuesPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "values": {"count": 5, "city": "Lisbon", "date": "2026-05-01"},
                    "found": [
                        {
                            "name": "count",
                            "value": 5,
                            "start": 8,
                            "end": 9,
                            "text": "5",
                            "method": "template",
                        },
                        {
                            "name": "city",
                            "value": "Lisbon",
                            "start": 27,
                            "end": 33,
                            "text": "Lisbon",
                            "method": "template",
                        },
                        {
                            "name": "date",
                            "value": "2026-05-01",
                            "start": 37,
                            "end": 47,
                            "text": "2026-05-01",
                            "method": "template",
                        },
                    ],
                    "missing": [],
                    "engine": "rules",
                    "note": None,
                }
            ]
        }
    )

    values: dict[str, JsonScalar] = Field(description="parameter → the value found")
    found: list[FoundValuePublic] = Field(description="each value with the span it came from")
    missing: list[str] = Field(description="parameters the text does not give")
    engine: str = Field(description="rules (the offline compiler) or llm:<provider>")
    note: str | None
