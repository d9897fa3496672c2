"""Django admin for administrators: users, tokens, holidays (the pages under /core/ serve everyone else).

Its login goes through the same lockout as the app's (per account name and per client address); whether
/admin/ exists at all is ``settings.ADMIN_ENABLED`` (off by default in production, see ``tongxin/urls.py``)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from tongxin.core.models import ApiToken, Holiday, User
from tongxin.core.views.pages import AdminLoginForm

admin.site.login_form = AdminLoginForm


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Users with their Chinese name and phone."""

    fieldsets = (*BaseUserAdmin.fieldsets, (_("同心"), {"fields": ("name", "phone")}))
    list_display = ("username", "name", "phone", "is_active", "is_superuser", "last_login")
    search_fields = ("username", "name", "phone")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """API tokens (only the prefix is shown; keys are never stored)."""

    list_display = ("prefix", "user", "name", "created", "last_used", "expires")
    readonly_fields = ("prefix", "created", "last_used")
    exclude = ("key_hash",)


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    """The holiday table (national and local)."""

    list_display = ("date", "is_workday", "name", "division", "source")
    list_filter = ("is_workday",)
    date_hierarchy = "date"
    search_fields = ("name", "source")
