"""Filter set base: one filterset per model serves the list page and the API."""

from __future__ import annotations

from functools import reduce
from operator import or_

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from tongxin.core import scoping
from tongxin.core.forms import SUGGEST_LIMIT, choice_label, style, suggest_big_choices, suggestions


class YesNoSelect(forms.Select):
    """全部 / 是 / 否 for a boolean filter (instead of Django's 未知 / 是 / 否)."""

    def __init__(self, attrs=None):
        super().__init__(attrs, choices=[("", _("全部")), ("true", _("是")), ("false", _("否"))])


class BaseFilterSet(django_filters.FilterSet):
    """Adds the search box ``q`` over ``search_fields``, Bootstrap styling and 全部/是/否 boolean filters, and
    limits every choice of a scoped model (communities, grids, groups, branches, categories …) to what the
    request's user may see: a filter never lists a row of another community."""

    search_fields: tuple[str, ...] = ()
    search_placeholder: str = ""
    #: the search looks up personal data (core.throttle), so the API documents its 429
    personal_lookups: bool = False
    q = django_filters.CharFilter(method="search", label=_("搜索"))

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        user = getattr(request, "user", None)
        for f in self.filters.values():
            if isinstance(f, django_filters.BooleanFilter):
                f.extra.setdefault("widget", YesNoSelect)
            qs = getattr(f, "queryset", None)
            if user is not None and isinstance(qs, QuerySet) and scoping.is_scoped(qs.model):
                f.queryset = scoping.restrict(qs, user, "view")

    def search(self, queryset, name, value):
        """Match every word of ``value`` against any of the search fields."""
        value = (value or "").strip()
        if not value or not self.search_fields:
            return queryset
        for word in value.split():
            queryset = queryset.filter(reduce(or_, (Q(**{f"{f}__icontains": word}) for f in self.search_fields)))
        return queryset

    @property
    def form(self):
        form = super().form
        if not getattr(form, "_styled", False):
            path = getattr(self.request, "path", "") or ""
            if not path.startswith("/api/"):  # a page: thousands of <option>s cost more than the rest of it
                suggest_big_choices(form)
            style(form)
            if "q" in form.fields:
                form.fields["q"].widget.attrs.update(
                    {"placeholder": str(self.search_placeholder or _("输入关键词")), "type": "search"}
                )
            form._styled = True
        return form

    def suggest(self, name: str, text: str) -> list[dict[str, str]] | None:
        """What the list page's ``?suggest=<name>&q=<text>`` answers: up to :data:`~tongxin.core.forms.SUGGEST_LIMIT`
        choices of filter ``name`` (scoped to the user like the filter itself) matching ``text``, as
        ``{"value": key, "label": label}``; None when ``name`` is not a choice filter of this filterset."""
        f = self.filters.get(name)
        qs = getattr(f, "queryset", None) if isinstance(f, django_filters.ModelChoiceFilter) else None
        if not isinstance(qs, QuerySet):
            return None
        return [{"value": str(o.pk), "label": choice_label(o)} for o in suggestions(qs, text, SUGGEST_LIMIT)]
