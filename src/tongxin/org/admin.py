"""Django admin of the organisation models."""

from django.contrib import admin

from tongxin.org.models import Division, Grid, Role, RoleAssignment


@admin.register(Division)
class DivisionAdmin(admin.ModelAdmin):
    """Divisions."""

    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    raw_id_fields = ("parent",)


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin):
    """Grids."""

    list_display = ("code", "name", "community", "party_member")
    search_fields = ("code", "name")
    raw_id_fields = ("community",)
    filter_horizontal = ("members",)


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    """Roles and their permission patterns."""

    list_display = ("codename", "name", "is_system")


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    """Role assignments."""

    list_display = ("user", "role", "division", "grid")
    raw_id_fields = ("division", "grid")
