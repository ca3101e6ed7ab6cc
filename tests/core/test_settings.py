"""Settings: every one documented in .env.example, nested env variables, no placeholder secrets in production."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from ragplatform.settings import Settings, plain_env_names

REPO = Path(__file__).resolve().parents[2]


def env_names() -> set[str]:
    names = set()
    for name, field in Settings.model_fields.items():
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            names |= {f"{name}__{sub}".upper() for sub in ann.model_fields}
        else:
            names.add(name.upper())
    return names | set(plain_env_names())


def test_env_example_documents_every_setting_and_nothing_else() -> None:
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (REPO / ".env.example").read_text(), re.M))
    assert env_names() - documented == set(), "settings missing from .env.example"
    assert documented - env_names() == set(), ".env.example names settings that do not exist"


def test_nested_variables_and_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM__PROVIDERS", "openai, extractive")
    monkeypatch.setenv("SERVE__CORS_ORIGINS", "https://a.example,https://b.example")
    monkeypatch.setenv("ANSWER__TOP_K", "7")
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.llm.providers == ["openai", "extractive"]
    assert s.serve.cors_origins == ["https://a.example", "https://b.example"]
    assert s.answer.top_k == 7


def test_production_refuses_placeholder_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    with pytest.raises(ValidationError, match="JWT_SECRET must be set"):
        Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.setenv("JWT_SECRET", "a-real-secret-of-sufficient-length-0123456789")
    with pytest.raises(ValidationError, match="ADMIN_PASSWORD must be changed"):
        Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.setenv("ADMIN_PASSWORD", "another-real-secret")
    assert Settings(_env_file=None).environment == "production"  # type: ignore[call-arg]


def test_bad_values_name_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANSWER__TOP_K", "0")
    with pytest.raises(ValidationError, match="top_k"):
        Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.setenv("ANSWER__TOP_K", "4")
    monkeypatch.setenv("LLM__PROVIDERS", "local,gpt5")
    with pytest.raises(ValidationError, match="providers"):
        Settings(_env_file=None)  # type: ignore[call-arg]
