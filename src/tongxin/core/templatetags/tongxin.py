"""Template tags of the generic views."""

from typing import Any

from django import template

register = template.Library()


@register.simple_tag
def cell(column, obj):
    """Render one table cell, once per row and column (the phone cards show some of the table's cells again)."""
    done = obj.__dict__.setdefault("_tongxin_cells", {})
    key = id(column)
    if key not in done:
        done[key] = column.html(obj)
    return done[key]


@register.filter
def shown(obj: Any, name: str) -> Any:
    """``{{ person|shown:"birth_date" }}``: a field as the page's reader may see it (core.privacy.shown: a birth
    date as its year where it would complete a masked ID number); dates as YYYY-MM-DD."""
    import datetime

    from tongxin.core import privacy

    value = privacy.shown(obj, name)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return "—" if value in (None, "") else value
