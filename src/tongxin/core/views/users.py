"""User accounts: a director creates an account together with its first role, inside their own scope."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from tongxin.core import scoping
from tongxin.core.filters import BaseFilterSet
from tongxin.core.forms import ScopedModelForm
from tongxin.core.models import User
from tongxin.core.tables import Column, Table
from tongxin.core.views.generic import ObjectViewSet
from tongxin.org import services
from tongxin.org.models import Division, Grid, Role, RoleAssignment


class UserForm(ScopedModelForm):
    """Edit an account; the password changes only when a new one is typed in."""

    password1 = forms.CharField(label=_("密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label=_("确认密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    required_password = False

    class Meta:
        model = User
        fields = ("username", "name", "phone", "is_active")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if not self.required_password:
            for name in ("password1", "password2"):
                self.fields[name].required = False
                self.fields[name].help_text = _("留空则不修改密码")

    def clean(self):
        data = super().clean()
        self._password = self.new_password()
        if self.instance.pk and self.instance.is_active and data.get("is_active") is False:
            refusal = services.check_deactivation(self.user, self.instance)  # oneself, or the last administrator
            if refusal:
                self.add_error("is_active", refusal)
        return data

    def new_password(self) -> str | None:
        """The typed password, checked against the password validators (None when left blank on edit)."""
        p1, p2 = self.cleaned_data.get("password1"), self.cleaned_data.get("password2")
        if not p1 and not p2:
            return None  # required fields already reported as missing on create
        if p1 != p2:
            self.add_error("password2", _("两次输入的密码不一致"))
            return None
        try:
            password_validation.validate_password(p1, self.instance)
        except ValidationError as exc:
            self.add_error("password1", exc)
            return None
        return p1

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=False)
        if self._password:
            user.set_password(self._password)
        if commit:
            user.save()
        return user


class UserCreateForm(UserForm):
    """A new account with its password and its first role (so that no account is left without a scope)."""

    required_password = True
    role = forms.ModelChoiceField(queryset=Role.objects.all(), label=_("角色"))
    division = forms.ModelChoiceField(queryset=Division.objects.none(), label=_("授权区划"), required=False)
    grid = forms.ModelChoiceField(
        queryset=Grid.objects.none(), label=_("授权网格"), required=False, help_text=_("网格员授权在网格")
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["division"].queryset = scoping.allowed_divisions(self.user, RoleAssignment, "add")
        self.fields["grid"].queryset = scoping.restrict(Grid.objects.select_related("community"), self.user, "view")

    def clean(self):
        data = super().clean()
        if data.get("role") and not (data.get("division") or data.get("grid")):
            self.add_error("division", _("请选择区划或网格"))
            return data
        assignment = RoleAssignment(role=data.get("role"), division=data.get("division"), grid=data.get("grid"))
        try:
            if assignment.role_id:
                assignment.clean()
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        self._assignment = assignment
        return data

    @transaction.atomic
    def save(self, commit: bool = True) -> User:
        assignment = self._assignment
        user = super().save(commit=False)
        user._audit_division_id = assignment.division_id or (assignment.grid.community_id if assignment.grid else None)
        user.save()
        assignment.user = user
        assignment.save()
        if assignment.grid_id:
            assignment.grid.members.add(user)
        return user


class UserFilterSet(BaseFilterSet):
    """Filter accounts by role, state and whether they hold any role."""

    search_fields = ("username", "name")
    role = django_filters.CharFilter(field_name="role_assignments__role__codename", distinct=True, label=_("角色代码"))
    is_active = django_filters.BooleanFilter(label=_("启用"))
    unassigned = django_filters.BooleanFilter(
        field_name="role_assignments", lookup_expr="isnull", distinct=True, label=_("尚无角色")
    )

    class Meta:
        model = User
        fields = ("is_active",)


def _roles(user: User) -> str:
    return "；".join(f"{a.role.name} @ {a.grid or a.division or _('全部区域')}" for a in user.role_assignments.all())


class UserTable(Table):
    """Accounts and where they hold roles (phones stay off the list: personal data)."""

    model = User
    username = Column(linkify=True)
    roles = Column(render=_roles, verbose_name=_("角色"), order_by=False)
    fields = ("username", "name", "roles", "is_active", "last_login", "date_joined")
    default_columns = ("username", "name", "roles", "is_active", "last_login")


class UserViewSet(ObjectViewSet):
    """User accounts (deactivated, never deleted: the change log points at them)."""

    model = User
    segment = "users"
    table = UserTable
    filterset = UserFilterSet
    form = UserForm
    add_form = UserCreateForm
    prefetch_related = ("role_assignments__role", "role_assignments__division", "role_assignments__grid")
    actions = ("add", "change", "export")
    menu_group = "org"
    icon = "bi-people"
