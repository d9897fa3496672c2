"""Helpers of the API contract tests: one object of every model the API serves, and the live OpenAPI document."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from tongxin.core.registry import registry
from tongxin.core.testing import ModelTestCase


def _subclasses(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out += [sub, *_subclasses(sub)]
    return out


def one_of_each(world: Any) -> dict[type, Any]:
    """One object of every model with a generic test class, made in community A by that class's ``make`` (the
    models' declared test data, so a new model is covered without listing it here)."""
    import tests

    for module in pkgutil.walk_packages(tests.__path__, "tests."):
        if module.name.rsplit(".", 1)[-1].startswith("test_") and not module.name.startswith("tests.browser"):
            importlib.import_module(module.name)
    made: dict[type, Any] = {}
    for case in _subclasses(ModelTestCase):
        model = getattr(case, "viewset", None) and case.viewset.model
        if model is not None and model not in made:
            made[model] = case().make(world, world.a)
    return made


def openapi(client: Any) -> dict[str, Any]:
    """The live OpenAPI document, as a client reads it."""
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def operations(doc: dict[str, Any]):
    """(method, path, operation) of every operation of the document."""
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


def resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """A schema with its ``$ref`` followed."""
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def integer_schemas(doc: dict[str, Any], schema: dict[str, Any]) -> list[tuple[dict[str, Any], bool]]:
    """The integer alternatives of a property's schema, each with whether it is a list's item."""
    out = []
    for alt in resolve(doc, schema).get("anyOf", [schema]):
        alt = resolve(doc, alt)
        if alt.get("type") == "integer":
            out.append((alt, False))
        elif alt.get("type") == "array" and resolve(doc, alt.get("items", {})).get("type") == "integer":
            out.append((resolve(doc, alt["items"]), True))
    return out


def model_of(path: str) -> type | None:
    """The model whose API path (``/api/v1/<app>/<segment>/{pk}/…``) this is, from the API registry."""
    best = None
    for entry in registry.api():
        base = f"/api/v1/{entry['model']._meta.app_label}{entry['path']}"
        if path.startswith(base) and (best is None or len(base) > len(best[0])):
            best = (base, entry["model"])
    return best[1] if best else None
