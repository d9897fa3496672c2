"""Filter sets of the organisation app (shared by list pages and the API)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from tongxin.core.filters import BaseFilterSet
from tongxin.org.models import Division, Grid, RoleAssignment


class DivisionFilterSet(BaseFilterSet):
    """Filter divisions by level and by an ancestor's code."""

    search_fields = ("code", "name")
    level = django_filters.ChoiceFilter(choices=Division.Level.choices, label=_("层级"))
    within = django_filters.CharFilter(method="filter_within", label=_("所属区划代码"))
    parent = django_filters.ModelChoiceFilter(queryset=Division.objects.all(), label=_("上级"))

    class Meta:
        model = Division
        fields = ("level", "parent")

    def filter_within(self, queryset, name, value):
        """Rows below the division with this code."""
        return queryset.filter(path__contains=f"/{value.strip()}/").exclude(code=value.strip())


class GridFilterSet(BaseFilterSet):
    """Filter grids by community, member and red-grid status."""

    search_fields = ("code", "name", "community__name")
    community = django_filters.ModelChoiceFilter(
        queryset=Division.objects.filter(level=Division.Level.COMMUNITY), label=_("社区/村")
    )
    red = django_filters.BooleanFilter(
        field_name="party_member", lookup_expr="isnull", exclude=True, label=_("红色网格")
    )
    member = django_filters.CharFilter(field_name="members__username", label=_("网格员账号"))
    staffed = django_filters.BooleanFilter(
        field_name="members", lookup_expr="isnull", exclude=True, distinct=True, label=_("已有网格员")
    )

    class Meta:
        model = Grid
        fields = ("community",)


class RoleAssignmentFilterSet(BaseFilterSet):
    """Filter role assignments by role and user."""

    search_fields = ("user__username", "user__name", "division__name", "grid__name")

    class Meta:
        model = RoleAssignment
        fields = ("role",)
