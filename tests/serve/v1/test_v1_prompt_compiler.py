"""/api/v1/prompt_compiler (API 05) offline: compile, compile/form and update_parameters on at least
ten prompts each, for signed-in users only, with invalid bodies answered 400 and a detail."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
import pytest

if TYPE_CHECKING:
    from conftest import SignedIn

BASE = "/api/v1/prompt_compiler"

# prompt → (the task, parameter names, a change the compiler must list)
COMPILES: list[tuple[str, str, list[str], str]] = [
    ("Find good restaurants", "Find good restaurants.", ["location"], "added a missing input: location"),
    ("Find good restaurants in {city}", "Find good restaurants in {city}.", ["city"], "named the role"),
    (
        "You are a chef. Suggest {count} recipes with <ingredient>.",
        "Suggest {count} recipes with {ingredient}.",
        ["count", "ingredient"],
        "wrote every placeholder as {name}",
    ),
    (
        "What is the capital of {{country}}?",
        "Answer this question: What is the capital of {country}?",
        ["country"],
        "stated the question as a task",
    ),
    (
        "Translate this text into French.",
        "Translate this text into French.",
        ["language"],
        "added an explicit output format",
    ),
    (
        "Write a 500-word essay about climate change",
        "Write a 500-word essay about climate change.",
        ["word_count", "topic"],
        "added a constraint against guessing",
    ),
    (
        "Review [code] and list the bugs as JSON.",
        "Review {code} and list the bugs as JSON.",
        ["code"],
        "named the role",
    ),
    (
        "Summarise $article. Never invent facts.",
        "Summarise {article}.",
        ["article"],
        "added an explicit output format",
    ),
    (
        "Plan a trip to Tokyo on {date}",
        "Plan a trip to Tokyo on {date}.",
        ["date", "location"],
        "listed the placeholders as inputs",
    ),
    ("Explain recursion for beginners", "Explain recursion for beginners.", ["audience"], "named the role"),
    (
        "Write a {tone:formal|casual} reply to {name}",
        "Write a {tone} reply to {name}.",
        ["tone", "name"],
        "wrote every placeholder as {name}",
    ),
]


@pytest.mark.parametrize(("prompt", "task", "names", "change"), COMPILES, ids=[c[0][:40] for c in COMPILES])
def test_compile(
    client: httpx.Client, alice: SignedIn, prompt: str, task: str, names: list[str], change: str
) -> None:
    r = client.post(f"{BASE}/compile", json={"prompt": prompt, "modelid": "gpt-4"}, headers=alice.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["sections"]["task"] == task
    assert [p["name"] for p in body["parameters"]] == names
    assert change in body["changes"]
    assert body["compiled_prompt"].startswith("## Role\n")
    assert body["sections"]["role"] and body["sections"]["output_format"] and body["sections"]["constraints"]
    assert (body["modelid"], body["model_configured"], body["model_api_source"]) == ("gpt-4", False, None)
    assert (body["style"], body["engine"], body["note"]) == ("markdown", "rules", None)


def test_compile_defaults_to_the_configured_model_and_follows_claude(
    client: httpx.Client, alice: SignedIn
) -> None:
    body = client.post(f"{BASE}/compile", json={"prompt": "Find {x}"}, headers=alice.headers).json()
    assert (body["modelid"], body["model_configured"], body["model_api_source"]) == (
        "extractive",
        True,
        "extractive",
    )
    body = client.post(
        f"{BASE}/compile", json={"prompt": "Find {x}", "modelid": "claude-3-sonnet"}, headers=alice.headers
    ).json()
    assert body["style"] == "xml" and body["compiled_prompt"].startswith("<role>\n")


# prompt → {name: (type, default)}
FORMS: list[tuple[str, dict[str, tuple[str, Any]]]] = [
    ("Find good restaurants", {"location": ("string", None)}),
    ("Find good restaurants in Paris", {"location": ("string", "Paris")}),
    (
        "Suggest {count} things to do in {{city}} on <date>.",
        {"count": ("integer", None), "city": ("string", None), "date": ("string", None)},
    ),
    (
        "Write a {tone:formal|casual=formal} email to [recipient].",
        {"tone": ("string", "formal"), "recipient": ("string", None)},
    ),
    ("Summarise $article in {n:int=3} sentences.", {"article": ("string", None), "n": ("integer", 3)}),
    (
        "Write a 200-word story about dragons in a humorous tone",
        {"word_count": ("integer", 200), "topic": ("string", "dragons"), "tone": ("string", "humorous")},
    ),
    ("Translate the menu into Japanese", {"language": ("string", "Japanese")}),
    (
        "Spend at most $ {budget} on a gift for {person}",
        {"budget": ("number", None), "person": ("string", None)},
    ),
    ("Reply to ${email} before {deadline}", {"email": ("string", None), "deadline": ("string", None)}),
    ("Give {k} (default: 5) tips for students", {"k": ("integer", 5), "audience": ("string", "students")}),
    ("Is {is_public} set? Answer yes or no.", {"is_public": ("boolean", None)}),
]


@pytest.mark.parametrize(("prompt", "expected"), FORMS, ids=[f[0][:40] for f in FORMS])
def test_compile_form(
    client: httpx.Client, alice: SignedIn, prompt: str, expected: dict[str, tuple[str, Any]]
) -> None:
    r = client.post(f"{BASE}/compile/form", json={"prompt": prompt}, headers=alice.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert {p["name"]: (p["type"], p["default"]) for p in body["parameters"]} == expected
    schema = body["schema"]
    assert schema["type"] == "object"
    assert {n: (p["type"], p.get("default")) for n, p in schema["properties"].items()} == expected
    assert body["defaults"] == {n: d for n, (_, d) in expected.items() if d is not None}
    assert set(schema["required"]) == {n for n, (_, d) in expected.items() if d is None}
    for p in body["parameters"]:
        if p["start"] is not None:
            assert prompt[p["start"] : p["end"]] == p["placeholder"]
    assert body["engine"] == "rules"


def test_the_form_gives_choices_formats_and_a_template(client: httpx.Client, alice: SignedIn) -> None:
    prompt = "Write a {tone} (formal|casual) note to <who> at {email} on {date}."
    body = client.post(f"{BASE}/compile/form", json={"prompt": prompt}, headers=alice.headers).json()
    props = body["schema"]["properties"]
    assert props["tone"]["enum"] == ["formal", "casual"]
    assert props["email"]["format"] == "email" and props["date"]["format"] == "date"
    assert body["template"] == "Write a {tone} note to {who} at {email} on {date}."


TRIP = {
    "type": "object",
    "properties": {
        "count": {"type": "integer"},
        "city": {"type": "string", "description": "a place"},
        "date": {"type": "string", "format": "date"},
    },
    "required": ["count", "city", "date"],
}
# (text, schema, template, values, missing)
UPDATES: list[tuple[str, dict[str, Any], str | None, dict[str, Any], list[str]]] = [
    (
        "Suggest 5 things to do in Lisbon on 2026-05-01.",
        TRIP,
        "Suggest {count} things to do in {city} on {date}.",
        {"count": 5, "city": "Lisbon", "date": "2026-05-01"},
        [],
    ),
    (
        "Please suggest 7 things to do in New York on 2026-06-02",
        TRIP,
        None,
        {"count": 7, "city": "New York", "date": "2026-06-02"},
        [],
    ),
    ("Suggest things to do in Rome", TRIP, None, {"city": "Rome"}, ["count", "date"]),
    (
        "Write a casual email to Maria.",
        {
            "type": "object",
            "properties": {
                "tone": {"type": "string", "enum": ["formal", "casual"]},
                "recipient": {"type": "string"},
            },
        },
        "Write a {tone} email to {recipient}.",
        {"tone": "casual", "recipient": "Maria"},
        [],
    ),
    (
        "I need a FORMAL letter",
        {"type": "object", "properties": {"tone": {"enum": ["formal", "casual"]}}},
        None,
        {"tone": "formal"},
        [],
    ),
    (
        "Write 300 words about the history of Rome.",
        {"type": "object", "properties": {"word_count": {"type": "integer"}, "topic": {"type": "string"}}},
        None,
        {"word_count": 300, "topic": "the history of Rome"},
        [],
    ),
    (
        "Mail ann@example.com the page https://example.com/a",
        {
            "type": "object",
            "properties": {
                "email": {"type": "string", "format": "email"},
                "url": {"type": "string", "format": "uri"},
            },
        },
        None,
        {"email": "ann@example.com", "url": "https://example.com/a"},
        [],
    ),
    (
        "Budget: 1200. Guests: 8.",
        {"type": "object", "properties": {"budget": {"type": "number"}, "guests": {"type": "integer"}}},
        None,
        {"budget": 1200.0, "guests": 8},
        [],
    ),
    (
        "Translate it into Spanish",
        {"type": "object", "properties": {"language": {"type": "string"}}},
        None,
        {"language": "Spanish"},
        [],
    ),
    (
        "Vegan: yes",
        {"type": "object", "properties": {"vegan": {"type": "boolean"}}},
        None,
        {"vegan": True},
        [],
    ),
    (
        "Explain it for children",
        {"type": "object", "properties": {"audience": {"type": "string"}}},
        None,
        {"audience": "children"},
        [],
    ),
]


@pytest.mark.parametrize(
    ("text", "schema", "template", "values", "missing"), UPDATES, ids=[u[0][:40] for u in UPDATES]
)
def test_update_parameters(
    client: httpx.Client,
    alice: SignedIn,
    text: str,
    schema: dict[str, Any],
    template: str | None,
    values: dict[str, Any],
    missing: list[str],
) -> None:
    body: dict[str, Any] = {"prompt": text, "schema": schema}
    if template:
        body["template"] = template
    r = client.post(f"{BASE}/update_parameters", json=body, headers=alice.headers)
    assert r.status_code == 200, r.text
    reply = r.json()
    assert reply["values"] == values
    assert reply["missing"] == missing
    assert [f["name"] for f in reply["found"]] == list(values)
    for f in reply["found"]:
        assert text[f["start"] : f["end"]] == f["text"]
    assert reply["engine"] == "rules"


def test_the_form_then_its_values_round_trip(client: httpx.Client, alice: SignedIn) -> None:
    form = client.post(
        f"{BASE}/compile/form",
        json={"prompt": "Find <cuisine> restaurants in {{city}} for {n} people"},
        headers=alice.headers,
    ).json()
    r = client.post(
        f"{BASE}/update_parameters",
        json={
            "prompt": "Find Thai restaurants in San Sebastián for 4 people",
            "schema": form["schema"],
            "template": form["template"],
        },
        headers=alice.headers,
    )
    assert r.json()["values"] == {"cuisine": "Thai", "city": "San Sebastián", "n": 4}


@pytest.mark.parametrize("path", ["/compile", "/compile/form", "/update_parameters"])
def test_the_compiler_needs_a_signed_in_user(client: httpx.Client, path: str) -> None:
    r = client.post(f"{BASE}{path}", json={"prompt": "Find {x}", "schema": TRIP})
    assert r.status_code == 401 and r.json()["detail"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/compile", {}, "prompt"),
        ("/compile", {"prompt": ""}, "prompt"),
        ("/compile", {"prompt": "x" * 20_001}, "prompt"),
        ("/compile", {"prompt": "Find {x}", "modelid": "bad\nid"}, "modelid"),
        ("/compile/form", {"prompt": 5}, "prompt"),
        ("/update_parameters", {"prompt": "Suggest 5"}, "schema"),
        ("/update_parameters", {"prompt": "x", "schema": {"properties": {}}}, "properties"),
        ("/update_parameters", {"prompt": "x", "schema": {"properties": {"a": {"type": "date"}}}}, "type"),
        ("/update_parameters", {"prompt": "x", "schema": {"properties": {"a b": {}}}}, "a b"),
        (
            "/update_parameters",
            {"prompt": "x", "schema": {"properties": {"a": {}}, "required": ["b"]}},
            "schema",
        ),
    ],
)
def test_an_invalid_body_is_a_400_with_detail(
    client: httpx.Client, alice: SignedIn, path: str, body: dict[str, Any], field: str
) -> None:
    r = client.post(f"{BASE}{path}", json=body, headers=alice.headers)
    assert r.status_code == 400, r.text
    detail = r.json()["detail"]
    assert isinstance(detail, list) and detail
    assert any(field in [str(part) for part in d["loc"]] or field in d["msg"] for d in detail)


def test_a_blank_prompt_is_a_400_naming_the_field(client: httpx.Client, alice: SignedIn) -> None:
    r = client.post(f"{BASE}/compile", json={"prompt": "   "}, headers=alice.headers)
    assert r.status_code == 400
    assert r.json() == {"detail": "prompt must not be blank", "field": "prompt", "value": "   "}


def test_other_routes_keep_their_validation_status(client: httpx.Client, alice: SignedIn) -> None:
    assert client.get("/api/v1/model", params={"size": 0}, headers=alice.headers).status_code == 422


def test_the_openapi_schema_documents_the_routes(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("/compile", "/compile/form", "/update_parameters"):
        op = spec["paths"][f"{BASE}{path}"]["post"]
        assert {"200", "400", "401"} <= set(op["responses"]) and "422" not in op["responses"]
    schemas = spec["components"]["schemas"]
    assert schemas["PromptCompile"]["examples"][0] == {"prompt": "Find good restaurants", "modelid": "gpt-4"}
    for name in (
        "CompiledPromptPublic",
        "PromptFormPublic",
        "ParameterValuesUpdate",
        "ParameterValuesPublic",
    ):
        assert schemas[name]["examples"]
    assert "schema" in schemas["PromptFormPublic"]["properties"]
