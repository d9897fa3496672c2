"""Template helpers of the cases pages."""

from __future__ import annotations

from typing import Any

from django import template

from tongxin.cases.models import Case

register = template.Library()


@register.filter
def due_label(case: Case) -> str:
    """剩余 3 小时 / 已超期 2 天."""
    from tongxin.cases.views import due_label as label

    return str(label(case))


@register.filter
def status_class(case: Case) -> str:
    """The Bootstrap colour of a case's status badge."""
    if case.status in (Case.Status.RESOLVED, Case.Status.CLOSED):
        return "success"
    if case.status in (Case.Status.REJECTED, Case.Status.MERGED):
        return "secondary"
    if case.status == Case.Status.SUSPENDED:
        return "warning"
    return "danger" if case.is_overdue() else "primary"


@register.filter
def get_item(mapping: dict, key: Any) -> Any:
    """``mapping[key]`` in a template."""
    return mapping.get(key, key)
