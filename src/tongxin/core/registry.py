"""The registry of models that have generic pages (and API endpoints): navigation and tests walk it."""

from __future__ import annotations

from typing import Any


class Registry:
    """Viewsets by model label, in registration order."""

    def __init__(self) -> None:
        self._viewsets: dict[str, Any] = {}
        self._api: dict[str, dict[str, Any]] = {}

    def register(self, viewset: Any) -> None:
        """Register a model's viewset (idempotent)."""
        self._viewsets[viewset.model._meta.label] = viewset

    def register_api(self, model: Any, **info: Any) -> None:
        """Register a model's API endpoints (the base path, schemas)."""
        self._api[model._meta.label] = {"model": model, **info}

    def all(self) -> list[Any]:
        """Every registered viewset."""
        self._ensure_loaded()
        return list(self._viewsets.values())

    def api(self) -> list[dict[str, Any]]:
        """Every registered API entry."""
        self._ensure_loaded()
        return list(self._api.values())

    def get(self, model: Any) -> Any:
        """The viewset of a model, or None."""
        self._ensure_loaded()
        return self._viewsets.get(model._meta.label)

    def _ensure_loaded(self) -> None:
        from django.urls import get_resolver

        get_resolver().url_patterns  # noqa: B018 - importing the URLconf registers every viewset


registry = Registry()
