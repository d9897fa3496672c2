"""Default roles, loaded from ``data/roles.json`` after each migrate (only missing roles are created)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROLES_FILE = Path(__file__).resolve().parent / "data" / "roles.json"


def default_roles() -> list[dict[str, Any]]:
    """The shipped role definitions."""
    return json.loads(ROLES_FILE.read_text(encoding="utf-8"))["roles"]


def sync_default_roles(sender: Any = None, using: str = "default", **kwargs: Any) -> None:
    """Create any default role that does not exist yet (administrators' edits are kept)."""
    from tongxin.org.models import Role

    for spec in default_roles():
        Role.objects.using(using).get_or_create(
            codename=spec["codename"],
            defaults={
                "name": spec["name"],
                "description": spec.get("description", ""),
                "permissions": spec["permissions"],
                "grant_levels": spec.get("grant_levels", []),
                "is_system": True,
            },
        )
