"""Filter sets of the cases module (list pages and the API share them)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongxin.cases import panels
from tongxin.cases.models import Case, Category, Dispute, FollowUp, MediationSession, Meeting, Priority
from tongxin.cases.services import end_of_today
from tongxin.core.filters import BaseFilterSet
from tongxin.core.forms import DATE


class CaseFilterSet(BaseFilterSet):
    """Cases: by number/title/address search, status, kind, category, grid, assignee, due state, period."""

    search_fields = ("number", "title", "description", "address", "external_ref")
    search_placeholder = _("编号、标题、描述、地点")
    status = django_filters.MultipleChoiceFilter(label=_("状态"), choices=Case.Status.choices)
    kind = django_filters.ChoiceFilter(label=_("类型"), choices=Case.Kind.choices)
    source = django_filters.ChoiceFilter(label=_("来源"), choices=Case.Source.choices)
    priority = django_filters.ChoiceFilter(label=_("优先级"), choices=Priority.choices)
    category = django_filters.ModelChoiceFilter(label=_("分类"), queryset=Category.objects.all(), method="in_category")
    due = django_filters.ChoiceFilter(
        label=_("时限"),
        method="due_state",
        choices=[
            ("overdue", _("已超期")),
            ("today", _("今日到期")),
            ("open", _("未办结")),
            ("late", _("超期办结")),
            ("on_time", _("按时办结")),
        ],
    )
    level = django_filters.ChoiceFilter(label=_("督办层级"), choices=Case.Level.choices)
    reported_after = django_filters.DateFilter(
        field_name="reported_at", lookup_expr="date__gte", label=_("上报日期从"), widget=DATE
    )
    reported_before = django_filters.DateFilter(
        field_name="reported_at", lookup_expr="date__lte", label=_("上报日期至"), widget=DATE
    )
    mine = django_filters.BooleanFilter(label=_("我承办的"), method="assigned_to_me")
    # the links of a person's and a household's case panels (cases/panels.py)
    person = django_filters.NumberFilter(label=_("居民"), method="of_person", widget=forms.HiddenInput)
    household = django_filters.NumberFilter(label=_("户"), method="of_household", widget=forms.HiddenInput)

    class Meta:
        model = Case
        fields = ("community", "grid", "assignee", "involves_ethnic", "confidential", "meeting")

    def in_category(self, queryset: QuerySet, name: str, value: Category) -> QuerySet:
        """A category and its sub-categories (and community overrides of the same code)."""
        codes = [value.code, *Category.objects.filter(parent=value).values_list("code", flat=True)]
        return queryset.filter(category__code__in=codes)

    def due_state(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Where a case stands against its time limit, now."""
        now = timezone.now()
        running = Q(status__in=Case.RUNNING_STATUSES)
        if value == "overdue":
            return queryset.filter(running, due_at__lt=now)
        if value == "today":
            return queryset.filter(running, due_at__gte=now, due_at__lt=end_of_today(now))
        if value == "open":
            return queryset.filter(status__in=Case.OPEN_STATUSES)
        if value == "late":
            return queryset.filter(on_time=False)
        if value == "on_time":
            return queryset.filter(on_time=True)
        return queryset

    def assigned_to_me(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        user = getattr(self.request, "user", None)
        if value is None or user is None:
            return queryset
        return queryset.filter(assignee=user) if value else queryset.exclude(assignee=user)

    def of_person(self, queryset: QuerySet, name: str, value: float | None) -> QuerySet:
        """The cases a resident reported (not anonymously) or is involved in."""
        return queryset if value is None else queryset.filter(panels.person_q(int(value)))

    def of_household(self, queryset: QuerySet, name: str, value: float | None) -> QuerySet:
        """The cases a household's current members reported (not anonymously) or are involved in."""
        return queryset if value is None else queryset.filter(panels.household_q(int(value)))


class CategoryFilterSet(BaseFilterSet):
    """Categories."""

    search_fields = ("code", "name", "keywords", "partner")

    class Meta:
        model = Category
        fields = ("community", "parent", "kind", "rule", "active")


class DisputeFilterSet(BaseFilterSet):
    """Disputes."""

    search_fields = ("case__number", "case__title", "parties_text", "agreement")

    class Meta:
        model = Dispute
        fields = ("community", "result")


class MediationSessionFilterSet(BaseFilterSet):
    """Mediation sessions."""

    search_fields = ("dispute__case__number", "place", "participants", "notes")

    class Meta:
        model = MediationSession
        fields = ("community", "outcome")


class MeetingFilterSet(BaseFilterSet):
    """Public-sentiment meetings."""

    search_fields = ("topic", "place", "host", "minutes")
    date_after = django_filters.DateFilter(field_name="date", lookup_expr="gte", label=_("日期从"), widget=DATE)
    date_before = django_filters.DateFilter(field_name="date", lookup_expr="lte", label=_("日期至"), widget=DATE)

    class Meta:
        model = Meeting
        fields = ("community",)


class FollowUpFilterSet(BaseFilterSet):
    """Follow-up calls and visits."""

    search_fields = ("case__number", "comments")

    class Meta:
        model = FollowUp
        fields = ("method", "satisfaction")
