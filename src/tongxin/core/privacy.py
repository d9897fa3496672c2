"""Personal data by construction (DESIGN rule 4, PIPL): what a model declares, and how every interface masks it.

A model declares its personal fields in two classes:

- ``personal_fields``, **identity** data (ID numbers, phones): shown masked (``530424********0012``,
  ``139****5678``); the ``reveal`` permission shows them in clear, one access-log entry per reveal;
- ``sensitive_fields``, **sensitive** data (health, assistance, disability): shown as :data:`HIDDEN` with
  nothing of the value left; a permission of its own, ``sensitive``, shows them (never implied by ``reveal``).

Pages (:mod:`tongxin.core.tables`), exports, the API (``core.api.model_schemas`` and ``crud``, which refuses an
output schema that would show one in clear) and the change log (:mod:`tongxin.core.audit`) all mask through
:func:`masked`; :func:`reveal` is the one way to see a value in clear, and it is logged. Encryption at rest is
:mod:`tongxin.core.crypto`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models

from tongxin.core.models import Actor

IDENTITY = "identity"
SENSITIVE = "sensitive"
#: what a sensitive value shows to a user who may not see it (nothing of the value survives)
HIDDEN = "***"
#: the permission action that shows each class in clear
REVEAL_ACTION = {IDENTITY: "reveal", SENSITIVE: "sensitive"}


def mask(value: str, keep_start: int | None = None, keep_end: int = 4) -> str:
    """Mask the middle of a personal value: ``530424********0012`` for an ID, ``139****5678`` for a phone."""
    value = value or ""
    n = len(value)
    if n <= keep_end:
        return "*" * n
    if keep_start is None:
        keep_start = 6 if n >= 15 else 3
    keep_start = min(keep_start, max(0, n - keep_end - 1))
    return value[:keep_start] + "*" * (n - keep_start - keep_end) + value[n - keep_end :]


def classes(model: type[models.Model] | models.Model) -> dict[str, str]:
    """The personal fields a model declares, each with its class (identity or sensitive)."""
    out = dict.fromkeys(getattr(model, "personal_fields", ()), IDENTITY)
    out.update(dict.fromkeys(getattr(model, "sensitive_fields", ()), SENSITIVE))
    return out


def masked(model: type[models.Model] | models.Model, name: str, value: Any) -> Any:
    """``value`` of field ``name`` as a user without the permission to reveal it sees it: unchanged for a field
    that is not personal, masked for identity data (each of several comma-separated phones), :data:`HIDDEN`
    for sensitive data; empty stays empty."""
    return mask_as(classes(model).get(name), value)


def mask_as(kind: str | None, value: Any, *, each: bool = True) -> Any:
    """``value`` masked as personal data of class ``kind`` (None: not personal, unchanged); with ``each``, each
    of several comma-separated values (phones) is masked on its own, as pages show them."""
    if kind is None or value is None or value == "":
        return value
    if kind == SENSITIVE:
        return HIDDEN
    text = str(value)
    return ",".join(mask(part) for part in text.split(",")) if each and "," in text else mask(text)


def may_reveal(user: Actor, model: type[models.Model], name: str) -> bool:
    """True when ``user`` holds, somewhere, the permission that shows field ``name`` of ``model`` in clear."""
    from tongxin.core import scoping

    kind = classes(model).get(name)
    return kind is not None and scoping.has_perm(user, model, REVEAL_ACTION[kind])


def revealable(user: Actor, obj: models.Model) -> list[str]:
    """The personal fields of ``obj`` that ``user`` may see in clear: the class's permission on this very object
    (its scope), one query per class at most."""
    from tongxin.core import scoping

    kinds = classes(obj)
    allowed = {
        kind: scoping.has_perm(user, type(obj), REVEAL_ACTION[kind]) and scoping.can(user, obj, REVEAL_ACTION[kind])
        for kind in set(kinds.values())
    }
    return [name for name, kind in kinds.items() if allowed[kind]]


def reveal(user: Actor, obj: models.Model, fields: list[str] | tuple[str, ...] | None = None) -> dict[str, str]:
    """The clear values of ``obj``'s personal fields that ``user`` may reveal (or of ``fields``, each of which
    they must be allowed), written to the access log as one entry. The caller has fetched ``obj`` through the
    scoping function (a 404 outside the user's scope); :func:`revealable` checks the permission on the object.
    A model may hide values in its ``revealed_values(fields)`` (e.g. an anonymous case's reporter). Raises
    ``PermissionDenied`` when there is nothing the user may reveal."""
    from tongxin.core import audit
    from tongxin.core.models import AccessLog

    allowed = revealable(user, obj)
    if fields is None:
        fields = allowed
    elif any(name not in allowed for name in fields):
        raise PermissionDenied
    if not fields:
        raise PermissionDenied
    read = getattr(obj, "revealed_values", None)
    values = read(list(fields)) if read else {name: getattr(obj, name) for name in fields}
    values = {name: "" if value is None else str(value) for name, value in values.items()}
    with audit.acting_as(user):
        audit.log_access(obj, AccessLog.Action.REVEAL, fields=[name for name, value in values.items() if value])
    return values
