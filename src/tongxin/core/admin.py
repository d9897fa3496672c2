"""Django admin for administrators: users, tokens, holidays, the worker's tasks (the pages under /core/ serve
everyone else).

Its login goes through the same lockout as the app's (per account name and per client address); whether
/admin/ exists at all is ``settings.ADMIN_ENABLED`` (off by default in production, see ``tongxin/urls.py``)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

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


# -- the worker's task table (django-tasks' database backend): its pages in Chinese ------------------------------
# The package names its app, model, fields and statuses in English and ships no Chinese catalogue; its model options
# are not changed here (that would be a migration of a third-party app): the admin pages get Chinese names instead.

# the package's English names, for our catalogue to translate (breadcrumbs and detail pages read the model's own
# names): Task Result(s) → 任务执行记录, Tasks Database Backend → 后台任务
TASK_NAMES = (gettext_noop("Task Result"), gettext_noop("Task Results"), gettext_noop("Tasks Database Backend"))
TASK_STATUS = {"READY": _("等待执行"), "RUNNING": _("执行中"), "FAILED": _("失败"), "SUCCESSFUL": _("已完成")}
TASK_APP_LABEL = DBTaskResult._meta.app_label


class TaskStatusFilter(admin.SimpleListFilter):
    """The task table's filter by status, in Chinese."""

    title = _("状态")
    parameter_name = "status"

    def lookups(self, request, model_admin) -> list[tuple[str, str]]:
        """The statuses a task has."""
        return list(TASK_STATUS.items())

    def queryset(self, request, queryset):
        """The tasks of the chosen status."""
        return queryset.filter(status=self.value()) if self.value() else queryset


admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskResultAdmin(DBTaskResultAdmin):
    """Background tasks (imports, exports, messages after commit) as the worker ran them: read only."""

    list_display = ("id", "task", "state", "enqueued", "started", "finished", "queue_name")
    list_filter = (TaskStatusFilter, "queue_name")

    def changelist_view(self, request, extra_context=None):
        """The list under a Chinese title (the model's own name is English)."""
        return super().changelist_view(request, {"title": _("任务执行记录"), **(extra_context or {})})

    @admin.display(description=_("任务"), ordering="task_path")
    def task(self, obj: DBTaskResult) -> str:
        """The task's function."""
        return obj.task_path.rsplit(".", 1)[-1]

    @admin.display(description=_("状态"), ordering="status")
    def state(self, obj: DBTaskResult) -> str:
        """The status in Chinese."""
        return str(TASK_STATUS.get(obj.status, obj.status))

    @admin.display(description=_("加入队列时间"), ordering="enqueued_at")
    def enqueued(self, obj: DBTaskResult):
        """When it was queued."""
        return obj.enqueued_at

    @admin.display(description=_("开始时间"), ordering="started_at")
    def started(self, obj: DBTaskResult):
        """When a worker took it."""
        return obj.started_at

    @admin.display(description=_("结束时间"), ordering="finished_at")
    def finished(self, obj: DBTaskResult):
        """When it ended."""
        return obj.finished_at


_app_list = admin.site.get_app_list


def _get_app_list(request, app_label=None) -> list[dict]:
    """The admin index with the task table under Chinese names (the package's own are English)."""
    apps = _app_list(request, app_label)
    for app in apps:
        if app["app_label"] == TASK_APP_LABEL:
            app["name"] = _("后台任务")
            for model in app["models"]:
                model["name"] = _("任务执行记录")
    return apps


admin.site.get_app_list = _get_app_list
