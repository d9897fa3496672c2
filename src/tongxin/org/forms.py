"""Forms of the organisation app."""

from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from tongxin.core.forms import BulkEditForm, ScopedModelForm
from tongxin.core.models import User
from tongxin.org import services
from tongxin.org.models import Division, Grid, RoleAssignment


class DivisionForm(ScopedModelForm):
    """Add or edit a division (normally loaded from the official codes; groups are added by hand)."""

    class Meta:
        model = Division
        fields = ("parent", "code", "name", "level")


class GeoJSONField(forms.JSONField):
    """A JSON field that accepts an empty value as no boundary."""

    def prepare_value(self, value):
        if isinstance(value, str):
            return value
        return "" if value is None else json.dumps(value, ensure_ascii=False)


class GridForm(ScopedModelForm):
    """Add or edit a grid."""

    boundary = GeoJSONField(label=_("边界（GeoJSON）"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    class Meta:
        model = Grid
        fields = ("community", "code", "name", "members", "party_member", "boundary", "description")
        widgets = {"description": forms.Textarea(attrs={"rows": 3}), "members": forms.SelectMultiple(attrs={"size": 6})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = self.fields["community"].queryset.filter(level=Division.Level.COMMUNITY)


class GridBulkEditForm(BulkEditForm):
    """Change the party member or description of many grids."""

    model = Grid
    party_member = forms.ModelChoiceField(User.objects.filter(is_active=True), label=_("责任党员"), required=False)
    description = forms.CharField(label=_("说明"), required=False)


class RoleAssignmentForm(ScopedModelForm):
    """Grant a role at a division or a grid."""

    class Meta:
        model = RoleAssignment
        fields = ("user", "role", "division", "grid")

    def clean(self):
        data = super().clean()
        if data.get("grid") and data.get("division") and data["grid"].community_id != data["division"].pk:
            self.add_error("grid", _("网格“%(g)s”不属于所选区划") % {"g": data["grid"]})
        if not data.get("grid") and not data.get("division") and not (self.user and self.user.is_superuser):
            self.add_error("division", _("请选择区划或网格"))
        if self.instance.pk:  # nobody changes their own assignment, nor takes the last administrator's role away
            for field, message in services.check_change(self.user, self.instance, data).items():
                if field not in self.errors:
                    self.add_error(field, message)
        return data
