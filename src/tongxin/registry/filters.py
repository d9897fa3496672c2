"""Filter sets of the registry (list pages and the API share them)."""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.contrib import messages
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongxin.core import codes, throttle
from tongxin.core.filters import BaseFilterSet
from tongxin.org.models import Division, Grid
from tongxin.registry import search
from tongxin.registry.models import (
    AGE_BANDS,
    Building,
    Compound,
    Dwelling,
    Household,
    Membership,
    PartyBranch,
    Person,
    Tag,
)


def years_before(day: datetime.date, years: int) -> datetime.date:
    """The same calendar day ``years`` earlier (28 February for 29 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def age_band_q(band: str, today: datetime.date) -> Q:
    """Persons whose age today falls in ``band`` (e.g. ``60-64``, ``80+``)."""
    for name, low, high in AGE_BANDS:
        if name == band:
            # age >= low  ⇔ born on or before today-low years; age <= high ⇔ born after today-(high+1) years
            return Q(birth_date__lte=years_before(today, low), birth_date__gt=years_before(today, high + 1))
    return Q(pk__in=[])


class PersonFilterSet(BaseFilterSet):
    """Filter persons by community, group, grid, ethnicity, sex, age band, registration status, party
    membership, life status and tag; ``q`` is the one search box."""

    search_placeholder = _("姓名、拼音或首字母（如 wf）、身份证号或后4–6位、电话、户号、地址")
    personal_lookups = True  # its search by ID number or phone is throttled (core.throttle): 429 in the API
    community = django_filters.ModelChoiceFilter(
        queryset=Division.objects.filter(level=Division.Level.COMMUNITY), label=_("社区/村")
    )
    group = django_filters.ModelChoiceFilter(
        queryset=Division.objects.filter(level=Division.Level.GROUP), label=_("居民小组")
    )
    grid = django_filters.ModelChoiceFilter(queryset=Grid.objects.all(), label=_("网格"))
    ethnicity = django_filters.ChoiceFilter(choices=codes.choices("ethnicity"), label=_("民族"))
    minority = django_filters.BooleanFilter(method="filter_minority", label=_("少数民族"))
    sex = django_filters.ChoiceFilter(choices=codes.choices("sex"), label=_("性别"))
    age_band = django_filters.ChoiceFilter(
        choices=[(b, b) for b, _lo, _hi in AGE_BANDS], method="filter_age_band", label=_("年龄段")
    )
    registration_status = django_filters.ChoiceFilter(choices=codes.choices("registration_status"), label=_("人口类型"))
    party_member = django_filters.BooleanFilter(method="filter_party", label=_("党员"))
    party_branch = django_filters.ModelChoiceFilter(queryset=PartyBranch.objects.all(), label=_("党组织"))
    life_status = django_filters.ChoiceFilter(choices=Person.LifeStatus.choices, label=_("人员状态"))
    tag = django_filters.ModelChoiceFilter(field_name="tags", queryset=Tag.objects.all(), label=_("标签"))
    household = django_filters.NumberFilter(field_name="household_id", label=_("户"), widget=forms.HiddenInput)

    class Meta:
        model = Person
        fields = ("community", "group", "grid", "ethnicity", "sex", "registration_status", "life_status")

    def search(self, queryset, name, value):
        """The one search box: name, pinyin, initials, ID number or its tail, phone, household number, address."""
        value = (value or "").strip()
        if not value:
            return queryset
        fields = search.personal_fields(value)
        if fields and self.request is not None:  # a lookup of personal data: logged, and limited
            try:
                throttle.personal_lookup(self.request, Person, fields, value)
            except throttle.Throttled as exc:
                if self.request.path.startswith("/api/"):
                    raise
                messages.warning(self.request, exc.message)
                return search.search(queryset, value, personal=False)
        return search.search(queryset, value)

    def filter_minority(self, queryset, name, value):
        """Members of an ethnic minority (not 汉族, ethnicity known)."""
        if value is None:
            return queryset
        q = Q(ethnicity__gt="") & ~Q(ethnicity="01")
        return queryset.filter(q) if value else queryset.exclude(q)

    def filter_age_band(self, queryset, name, value):
        return queryset.filter(age_band_q(value, timezone.localdate())) if value else queryset

    def filter_party(self, queryset, name, value):
        """Full and probationary party members."""
        if value is None:
            return queryset
        q = Q(political_status__in=("01", "02"))
        return queryset.filter(q) if value else queryset.exclude(q)


class HouseholdFilterSet(BaseFilterSet):
    """Filter households by community, group, grid, status and kind."""

    search_fields = ("number", "address", "head__name")
    community = django_filters.ModelChoiceFilter(
        queryset=Division.objects.filter(level=Division.Level.COMMUNITY), label=_("社区/村")
    )
    group = django_filters.ModelChoiceFilter(
        queryset=Division.objects.filter(level=Division.Level.GROUP), label=_("居民小组")
    )
    grid = django_filters.ModelChoiceFilter(queryset=Grid.objects.all(), label=_("网格"))

    class Meta:
        model = Household
        fields = ("community", "group", "grid", "status", "kind")


class MembershipFilterSet(BaseFilterSet):
    """Filter memberships by household, person and whether they are current."""

    search_fields = ("person__name", "household__number")
    current = django_filters.BooleanFilter(field_name="end", lookup_expr="isnull", label=_("当前"))

    class Meta:
        model = Membership
        fields = ("household", "person", "relationship")


class PartyBranchFilterSet(BaseFilterSet):
    """Filter party organisations by community and kind."""

    search_fields = ("name", "secretary")
    community = django_filters.ModelChoiceFilter(
        queryset=Division.objects.filter(level=Division.Level.COMMUNITY), label=_("社区/村")
    )

    class Meta:
        model = PartyBranch
        fields = ("community", "kind")


class CompoundFilterSet(BaseFilterSet):
    """Filter compounds."""

    search_fields = ("name", "address", "property_company")

    class Meta:
        model = Compound
        fields = ("community",)


class BuildingFilterSet(BaseFilterSet):
    """Filter buildings."""

    search_fields = ("name", "compound__name")

    class Meta:
        model = Building
        fields = ("community", "compound")


class DwellingFilterSet(BaseFilterSet):
    """Filter dwellings."""

    search_fields = ("room", "building__name", "building__compound__name")
    building = django_filters.ModelChoiceFilter(queryset=Building.objects.select_related("compound"), label=_("楼栋"))

    class Meta:
        model = Dwelling
        fields = ("community", "building", "use")


class TagFilterSet(BaseFilterSet):
    """Filter tags."""

    community = django_filters.ModelChoiceFilter(
        queryset=Division.objects.filter(level=Division.Level.COMMUNITY), label=_("社区/村")
    )

    search_fields = ("name", "description")

    class Meta:
        model = Tag
        fields = ("community",)
