"""Model fields shared by the apps."""

from __future__ import annotations

from typing import Any

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
