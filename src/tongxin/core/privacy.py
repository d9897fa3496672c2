"""Personal data by construction (DESIGN rule 4, PIPL): what a model declares, and how every interface masks it.

A model declares its personal fields in two classes:

- ``personal_fields``, **identity** data (ID numbers, phones): shown masked (``530424********0012``,
  ``139****5678``); the ``reveal`` permission shows them in clear, one access-log entry per reveal;
- ``sensitive_fields``, **sensitive** data (health, assistance, disability): shown as :data:`HIDDEN` with
  nothing of the value left; a permission of its own, ``sensitive``, shows them (never implied by ``reveal``);
- ``quasi_fields``, **quasi-identifiers** (a birth date): shown coarsened (the year) to a user who may not reveal
  the row, in clear to one who may. A birth date is the eight digits an ID number's mask hides; shown beside the
  mask it would give the number back (docs/architecture.md, "What a mask must not give back").

An ID number's mask keeps the region (6 digits) and the check digit only (``530424***********2``): with the birth
year and sex known, some 16,000 numbers remain possible, and 45 even with the birth date. The change log and the
import's problem rows, which outlive the request and sit beside clear columns in a database copy, keep nothing of
an ID number (:func:`stored`).

Pages (:mod:`tongxin.core.tables`), exports, the API (``core.api.model_schemas`` and ``crud``, which refuses an
output schema that would show one in clear) and the change log (:mod:`tongxin.core.audit`) all mask through
:func:`masked`; :func:`reveal` is the one way to see a value in clear, and it is logged. Encryption at rest is
:mod:`tongxin.core.crypto`.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models

from tongxin.core.models import Actor

IDENTITY = "identity"
SENSITIVE = "sensitive"
QUASI = "quasi"
#: what a sensitive value shows to a user who may not see it (nothing of the value survives)
HIDDEN = "***"
#: the permission action that shows each class in clear
REVEAL_ACTION = {IDENTITY: "reveal", SENSITIVE: "sensitive", QUASI: "reveal"}
#: the row attribute saying the user may reveal it (set by :func:`annotate_reveal`, ``core.scoping.annotate_can``)
CAN_REVEAL = "tongxin_can_reveal"
#: an ID number (18 digits, or the old 15), as it is stored or typed
_ID_LIKE = re.compile(r"\d{17}[\dXx]|\d{15}")


def mask(value: str, keep_start: int | None = None, keep_end: int | None = None) -> str:
    """Mask the middle of a personal value: ``530424***********2`` for an ID number (region and check digit:
    the birth date and the sequence stay hidden), ``139****5678`` for a phone."""
    value = value or ""
    n = len(value)
    if keep_end is None:
        keep_end = 1 if n >= 15 else 4
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
    out.update(dict.fromkeys(getattr(model, "quasi_fields", ()), QUASI))
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
    if kind == QUASI:
        return coarse(value)
    text = str(value)
    return ",".join(mask(part) for part in text.split(",")) if each and "," in text else mask(text)


def coarse(value: Any) -> str:
    """A quasi-identifier as a user who may not reveal it sees it: a date (or ``YYYY-MM-DD`` text) as its year."""
    if isinstance(value, datetime.date):
        return str(value.year)
    text = str(value)
    return text[:4] if re.match(r"\d{4}-", text) else HIDDEN


def stored(model: type[models.Model] | models.Model, name: str, value: Any) -> Any:
    """``value`` of field ``name`` as records that outlive the request keep it (the change log, an import's
    problem rows): masked as :func:`masked` does, except that nothing is kept of an ID number, whose masked
    form beside a clear birth date in a copy of the database would narrow the number down."""
    return stored_as(classes(model).get(name), value)


def stored_as(kind: str | None, value: Any) -> Any:
    """``value`` as :func:`stored` keeps personal data of class ``kind`` (None: not personal, unchanged)."""
    if kind == IDENTITY and value not in (None, "") and _ID_LIKE.search(str(value)):
        return HIDDEN
    return mask_as(kind, value, each=False)


def shown(obj: models.Model, name: str, value: Any = None) -> Any:
    """Field ``name`` of ``obj`` as the current row's reader sees it: a quasi-identifier in clear where the row
    carries the reveal flag (:func:`annotate_reveal`), coarsened elsewhere; other personal data masked."""
    value = getattr(obj, name, None) if value is None else value
    kind = classes(obj).get(name)
    if kind == QUASI and quasi_in_clear(obj):
        return value
    return mask_as(kind, value)


def quasi_in_clear(obj: models.Model) -> bool:
    """True when ``obj``'s quasi-identifiers show in clear to the current reader: the row carries the reveal flag,
    or the model says they complete nothing here (``quasi_masked()`` false: a person without an ID number)."""
    if getattr(obj, CAN_REVEAL, False):
        return True
    needed = getattr(obj, "quasi_masked", None)
    return needed is not None and not needed()


def annotate_reveal(queryset: models.QuerySet, user: Actor) -> models.QuerySet:
    """``queryset`` with each row flagged (:data:`CAN_REVEAL`) when ``user`` may reveal it, for models with
    quasi-identifiers, which show in clear on those rows only; unchanged otherwise (no flag: coarsened)."""
    from tongxin.core import scoping

    model = queryset.model
    if QUASI not in classes(model).values() or not scoping.has_perm(user, model, "reveal"):
        return queryset
    return scoping.annotate_can(queryset, user, "reveal")


def flag_reveal(obj: models.Model, user: Actor) -> models.Model:
    """Set the reveal flag of one object already fetched (a detail page), as :func:`annotate_reveal` does for
    a list; ``obj`` is returned."""
    from tongxin.core import scoping

    if QUASI in classes(obj).values() and not hasattr(obj, CAN_REVEAL):
        setattr(obj, CAN_REVEAL, scoping.has_perm(user, type(obj), "reveal") and scoping.can(user, obj, "reveal"))
    return obj


def may_reveal(user: Actor, model: type[models.Model], name: str) -> bool:
    """True when ``user`` holds, somewhere, the permission that shows field ``name`` of ``model`` in clear."""
    from tongxin.core import scoping

    kind = classes(model).get(name)
    return kind is not None and scoping.has_perm(user, model, REVEAL_ACTION[kind])


def revealable(user: Actor, obj: models.Model) -> list[str]:
    """The personal fields of ``obj`` that ``user`` may see in clear: the class's permission on this very object
    (its scope), one query per class at most."""
    from tongxin.core import scoping

    # quasi-identifiers show in clear wherever the user may reveal the row: nothing to reveal for them
    kinds = {name: kind for name, kind in classes(obj).items() if kind != QUASI}
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
