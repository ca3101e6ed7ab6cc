"""The error tree: map_exceptions translates only the driver errors it is given; fields ride along."""

from __future__ import annotations

import pytest

from ragplatform.errors import BackendUnavailable, InvalidInput, NotFound, TooLarge, map_exceptions


def test_map_exceptions_translates_only_what_it_is_given_most_specific_first() -> None:
    mapping = {
        OSError: lambda exc: BackendUnavailable(f"store: {exc.__class__.__name__}"),
        FileNotFoundError: lambda exc: NotFound("gone"),
    }
    with pytest.raises(NotFound, match="gone") as caught, map_exceptions(mapping):
        raise FileNotFoundError("x")
    assert isinstance(caught.value.__cause__, FileNotFoundError)
    with pytest.raises(BackendUnavailable, match="store: PermissionError"), map_exceptions(mapping):
        raise PermissionError("ro")
    with pytest.raises(KeyError), map_exceptions(mapping):  # a bug stays a bug
        raise KeyError("bug")
    with pytest.raises(InvalidInput, match="already ours"), map_exceptions(mapping):
        raise InvalidInput("already ours")


def test_invalid_input_carries_its_field_and_value() -> None:
    err = TooLarge("too big", field="file", value=123)
    assert (err.message, err.field, err.value) == ("too big", "file", 123)
    assert InvalidInput("plain").field is None
