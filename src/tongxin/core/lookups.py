"""Lookups the ORM lacks.

``field__any=values``: the same rows as ``field__in=values``, sent to PostgreSQL as one array parameter
(``field = ANY(%s)``) instead of one placeholder per value. A bulk path that looks up thousands of keys per
query (the register import) otherwise spends more time having its SQL text built and split than the
database spends answering. Other databases get the ``IN`` list.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Field, ForeignObject, Lookup


class AnyOf(Lookup):
    """``field__any=[...]``: ``field = ANY(array)`` on PostgreSQL, ``field IN (...)`` elsewhere."""

    lookup_name = "any"
    prepare_rhs = False

    def get_db_prep_lookup(self, value: Any, connection: Any) -> tuple[str, list[Any]]:
        field = self.lhs.output_field
        return "%s", [[field.get_db_prep_value(v, connection, prepared=False) for v in value]]

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        _rhs, rhs_params = self.process_rhs(compiler, connection)
        values = rhs_params[0]
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s::{self.lhs.output_field.cast_db_type(connection)}[])", [*lhs_params, values]
        if not values:
            return "1 = 0", list(lhs_params)
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]


Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)  # related fields keep lookups of their own
