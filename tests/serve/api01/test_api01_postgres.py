"""API 01 /postgres/*: FAQ, emergency contacts and events, full CRUD; writes need an admin."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

FAQ = {
    "question": "Where is lost property kept (api01 test)?",
    "answer": "At the front desk.",
    "is_active": True,
}
CONTACT = {
    "name": "Night porter",
    "phone_number": "+44 20 0000 0000",
    "description": "after hours",
    "is_active": True,
}
EVENT = {
    "name": "Steam day",
    "description": "Engines running",
    "address": "Engine hall",
    "date_start": "2030-09-15T10:00:00+00:00",
    "date_end": "2030-09-15T16:00:00+00:00",
    "is_active": True,
    "featured": True,
    "price": [
        {"type": "adult", "amount": 12.5, "currency": "GBP"},
        {"type": "child", "amount": 0, "currency": "GBP"},
    ],
}
RECORD_FIELDS = {"id", "is_active", "created_at", "updated_at"}


def crud(
    client: httpx.Client, headers: dict[str, str], path: str, create: dict[str, Any], change: dict[str, Any]
) -> dict[str, Any]:
    """Create → read → list → update → delete → 404; returns the created record."""
    r = client.post(path, json=create, headers=headers)
    assert r.status_code == 201, r.text
    item = r.json()
    assert set(item) == RECORD_FIELDS | set(create)
    assert {k: item[k] for k in create if k not in ("date_start", "date_end")} == {
        k: v for k, v in create.items() if k not in ("date_start", "date_end")
    }
    url = f"{path}/{item['id']}"
    assert client.get(url).json() == item
    assert item in client.get(path, params={"limit": 1000}).json()
    r = client.put(url, json=change, headers=headers)
    assert r.status_code == 200, r.text
    updated = r.json()
    assert updated == item | change | {"updated_at": updated["updated_at"]}
    r = client.delete(url, headers=headers)
    assert r.status_code == 200
    assert r.json()["status"] == "success"
    assert client.get(url).status_code == 404
    return item


def test_faq_crud(client: httpx.Client, admin_headers: dict[str, str]) -> None:
    item = crud(client, admin_headers, "/postgres/faq", FAQ, {"answer": "At reception.", "is_active": False})
    r = client.delete(f"/postgres/faq/{item['id']}", headers=admin_headers)
    assert r.status_code == 404
    assert r.json() == {"detail": "FAQ item not found"}


def test_faq_delete_response_is_the_documented_one(
    client: httpx.Client, admin_headers: dict[str, str]
) -> None:
    item = client.post("/postgres/faq", json=FAQ, headers=admin_headers).json()
    r = client.delete(f"/postgres/faq/{item['id']}", headers=admin_headers)
    assert r.json() == {"status": "success", "message": "FAQ item deleted successfully"}


def test_emergency_crud(client: httpx.Client, admin_headers: dict[str, str]) -> None:
    item = crud(client, admin_headers, "/postgres/emergency", CONTACT, {"phone_number": "112"})
    r = client.get(f"/postgres/emergency/{item['id']}")
    assert r.json() == {"detail": "Emergency contact not found"}


def test_events_crud_with_price_list(client: httpx.Client, admin_headers: dict[str, str]) -> None:
    price = [{"type": "family", "amount": 30.0, "currency": "GBP"}]
    item = crud(client, admin_headers, "/postgres/events", EVENT, {"price": price, "featured": False})
    assert item["price"] == EVENT["price"]
    assert client.get(f"/postgres/events/{item['id']}").json() == {"detail": "Event not found"}


def test_lists_are_documented_lists_and_page(client: httpx.Client) -> None:
    for path in ("/postgres/faq", "/postgres/emergency", "/postgres/events"):
        everything = client.get(path).json()
        assert isinstance(everything, list) and everything, path
        assert set(everything[0]) >= RECORD_FIELDS
        page = client.get(path, params={"skip": 1, "limit": 1}).json()
        assert page == everything[1:2]


@pytest.mark.parametrize(("param", "value"), [("skip", -1), ("limit", 0), ("limit", 1001)])
def test_paging_is_bounded(client: httpx.Client, param: str, value: int) -> None:
    r = client.get("/postgres/faq", params={param: value})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["query", param]


def test_anonymous_writes_are_refused_and_reads_are_open(client: httpx.Client) -> None:
    first = client.get("/postgres/faq").json()[0]
    assert client.get(f"/postgres/faq/{first['id']}").status_code == 200
    for method, path, body in [
        ("POST", "/postgres/faq", FAQ),
        ("PUT", f"/postgres/faq/{first['id']}", {"answer": "hijacked"}),
        ("DELETE", f"/postgres/faq/{first['id']}", None),
        ("POST", "/postgres/emergency", CONTACT),
        ("POST", "/postgres/events", EVENT),
    ]:
        r = client.request(method, path, json=body)
        assert r.status_code == 401, (method, path)
        assert r.headers["www-authenticate"] == "Bearer"
    assert client.get(f"/postgres/faq/{first['id']}").json() == first


def test_unknown_and_invalid_ids(client: httpx.Client, admin_headers: dict[str, str]) -> None:
    r = client.get("/postgres/faq/987654321")
    assert r.status_code == 404
    assert r.json() == {"detail": "FAQ item not found"}
    r = client.put("/postgres/faq/987654321", json={"answer": "x"}, headers=admin_headers)
    assert r.json() == {"detail": "FAQ item not found"}
    assert client.get("/postgres/faq/not-a-number").status_code == 422
    assert client.get(f"/postgres/faq/{2**70}").status_code == 422


def test_sql_strings_are_stored_verbatim(client: httpx.Client, admin_headers: dict[str, str]) -> None:
    hostile = {"question": "'; DROP TABLE faq_item; --", "answer": '{"$where": "1 == 1"}', "is_active": False}
    item = client.post("/postgres/faq", json=hostile, headers=admin_headers).json()
    try:
        assert {k: item[k] for k in hostile} == hostile
        assert client.get(f"/postgres/faq/{item['id']}").json()["question"] == hostile["question"]
        assert client.get("/postgres/health").json()["tables"]
    finally:
        client.delete(f"/postgres/faq/{item['id']}", headers=admin_headers)


def test_invalid_bodies_are_422_and_write_nothing(
    client: httpx.Client, admin_headers: dict[str, str]
) -> None:
    before = len(client.get("/postgres/events", params={"limit": 1000}).json())
    bad_dates = EVENT | {"date_end": "2030-09-14T10:00:00+00:00"}
    bad_price = EVENT | {"price": [{"type": "adult", "amount": -1, "currency": "GBP"}]}
    for body in (bad_dates, bad_price, {"name": "no start"}):
        r = client.post("/postgres/events", json=body, headers=admin_headers)
        assert r.status_code == 422, body
        assert isinstance(r.json()["detail"], list)
    assert len(client.get("/postgres/events", params={"limit": 1000}).json()) == before
    r = client.post("/postgres/faq", json={"question": "", "answer": "x"}, headers=admin_headers)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "question"]
