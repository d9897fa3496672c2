"""Pages deep into a long list at the cost of the first: keys found by the sizes of the groups the list's ordering
forms, not by an OFFSET that sorts every row before the page (``core.views.generic.page_rows``)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Count

#: from this row on, a list ordered first by a unique field of a required foreign key (persons by their community's
#: code) finds its page by the groups' sizes instead of sorting every row before it (:meth:`Groups.keys`)
GROUP_SKIP_FROM = 500


def _group_ordering(qs: models.QuerySet) -> tuple[Any, str, list] | None:
    """(foreign key, its ordering on the related model, the rest of the ordering) when ``qs`` is ordered first by a
    unique, required field of a required foreign key (``community__code``), so that the rows come in whole groups of
    one key each; None otherwise (or when annotations or DISTINCT could change what a group holds)."""
    query = qs.query
    order = list(query.order_by or (query.get_meta().ordering if query.default_ordering else ()))
    if not order or not isinstance(order[0], str) or query.distinct or query.annotations or query.extra_order_by:
        return None
    first = order[0].lstrip("-")
    if first.count("__") != 1:
        return None
    fk_name, target_name = first.split("__")
    try:
        fk = qs.model._meta.get_field(fk_name)
        target = fk.related_model._meta.get_field(target_name) if fk.is_relation else None
    except FieldDoesNotExist:
        return None
    if not (fk.many_to_one and not fk.null and target is not None and target.unique and not target.null):
        return None
    return fk, ("-" if order[0].startswith("-") else "") + target_name, order[1:] or ["pk"]


class Groups:
    """The sizes of the groups a list comes in (see :func:`_group_ordering`), in the list's order: one GROUP BY (an
    index-only scan where the key leads an index, no dearer than the COUNT the paginator needs anyway, whose total
    it gives), then the related rows' order (a few hundred communities)."""

    def __init__(self, qs: models.QuerySet, plan: tuple[Any, str, list]) -> None:
        self.qs = qs
        self.fk, related_order, self.rest = plan
        sizes = dict(
            qs.order_by().values_list(self.fk.attname).annotate(n=Count("*")).values_list(self.fk.attname, "n")
        )
        order = self.fk.related_model._base_manager.filter(pk__in=list(sizes)).order_by(related_order)
        self.sizes = [(group, sizes[group]) for group in order.values_list("pk", flat=True)]
        self.total = sum(sizes.values())

    def keys(self, bottom: int, top: int) -> list:
        """Keys ``bottom:top`` of the list: those of the one or two groups the page falls in, each ordered by the
        rest of the ordering (an OFFSET of 25,000 over a street's persons sorted all of them by a joined column)."""
        keys: list = []
        seen = 0
        for group, size in self.sizes:
            if seen + size > bottom:
                start = max(0, bottom - seen)
                wanted = (top - bottom) - len(keys)
                rows = self.qs.filter(**{self.fk.attname: group}).order_by(*self.rest).prefetch_related(None)
                keys += rows.values_list("pk", flat=True)[start : start + wanted]
                if len(keys) >= top - bottom:
                    break
            seen += size
        return keys


def groups(qs: models.QuerySet) -> Groups | None:
    """The groups of ``qs`` when its ordering starts with a related row's unique field, else None."""
    plan = _group_ordering(qs)
    return Groups(qs, plan) if plan is not None else None
