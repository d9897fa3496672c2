"""Filter sets of the care module (list pages and the API share them)."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from tongxin.care.models import CarePlan, Enrolment, HealthCheck, Programme, Visit, Warning
from tongxin.core.filters import BaseFilterSet
from tongxin.core.forms import DATE


class ProgrammeFilterSet(BaseFilterSet):
    search_fields = ("code", "name", "eligibility")

    class Meta:
        model = Programme
        fields = ("community", "unit", "visit_every", "pays_benefit", "active")


class EnrolmentFilterSet(BaseFilterSet):
    search_fields = ("person__name", "household__number", "programme__name")
    status = django_filters.MultipleChoiceFilter(label=_("状态"), choices=Enrolment.Status.choices)
    person = django_filters.NumberFilter(label=_("居民"), widget=forms.HiddenInput)
    household = django_filters.NumberFilter(label=_("户"), widget=forms.HiddenInput)
    #: the programme by its code (the same in every community: the indicators' drill-down)
    programme_code = django_filters.CharFilter(field_name="programme__code", label=_("项目代码"),
                                               widget=forms.HiddenInput)  # fmt: skip

    class Meta:
        model = Enrolment
        fields = ("community", "grid", "programme", "responsible", "objection_open")


class VisitFilterSet(BaseFilterSet):
    search_fields = ("person__name", "needs")
    visited_after = django_filters.DateFilter(field_name="visited_on", lookup_expr="gte", label=_("走访日期从"),
                                              widget=DATE)  # fmt: skip
    visited_before = django_filters.DateFilter(field_name="visited_on", lookup_expr="lte", label=_("走访日期至"),
                                               widget=DATE)  # fmt: skip
    person = django_filters.NumberFilter(label=_("居民"), widget=forms.HiddenInput)

    class Meta:
        model = Visit
        fields = ("community", "grid", "kind", "visitor")


class CarePlanFilterSet(BaseFilterSet):
    search_fields = ("person__name", "needs", "measures")
    review_before = django_filters.DateFilter(field_name="next_review", lookup_expr="lte", label=_("下次复核不晚于"),
                                              widget=DATE)  # fmt: skip
    person = django_filters.NumberFilter(label=_("居民"), widget=forms.HiddenInput)

    class Meta:
        model = CarePlan
        fields = ("community", "grid", "status", "responsible", "grid_member")


class WarningFilterSet(BaseFilterSet):
    search_fields = ("person__name", "message")
    mine = django_filters.BooleanFilter(label=_("我处理的"), method="assigned_to_me")
    person = django_filters.NumberFilter(label=_("居民"), widget=forms.HiddenInput)

    class Meta:
        model = Warning
        fields = ("community", "grid", "kind", "status", "assignee")

    def assigned_to_me(self, queryset, name, value):
        """The warnings assigned to the request's user (``mine=true``)."""
        user = getattr(self.request, "user", None)
        return queryset.filter(assignee=user) if value and user is not None else queryset


class HealthCheckFilterSet(BaseFilterSet):
    search_fields = ("person__name", "clinic", "conclusion")
    checked_after = django_filters.DateFilter(field_name="checked_on", lookup_expr="gte", label=_("体检日期从"),
                                              widget=DATE)  # fmt: skip
    checked_before = django_filters.DateFilter(field_name="checked_on", lookup_expr="lte", label=_("体检日期至"),
                                               widget=DATE)  # fmt: skip
    person = django_filters.NumberFilter(label=_("居民"), widget=forms.HiddenInput)

    class Meta:
        model = HealthCheck
        fields = ("community", "abnormal")
