"""Model fields shared by the apps."""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from tongxin.core import crypto


class EncryptedTextField(models.TextField):
    """Text stored encrypted (AES-GCM); in Python the value is the clear text.

    The column cannot be searched: pair it with a keyed-hash column (see :mod:`tongxin.core.crypto`).
    Only ``isnull`` lookups are allowed, so that a filter on the clear text fails loudly instead of
    silently matching nothing.
    """

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str:
        return crypto.decrypt(value) if value else ""

    def to_python(self, value: Any) -> str:
        return "" if value is None else str(value)

    def get_prep_value(self, value: Any) -> str:
        value = super().get_prep_value(value)
        return crypto.encrypt(value) if value else ""

    def get_lookup(self, lookup_name: str):
        if lookup_name != "isnull":
            return None
        return super().get_lookup(lookup_name)


class EncryptedJSONField(models.TextField):
    """A list (or dict) stored as encrypted JSON text: for records that hold raw personal data for a while, such as
    an import job's problem rows (their cells: ID numbers, phones), so that a copy of the database without the
    data key shows nothing of them. Empty stays empty text (``exact`` and ``isnull`` are the only lookups, for
    "has any"); the value cannot be searched."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("default", list)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return self.to_python(crypto.decrypt(value) if value else "")

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            return json.loads(value) if value else self.get_default()
        return self.get_default() if value is None else value

    def get_prep_value(self, value: Any) -> str:
        if not value:
            return ""
        return crypto.encrypt(json.dumps(value, ensure_ascii=False, cls=DjangoJSONEncoder))

    def value_to_string(self, obj: models.Model) -> str:
        return json.dumps(self.value_from_object(obj), ensure_ascii=False, cls=DjangoJSONEncoder)

    def get_lookup(self, lookup_name: str):
        if lookup_name not in ("exact", "isnull"):
            return None
        return super().get_lookup(lookup_name)


class KeyField(models.CharField):
    """Text that is only ever compared for equality, never sorted for people: keyed hashes (hex), object ids.

    On PostgreSQL the column has the byte-order collation ``"C"``, so its indexes compare bytes instead of calling
    the database's locale for every comparison (a ``zh_CN.UTF-8`` or ``en_US.UTF-8`` collation sorts text by its
    language's rules, work an index of hashes does not need; measured on a ``C.UTF-8`` server: 2–3 % of the
    server's work in a register import). Elsewhere (SQLite compares bytes already) the column is plain text.
    """

    def db_parameters(self, connection: Any) -> dict[str, Any]:
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params
