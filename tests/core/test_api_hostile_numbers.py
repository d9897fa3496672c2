"""Hostile numbers through the API (issue 16, finding 7): no page offset or size, id or integer field can make a
query or a column overflow. Every operation is walked from the live OpenAPI document, so a new endpoint is covered
without being listed: each refusal is a 422 naming the field and the value, never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.core.api_world import integer_schemas, model_of, one_of_each, openapi, operations, resolve

#: beyond every integer column (bigint) and beyond a 32-bit offset, below every column
OVERFLOWS = (2**63, -(2**63) - 1)
#: (parameter, value) of a list's paging that must be refused
HOSTILE_PAGES = (
    ("offset", "9223372036854775808"),
    ("offset", "2147483648"),
    ("offset", "-1"),
    ("offset", "1e3"),
    ("limit", "-5"),
    ("limit", "0"),
    ("limit", "1001"),
    ("limit", "100000000000000000000"),
    ("limit", "abc"),
)


@pytest.fixture
def api(client, world):
    """A client with the administrator's token (every permission, everywhere), the document, one row per model."""
    made = one_of_each(world)
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {world.tokens['admin']}"
    return client, openapi(client), made


def refused(response: Any, field: str, value: Any) -> str | None:
    """Why the response is not the expected refusal (422 naming the field and the value), or None."""
    if response.status_code != 422:
        return f"status {response.status_code}: {response.content[:200]!r}"
    body = response.json()
    if not any(key == field or key.startswith(f"{field}.") for key in body.get("errors", {})):
        return f"the errors do not name {field}: {body}"
    if str(value) not in body["detail"]:
        return f"the message does not name the value {value}: {body['detail']}"
    return None


def call(client: Any, method: str, path: str, **kwargs: Any) -> Any:
    """Send one request with the test client."""
    return getattr(client, method)(path, **kwargs)


def list_paths(doc: dict[str, Any]) -> list[str]:
    """The paths of the paginated lists (their operation reads ``offset``)."""
    return [path for _m, path, op in operations(doc) if any(p["name"] == "offset" for p in op["parameters"])]


def _pk_for(path: str, made: dict[type, Any]) -> int:
    """The id of the made row of the path's model (1 for a path of no model: its check comes first anyway)."""
    model = model_of(path)
    return made[model].pk if model in made else 1


def test_hostile_paging_on_every_list_is_refused_with_422_naming_the_parameter(api):
    client, doc, _made = api
    lists = list_paths(doc)
    assert len(lists) >= 15, lists
    problems = []
    for path in lists:
        for name, value in HOSTILE_PAGES:
            problem = refused(client.get(path, {name: value}), name, value)
            if problem:
                problems.append(f"GET {path}?{name}={value}: {problem}")
    assert problems == []


def test_the_largest_page_and_offset_allowed_are_served(api):
    client, doc, _made = api
    lists = list_paths(doc)
    for path in lists:
        response = client.get(path, {"limit": 1000, "offset": 2**31 - 1})
        assert response.status_code == 200, (path, response.content[:300])
        assert response.json()["results"] == []


def test_an_id_beyond_the_bigint_range_is_refused_on_every_operation_with_an_id(api):
    client, doc, _made = api
    problems = []
    for method, path, _op in operations(doc):
        if "{pk}" not in path:
            continue
        for value in (2**63, 0, -1):
            kwargs = {"data": "{}", "content_type": "application/json"} if method in ("post", "patch") else {}
            problem = refused(call(client, method, path.replace("{pk}", str(value)), **kwargs), "pk", value)
            if problem:
                problems.append(f"{method.upper()} {path} pk={value}: {problem}")
    assert problems == []


def body_integers(doc: dict[str, Any], op: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], bool]]:
    """(content type, property, integer schema, in a list) of every integer in an operation's request body."""
    out = []
    for content_type, content in op.get("requestBody", {}).get("content", {}).items():
        for name, prop in resolve(doc, content["schema"]).get("properties", {}).items():
            out += [(content_type, name, schema, many) for schema, many in integer_schemas(doc, prop)]
    return out


def send(client: Any, method: str, path: str, content_type: str, name: str, value: Any) -> Any:
    """Send a body holding only ``name``: as JSON, or as a multipart form field."""
    if content_type == "application/json":
        return call(client, method, path, data=json.dumps({name: value}), content_type=content_type)
    return call(client, method, path, data={name: str(value)})  # a form field (multipart)


def test_an_integer_beyond_its_column_in_every_write_is_refused_with_422_naming_the_field(api):
    client, doc, made = api
    problems, seen = [], 0
    for method, path, op in operations(doc):
        target = path.replace("{pk}", str(_pk_for(path, made)))
        for content_type, name, schema, many in body_integers(doc, op):
            # beyond any column, and just beyond this field's column (e.g. 2**31 for a 32-bit integer)
            for value in (*OVERFLOWS, schema.get("maximum", 0) + 1, schema.get("minimum", 0) - 1):
                seen += 1
                response = send(client, method, target, content_type, name, [value] if many else value)
                problem = refused(response, name, value)
                if problem:
                    problems.append(f"{method.upper()} {path} {name}={value}: {problem}")
    assert seen >= 100, seen
    assert problems == []


def test_an_overflowing_integer_in_every_query_is_refused(api):
    client, doc, _made = api
    problems = []
    for method, path, op in operations(doc):
        for param in op["parameters"]:
            if param["in"] != "query" or not integer_schemas(doc, param["schema"]):
                continue
            for value in OVERFLOWS:
                problem = refused(call(client, method, path, data={param["name"]: value}), param["name"], value)
                if problem:
                    problems.append(f"{method.upper()} {path}?{param['name']}={value}: {problem}")
    assert problems == []


def test_every_integer_the_api_reads_is_bounded_in_the_document(api):
    """A client learns each integer's range from the document; nothing unbounded reaches a column."""
    _client, doc, _made = api
    unbounded = []
    for method, path, op in operations(doc):
        fields = [(p["name"], p["schema"]) for p in op["parameters"]]
        fields += [(name, schema) for _ct, name, schema, _many in body_integers(doc, op)]
        for name, schema in fields:
            for alt, _many in integer_schemas(doc, schema) or []:
                if "minimum" not in alt or "maximum" not in alt:
                    unbounded.append(f"{method.upper()} {path} {name}")
    assert unbounded == []


def test_the_largest_value_a_write_accepts_fits_its_column(api):
    """Each integer at the maximum its schema allows reaches the form and the database without overflowing
    (the row exists, so the write is really tried): a documented answer, never a 500."""
    client, doc, made = api
    problems = []
    for method, path, op in operations(doc):
        if method not in ("post", "patch"):
            continue
        target = path.replace("{pk}", str(_pk_for(path, made)))
        documented = {int(code) for code in op["responses"]}
        for content_type, name, schema, many in body_integers(doc, op):
            for value in (schema["maximum"], schema["minimum"]):
                response = send(client, method, target, content_type, name, [value] if many else value)
                if response.status_code not in documented or response.status_code >= 500:
                    problems.append(f"{method.upper()} {path} {name}={value}: {response.status_code}")
    assert problems == []
