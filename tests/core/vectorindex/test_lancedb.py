"""LanceDBVectorIndex: the contract suite on a temporary directory, plus what only LanceDB does."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from ragplatform.errors import BackendUnavailable, Conflict, InvalidInput, NotFound
from ragplatform.vectorindex.base import VectorIndex, VectorQuery
from ragplatform.vectorindex.lancedb import LanceDBVectorIndex, filters_to_sql, lance_errors


def _load_contract():  # type: ignore[no-untyped-def]
    """Import the sibling contract module under a unique name (tests/ has no packages)."""
    name = "ragplatform_tests_vectorindex_contract"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("contract.py"))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


contract = _load_contract()


class TestLanceDBVectorIndex(contract.VectorIndexContract):  # type: ignore[misc, name-defined]
    @pytest.fixture
    def vector_index(self, tmp_path: Path) -> LanceDBVectorIndex:
        return LanceDBVectorIndex(tmp_path / "lancedb")


@pytest.fixture
def lance_dir(tmp_path: Path) -> Path:
    return tmp_path / "lancedb"


def _seed(index: LanceDBVectorIndex, name: str) -> None:
    index.create_collection(name, contract.DIM)
    index.upsert(name, [c for c, _ in contract.SEED], contract.seed_vectors())


def test_implements_protocol(lance_dir: Path) -> None:
    assert isinstance(LanceDBVectorIndex(lance_dir), VectorIndex)


def test_second_instance_sees_writes_of_the_first(lance_dir: Path) -> None:
    writer, reader = LanceDBVectorIndex(lance_dir), LanceDBVectorIndex(lance_dir)
    _seed(writer, "shared")
    assert reader.has_collection("shared")
    probe = VectorQuery(text="glaciers", mode="keyword", filters={"owner": "u7"})
    assert reader.query("shared", probe) == []  # the reader has now cached its table handle
    memo = contract.chunk("m1", "Upload: a memo about glaciers.", owner="u7")
    writer.upsert("shared", [memo], np.stack([contract.unit(0, 0, 0, 1)]))
    assert [h.chunk for h in reader.query("shared", probe)] == [memo]
    assert reader.count("shared") == len(contract.SEED) + 1
    writer.delete("shared", {"owner": "u7"})
    assert reader.query("shared", probe) == []


def test_reader_survives_drop_and_recreate_by_another_instance(lance_dir: Path) -> None:
    a, b = LanceDBVectorIndex(lance_dir), LanceDBVectorIndex(lance_dir)
    _seed(a, "v1")
    assert b.count("v1") == len(contract.SEED)
    a.drop_collection("v1")
    a.create_collection("v1", contract.DIM)
    assert b.count("v1") == 0


def test_aliases_are_shared_through_the_directory(lance_dir: Path) -> None:
    a, b = LanceDBVectorIndex(lance_dir), LanceDBVectorIndex(lance_dir)
    _seed(a, "v1")
    _seed(a, "v2")
    a.set_alias("production", "v1")
    assert b.resolve_alias("production") == "v1"
    b.set_alias("production", "v2")
    assert a.resolve_alias("production") == "v2"
    with pytest.raises(Conflict):
        a.set_alias("v1", "v2")  # an alias may not shadow a collection
    with pytest.raises(Conflict):
        a.create_collection("production", contract.DIM)
    a.drop_collection("v2")
    assert b.resolve_alias("production") is None


def test_new_rows_searchable_before_optimize_and_indexed_after(lance_dir: Path) -> None:
    index = LanceDBVectorIndex(lance_dir, optimize_after_rows=None)
    _seed(index, "live")
    hits = index.query("live", VectorQuery(text="kettle", mode="keyword"))
    assert [h.chunk.id for h in hits] == ["c4"]
    table = index._open("live")
    assert table.index_stats("text_idx").num_unindexed_rows == len(contract.SEED)
    index.optimize("live")
    assert table.index_stats("text_idx").num_unindexed_rows == 0
    assert [h.chunk.id for h in index.query("live", VectorQuery(text="kettle", mode="keyword"))] == ["c4"]


def test_auto_optimize_after_write(lance_dir: Path) -> None:
    index = LanceDBVectorIndex(lance_dir, optimize_after_rows=0)
    _seed(index, "live")
    assert index._open("live").index_stats("text_idx").num_unindexed_rows == 0


def test_ann_index_keeps_results(lance_dir: Path) -> None:
    index = LanceDBVectorIndex(lance_dir)
    index.create_collection("big", 8)
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(600, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    chunks = [contract.chunk(f"r{i}", f"row {i}") for i in range(600)]
    index.upsert("big", chunks, vectors)
    index.build_ann_index("big", num_partitions=2)
    hits = index.query("big", VectorQuery(vector=vectors[17], mode="dense", top_k=3))
    assert hits[0].chunk.id == "r17"


@pytest.mark.parametrize(
    ("filters", "sql"),
    [
        ({}, None),
        ({"owner": "u1"}, "owner = 'u1'"),
        ({"owner": "o'neil"}, "owner = 'o''neil'"),
        ({"kind": ["faq", "x' OR '1'='1"]}, "kind IN ('faq', 'x'' OR ''1''=''1')"),
        ({"owner": "u", "chat_id": []}, "owner = 'u' AND FALSE"),
    ],
)
def test_filters_to_sql(filters: dict[str, str | list[str]], sql: str | None) -> None:
    assert filters_to_sql(filters) == sql


def test_filters_to_sql_refuses_unknown_fields_and_non_strings() -> None:
    with pytest.raises(InvalidInput):
        filters_to_sql({"owner = 'x' OR 1=1 --": "x"})
    with pytest.raises(InvalidInput):
        filters_to_sql({"owner": [1]})  # type: ignore[list-item]


def test_bad_collection_name_is_invalid(lance_dir: Path) -> None:
    with pytest.raises(InvalidInput):
        LanceDBVectorIndex(lance_dir).create_collection("../escape", 4)


# -- driver errors: only LanceDB's, Lance's and pyarrow's are translated -------------------------

DRIVER_TEXT = ("lance error", "LanceError", "Errno", "Invalid input", "query dim", ".rs:")


def _no_driver_text(message: str) -> None:
    assert not [t for t in DRIVER_TEXT if t.lower() in message.lower()], message


def test_lance_errors_passes_a_bug_through_unchanged() -> None:
    for bug in (TypeError("bug"), AttributeError("bug"), KeyError("bug"), NotImplementedError("bug")):
        with pytest.raises(type(bug)) as raised, lance_errors("c"):
            raise bug
        assert raised.value is bug


@pytest.mark.parametrize(
    ("driver_error", "expected"),
    [
        (ValueError("Table 'c' was not found"), NotFound),
        (ValueError("Table 'c' already exists"), Conflict),
        (
            ValueError("Invalid input, query dim(3) doesn't match the column vector vector dim(4)"),
            InvalidInput,
        ),
        (pa.ArrowInvalid("Invalid input, cannot cast field 'vector'"), InvalidInput),
        (RuntimeError("lance error: Retryable commit conflict for version 7"), Conflict),
        (
            RuntimeError(
                "lance error: LanceError(IO): Permission denied (os error 13), object_store.rs:1000:21"
            ),
            BackendUnavailable,
        ),
        (PermissionError(13, "Permission denied"), BackendUnavailable),
        (pa.ArrowKeyError("no such column"), BackendUnavailable),
    ],
)
def test_lance_errors_maps_the_drivers_types(driver_error: Exception, expected: type[Exception]) -> None:
    with pytest.raises(expected) as raised, lance_errors("c"):
        raise driver_error
    assert raised.value.__cause__ is driver_error
    _no_driver_text(str(raised.value))


def test_a_folder_that_cannot_be_created_is_backend_unavailable(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(BackendUnavailable) as raised:
        LanceDBVectorIndex(tmp_path / "a-file" / "lancedb")
    assert isinstance(raised.value.__cause__, OSError)
    _no_driver_text(raised.value.message)


def test_storage_that_fails_a_write_is_backend_unavailable(lance_dir: Path) -> None:
    """Lance's own IO error (a RuntimeError) on a write: here the table's data folder is a file,
    which fails even for root (a read-only folder does too, for any other user)."""
    index = LanceDBVectorIndex(lance_dir, optimize_after_rows=None)
    _seed(index, "broken")
    data = lance_dir / "broken.lance" / "data"
    shutil.rmtree(data)
    data.write_text("not a folder")
    memo = contract.chunk("m1", "a memo")
    with pytest.raises(BackendUnavailable, match="LanceDB folder") as raised:
        index.upsert("broken", [memo], np.stack([contract.unit(0, 0, 0, 1)]))
    assert isinstance(raised.value.__cause__, RuntimeError)
    _no_driver_text(raised.value.message)


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes into read-only folders"
)
def test_a_read_only_folder_is_backend_unavailable(lance_dir: Path) -> None:
    """The fault probe's case: every write (Lance's IO error, and our own alias file) is a 503."""
    index = LanceDBVectorIndex(lance_dir, optimize_after_rows=None)
    _seed(index, "ro")
    modes = {path: path.stat().st_mode for path in [lance_dir, *lance_dir.rglob("*")]}
    for path, mode in modes.items():
        path.chmod(mode & ~0o222)
    try:
        memo = contract.chunk("m1", "a memo")
        with pytest.raises(BackendUnavailable, match="LanceDB folder") as raised:
            index.upsert("ro", [memo], np.stack([contract.unit(0, 0, 0, 1)]))
        assert isinstance(raised.value.__cause__, RuntimeError)
        with pytest.raises(BackendUnavailable, match="LanceDB folder"):
            index.set_alias("production", "ro")
        assert index.count("ro") == len(contract.SEED)  # reads still work
    finally:
        for path, mode in modes.items():
            path.chmod(mode)


def test_a_collection_removed_underneath_is_not_found(lance_dir: Path) -> None:
    index = LanceDBVectorIndex(lance_dir)
    _seed(index, "gone")
    assert index.count("gone") == len(contract.SEED)  # the handle is cached
    shutil.rmtree(lance_dir / "gone.lance")
    with pytest.raises(NotFound, match="'gone' does not exist"):
        index.count("gone")


def test_a_query_vector_of_the_wrong_length_is_invalid_input(lance_dir: Path) -> None:
    index = LanceDBVectorIndex(lance_dir)
    _seed(index, "dims")
    with pytest.raises(InvalidInput) as raised:
        index.query("dims", VectorQuery(vector=np.ones(3, dtype=np.float32), mode="dense"))
    assert isinstance(raised.value.__cause__, ValueError)
    _no_driver_text(raised.value.message)


def test_a_wrong_argument_type_is_a_bug_not_a_503(lance_dir: Path) -> None:
    """LanceDB answers an argument of the wrong type with TypeError: it stays a TypeError."""
    index = LanceDBVectorIndex(lance_dir)
    _seed(index, "typed")
    with pytest.raises(TypeError):
        index.build_ann_index("typed", index_type="IVF_PQ", num_partitions="two")  # type: ignore[arg-type]
