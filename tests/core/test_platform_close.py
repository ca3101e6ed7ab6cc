"""``Platform.close()`` closes every client it opened (issue 9): the PostgreSQL pool, the generator
chain's HTTP clients, the embedders (the local model is freed) and the embedding cache. Runs on
the PostgreSQL server (a scratch database) so no embedded server has to start; skips without one."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from pg_server_support import scratch_database
from ragplatform.errors import BackendUnavailable
from ragplatform.settings import Settings


def test_close_closes_every_client(settings: Settings) -> None:
    from ragplatform.factory import build_platform

    data_dir = Path(tempfile.mkdtemp(prefix="ragplatform-close-"))
    with scratch_database("ragclose") as database_url:
        llm = settings.llm.model_copy(
            update={"providers": ["openai", "extractive"], "openai_base_url": "http://127.0.0.1:9/v1"}
        )
        own = settings.model_copy(update={"data_dir": data_dir, "database_url": database_url, "llm": llm})
        p = build_platform(own)
        p.embedder.embed_query("load the model")
        generator = p.answers.generator
        openai = generator.generators[0]  # type: ignore[attr-defined]
        local = p.embedder.inner.inner
        pool = p.queries._pool  # type: ignore[attr-defined]
        assert not openai._client.is_closed and local._model is not None
        p.close()
        assert pool.closed
        assert openai._client.is_closed
        assert local._model is None
        with pytest.raises(BackendUnavailable, match="embedding cache"):
            p.embedder.cache.get_many(p.embedder.model_id, ["x"])
        p.close()  # twice is fine
    shutil.rmtree(data_dir, ignore_errors=True)
