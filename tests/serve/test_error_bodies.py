"""``ragserve.errors``: what a client reads when something goes wrong (an app of its own, in process)."""

from __future__ import annotations

import logging
import math

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from ragplatform.errors import BackendUnavailable, InvalidInput
from ragserve import errors


class Body(BaseModel):
    n: int


def app_raising(exc: Exception) -> TestClient:
    app = FastAPI()
    errors.install(app)

    @app.get("/boom")
    def boom() -> None:
        raise exc

    @app.post("/typed")
    def typed(body: Body) -> int:
        return body.n

    return TestClient(app, raise_server_exceptions=False)


def test_a_bug_is_a_bare_500_and_its_traceback_goes_to_the_log(caplog: pytest.LogCaptureFixture) -> None:
    client = app_raising(RuntimeError("SELECT secret FROM driver text"))
    with caplog.at_level(logging.ERROR, "ragserve.errors"):
        r = client.get("/boom")
    assert r.status_code == 500
    assert r.json() == {"detail": "internal error"}
    logged = [rec for rec in caplog.records if rec.name == "ragserve.errors"]
    assert logged and logged[0].exc_info is not None
    assert "SELECT secret" in str(logged[0].exc_info[1])


def test_an_unavailable_backend_stays_503_not_the_catch_all() -> None:
    r = app_raising(BackendUnavailable("PostgreSQL is unavailable; try again shortly")).get("/boom")
    assert r.status_code == 503
    assert r.json() == {"detail": "PostgreSQL is unavailable; try again shortly"}


@pytest.mark.parametrize(
    ("value", "sent"),
    [
        (7, 7),
        (math.nan, "nan"),
        (math.inf, "inf"),
        (10**400, "an integer of 1329 bits"),
        ("a\ud800b", "a\\ud800b"),
        ("x" * 1000, "x" * 200 + "..."),
        (b"\xff\xfe", "\ufffd\ufffd"),
        ({"k": [1, math.nan]}, {"k": [1, "nan"]}),
    ],
)
def test_invalid_input_sends_its_field_and_a_json_safe_value(value: object, sent: object) -> None:
    r = app_raising(InvalidInput("top_k is wrong", field="top_k", value=value)).get("/boom")
    assert r.status_code == 422
    assert r.json() == {"detail": "top_k is wrong", "field": "top_k", "value": sent}


def test_invalid_input_without_a_field_sends_the_detail_alone() -> None:
    r = app_raising(InvalidInput("something is wrong")).get("/boom")
    assert r.json() == {"detail": "something is wrong"}


def test_a_validation_error_echoing_bytes_that_are_not_utf8_is_still_422() -> None:
    client = app_raising(RuntimeError())
    r = client.post("/typed", content=b"\xff\xfe\x00", headers={"content-type": "text/plain"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][0] == "body"
