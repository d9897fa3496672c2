"""Declarative tables for list pages and exports: columns, rendering, sorting.

A domain app declares ``class GridTable(Table): model = Grid; fields = ("code", "name", "community")``
and optionally ``Column`` objects for computed values.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from tongxin.core import privacy


@functools.cache
def _choices(model: type[models.Model], name: str) -> dict[Any, Any] | None:
    """A field's choices as a dict, once per process (``get_FOO_display`` rebuilds a code table's list of choices
    on every cell: a third of a list page's rendering). None when the field has no choices."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return dict(field.flatchoices) if getattr(field, "choices", None) else None


class Column:
    """One column: how to read, label, link, sort and export a value."""

    def __init__(
        self,
        accessor: str | None = None,
        verbose_name: str | None = None,
        *,
        linkify: bool = False,
        order_by: str | bool | None = None,
        render: Callable[[Any], Any] | None = None,
        export: bool = True,
        coarse: Callable[[Any], Any] | None = None,
    ):
        self.accessor = accessor
        self.verbose_name = verbose_name
        self.linkify = linkify
        self.order_by = order_by
        self.render_fn = render
        self.export = export
        self.coarse = coarse  # derived from a quasi-identifier: what a reader who may not reveal the row sees
        self.name = ""
        self.personal = False  # personal data (DESIGN rule 4): masked unless revealed
        self.kind: str | None = None  # its class (core.privacy: identity or sensitive)
        self.reveal = False

    def bind(self, name: str, model: type[models.Model]) -> Column:
        """Fill in what can be derived from the model field of the same name."""
        self.name = name
        self.accessor = self.accessor or name
        first = self.accessor.split("__")[0]
        try:
            field = model._meta.get_field(first)
        except Exception:
            field = None
        self.field = field
        self.kind = privacy.classes(model).get(first)
        self.personal = self.kind is not None
        if self.verbose_name is None:
            self.verbose_name = field.verbose_name if field is not None and hasattr(field, "verbose_name") else name
        if self.order_by is None:
            self.order_by = self.accessor if field is not None and not field.many_to_many else False
        return self

    def raw(self, obj: Any) -> Any:
        """The value behind the cell (an object, a string, a number...)."""
        value: Any = obj
        parts = self.accessor.split("__")
        for part in parts:
            if value is None:
                return None
            if part == parts[-1] and isinstance(value, models.Model):
                choices = _choices(type(value), part)
                if choices is not None:  # what get_FOO_display() gives, from the cached dict
                    stored = getattr(value, part, None)
                    return force_str(choices.get(stored, stored), strings_only=True)
            value = getattr(value, part, None)
            if isinstance(value, models.Manager):
                return list(value.all())
            if callable(value) and not isinstance(value, models.Model):
                value = value()
        return value

    def value(self, obj: Any) -> Any:
        """The cell's value; a quasi-identifier (a birth date), or a column derived from one (``coarse``: the
        age), in clear on the rows the reader may reveal (core.privacy.annotate_reveal), coarsened elsewhere."""
        if self.kind == privacy.QUASI or self.coarse is not None:
            if privacy.quasi_in_clear(obj):
                return self.render_fn(obj) if self.render_fn else self.raw(obj)
            if self.coarse is not None:
                return self.coarse(obj)
            return privacy.coarse(self.raw(obj)) if self.raw(obj) else None
        return self.render_fn(obj) if self.render_fn else self.raw(obj)

    def text(self, obj: Any) -> str:
        """Plain text for exports (personal data masked unless the column is revealed)."""
        value = self.value(obj)
        if (
            self.personal
            and self.kind != privacy.QUASI
            and not (self.reveal and getattr(obj, privacy.CAN_REVEAL, False))
        ):
            return privacy.mask_as(self.kind, to_text(value))
        return to_text(value)

    def html(self, obj: Any) -> str:
        """HTML for the page (personal data always masked: revealing is a separate, logged action)."""
        value = self.value(obj)
        if self.personal and self.kind != privacy.QUASI:
            value = privacy.mask_as(self.kind, to_text(value))
        if isinstance(value, models.Model) and hasattr(value, "get_absolute_url") and value.get_absolute_url():
            return format_html('<a href="{}">{}</a>', value.get_absolute_url(), value)
        text = to_text(value)
        if self.linkify and hasattr(obj, "get_absolute_url"):
            return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), text or "—")
        return format_html("{}", text) if text != "" else mark_safe('<span class="text-body-tertiary">—</span>')


def to_text(value: Any) -> str:
    """A value as text in the user's terms (是/否, local times, lists joined with 、)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(_("是")) if value else str(_("否"))
    if isinstance(value, datetime.datetime):
        return (
            timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
            if timezone.is_aware(value)
            else value.strftime("%Y-%m-%d %H:%M")
        )
    if isinstance(value, datetime.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, list | tuple | set):
        return "、".join(to_text(v) for v in value)
    return str(value)


class Table:
    """A set of columns over a queryset."""

    model: type[models.Model]
    fields: tuple[str, ...] = ()
    default_columns: tuple[str, ...] = ()
    prefetch: tuple[str, ...] = ()

    def __init__(self, rows: Iterable[Any] = (), columns: Iterable[str] | None = None, order: str = ""):
        self.rows = rows
        self.columns = self.get_columns(columns)
        self.order = order

    @classmethod
    def all_columns(cls) -> dict[str, Column]:
        """Every column the table declares, by name, in declaration order."""
        cols: dict[str, Column] = {}
        declared = {k: v for klass in reversed(cls.__mro__) for k, v in vars(klass).items() if isinstance(v, Column)}
        for name in cls.fields:
            col = declared.get(name)
            col = Column() if col is None else col
            cols[name] = Column(
                col.accessor,
                col.verbose_name,
                linkify=col.linkify,
                order_by=col.order_by,
                render=col.render_fn,
                export=col.export,
            ).bind(name, cls.model)
        return cols

    def get_columns(self, names: Iterable[str] | None) -> list[Column]:
        """The chosen columns (or the defaults)."""
        available = self.all_columns()
        chosen = [n for n in (names or ()) if n in available] or list(self.default_columns or self.fields)
        return [available[n] for n in chosen]

    @classmethod
    def order_fields(cls) -> dict[str, str]:
        """Column name → ORM ordering expression for the sortable columns."""
        return {name: col.order_by for name, col in cls.all_columns().items() if col.order_by}
