"""Core pages: login with lockout, home, change log, access log, holidays, account and API tokens, health."""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods

from tongxin.core import audit, dashboard, hooks, indicators, scoping
from tongxin.core.filters import BaseFilterSet
from tongxin.core.forms import DATE, ScopedModelForm, style
from tongxin.core.importer import ModelImporter
from tongxin.core.models import AccessLog, ApiToken, Holiday, ImportJob, LoginFailure, Notification, ObjectChange
from tongxin.core.tables import Column, Table
from tongxin.core.throttle import client_ip
from tongxin.core.views.generic import ObjectViewSet

# --- login with lockout ------------------------------------------------------------------------


def login_locked(username: str) -> bool:
    """True when the account name has too many recent failures."""
    since = timezone.now() - datetime.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    return LoginFailure.objects.filter(username__iexact=username, at__gte=since).count() >= settings.LOGIN_MAX_FAILURES


def ip_locked(ip: str | None) -> bool:
    """True when the client address has too many recent failed logins, whatever account names they tried."""
    if not ip:
        return False
    since = timezone.now() - datetime.timedelta(minutes=settings.LOGIN_IP_LOCKOUT_MINUTES)
    return LoginFailure.objects.filter(ip=ip, at__gte=since).count() >= settings.LOGIN_MAX_FAILURES_PER_IP


class LockoutMixin:
    """The lockout shared by every login form: the app's (``/login/``) and the Django admin's (``/admin/login/``).

    Before the password is even checked, an account name with ``LOGIN_MAX_FAILURES`` failures in the last
    ``LOGIN_LOCKOUT_MINUTES`` is refused, and so is every name from a client address with
    ``LOGIN_MAX_FAILURES_PER_IP`` failures in the last ``LOGIN_IP_LOCKOUT_MINUTES`` (one address guessing many
    accounts): while locked the right password is refused too, so guessing on gains nothing. Each attempt whose
    credentials were wrong is recorded with its address; a successful login clears the account name's failures
    (not the other names' failures from the same address).
    """

    lockout_messages = {
        "locked": _lazy("登录失败次数过多，账号已临时锁定，请 %(minutes)s 分钟后再试或联系管理员。"),
        "ip_locked": _lazy(
            "来自地址 %(ip)s 的登录失败次数过多，该地址已临时禁止登录，请 %(minutes)s 分钟后再试或联系管理员。"
        ),
    }

    def clean(self) -> dict:
        """Refuse a locked name or address, then authenticate; record a failure, or clear the name's on success."""
        username = (self.cleaned_data.get("username") or "").strip()
        ip = client_ip(self.request)
        if ip_locked(ip):
            raise forms.ValidationError(
                self.lockout_messages["ip_locked"],
                code="ip_locked",
                params={"ip": ip, "minutes": settings.LOGIN_IP_LOCKOUT_MINUTES},
            )
        if username and login_locked(username):
            raise forms.ValidationError(
                self.lockout_messages["locked"], code="locked", params={"minutes": settings.LOGIN_LOCKOUT_MINUTES}
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            # Wrong name or password (or an inactive account). A right password refused for another reason (a
            # non-staff user at the admin's login) is no guess, so it does not count.
            if username and self.user_cache is None:
                LoginFailure.objects.create(username=username, ip=ip)
            raise
        if self.user_cache is not None:
            LoginFailure.objects.filter(username__iexact=self.user_cache.get_username()).delete()
        return cleaned


class LoginForm(LockoutMixin, auth_views.AuthenticationForm):
    """Django's login form plus the lockout after repeated failures."""

    def __init__(self, *args, **kwargs):
        """The form with the site's Bootstrap classes."""
        super().__init__(*args, **kwargs)
        style(self)


class AdminLoginForm(LockoutMixin, AdminAuthenticationForm):
    """The Django admin's login form (staff only) with the same lockout (``core/admin.py`` installs it)."""


class LoginView(auth_views.LoginView):
    """The login page."""

    form_class = LoginForm
    template_name = "core/login.html"
    redirect_authenticated_user = True


# --- home ----------------------------------------------------------------------------------------


#: how far back the home page's 最近变更 looks
RECENT_DAYS = 90


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The user's scope and what needs their attention."""
    from tongxin.org.home import scope_counts
    from tongxin.org.models import RoleAssignment

    assignments = RoleAssignment.objects.filter(user=request.user).select_related("role", "division", "grid")
    # the scope's latest changes of the last RECENT_DAYS days: a bound on the newest-first walk of the log when
    # the scope's own last change is old (the change log page shows everything)
    since = timezone.now() - datetime.timedelta(days=RECENT_DAYS)
    changes = ObjectChange.objects.filter(time__gte=since).select_related("user", "content_type")
    recent = scoping.restrict(changes, request.user)[:8]
    attention = hooks.home_items(request)  # what each module wants the user to see (its AppConfig)
    today = timezone.localdate()
    from tongxin.core.calendar import is_workday

    board = {}
    if dashboard.for_home(request.user):  # a director's community, an official's street (not a grid member's)
        division = indicators.default_division(request.user, dashboard.keys())
        board = dashboard.build(request.user, division, dashboard.default_period(today))
    return render(
        request,
        "core/home.html",
        {
            "assignments": assignments,
            **scope_counts(request.user),  # the communities and grids the user sees or works in
            "recent": recent,
            "attention": attention,
            "today": today,
            "today_is_workday": is_workday(today),
            "board": board,
        },
    )


@login_required
def dashboard_page(request: HttpRequest) -> HttpResponse:
    """The dashboard of any division in the user's scope (``?division=CODE``) and period (``?period=2026-Q1``,
    default the last twelve months): what home shows, for another division or period."""
    today = timezone.localdate()
    choices = dashboard.divisions(request.user)
    if not choices and not dashboard.for_home(request.user) and not request.user.is_superuser:
        raise PermissionDenied
    code = request.GET.get("division", "")
    division = indicators.find_division(code) if code else indicators.default_division(request.user, dashboard.keys())
    period = dashboard.default_period(today)
    if request.GET.get("period"):
        try:
            period = indicators.parse_period(request.GET["period"], today)
        except ValueError as exc:
            messages.error(request, str(exc))
    board = dashboard.build(request.user, division, period)
    if not board and code:
        raise Http404
    return render(
        request,
        "core/dashboard.html",
        {"board": board, "choices": choices, "division": division, "period": period, "default": not code},
    )


# --- notifications ------------------------------------------------------------------------------


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """The user's inbox: newest first, unread highlighted; POST marks everything read."""
    mine = Notification.objects.filter(user=request.user)
    if request.method == "POST":
        mine.filter(read_at__isnull=True).update(read_at=timezone.now())
        return HttpResponseRedirect(reverse("core:notifications"))
    page = Paginator(mine, 50).get_page(request.GET.get("page"))
    return render(request, "core/notifications.html", {"page": page})


@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read and go to what it is about."""
    note = Notification.objects.filter(user=request.user, pk=pk).first()
    if note is None:
        raise Http404
    if note.read_at is None:
        note.read_at = timezone.now()
        note.save(update_fields=["read_at"])
    target = note.url if note.url.startswith("/") else reverse("core:notifications")
    return HttpResponseRedirect(target)


# --- change log ---------------------------------------------------------------------------------


def _type_name(content_type: ContentType) -> str:
    """An object type as users call it: the model's verbose name (居民), never ``registry.person``."""
    model = content_type.model_class()
    return str(model._meta.verbose_name) if model is not None else content_type.model


def _label_name(label: str) -> str:
    """A model label (``registry.Person``) as its verbose name (居民)."""
    from django.apps import apps

    try:
        return str(apps.get_model(label)._meta.verbose_name)
    except (LookupError, ValueError):
        return label


def _field_names(log: AccessLog) -> str:
    """The personal fields an access touched (``id_number,phone``) as their verbose names (公民身份号码、联系电话)."""
    model = log.content_type.model_class()
    names = []
    for name in filter(None, (f.strip() for f in log.fields.split(","))):
        try:
            names.append(str(model._meta.get_field(name).verbose_name) if model is not None else name)
        except Exception:  # a field since removed: its name as logged
            names.append(name)
    return "、".join(names)


def _logged_types() -> list[tuple[int, str]]:
    """The object types of the change-log filter: the models users work with on pages and whose changes are
    logged (not the login failures, the logs themselves or the import jobs), by their verbose names."""
    from tongxin.core.registry import registry

    models = {
        vs.model
        for vs in registry.all()
        if getattr(vs.model, "audited", True) and vs.model not in (ObjectChange, AccessLog, LoginFailure)
    }
    types = ContentType.objects.get_for_models(*models).items() if models else []
    return sorted(((ct.pk, str(m._meta.verbose_name)) for m, ct in types), key=lambda choice: choice[1])


def _import_targets() -> list[tuple[str, str]]:
    """What can be imported, by verbose name (the import-job filter)."""
    from tongxin.core.registry import registry

    return [(vs.model._meta.label, str(vs.model._meta.verbose_name)) for vs in registry.all() if vs.importer]


class ObjectChangeFilterSet(BaseFilterSet):
    """Filter the change log by user, time, object type and action."""

    search_fields = ("object_repr", "user_name", "message")
    user = django_filters.CharFilter(field_name="user_name", label=_lazy("用户名"))
    action = django_filters.ChoiceFilter(choices=ObjectChange.Action.choices, label=_lazy("操作"))
    source = django_filters.ChoiceFilter(choices=ObjectChange.Source.choices, label=_lazy("来源"))
    content_type = django_filters.ChoiceFilter(choices=_logged_types, label=_lazy("对象类型"))
    since = django_filters.DateFilter(
        field_name="time",
        lookup_expr="date__gte",
        label=_lazy("起始日期"),
        widget=DATE,
    )
    until = django_filters.DateFilter(
        field_name="time",
        lookup_expr="date__lte",
        label=_lazy("截止日期"),
        widget=DATE,
    )
    request_id = django_filters.UUIDFilter(label=_lazy("请求/批次"))
    object_id = django_filters.CharFilter(label=_lazy("对象编号"))

    class Meta:
        model = ObjectChange
        fields = ("action", "source", "content_type", "request_id", "object_id")


def _object_link(change: ObjectChange):
    model = change.content_type.model_class()
    if model is None or change.action == ObjectChange.Action.DELETE:
        return change.object_repr
    from django.urls import NoReverseMatch, reverse
    from django.utils.html import format_html

    try:
        url = reverse(f"{model._meta.app_label}:{model._meta.model_name}_detail", kwargs={"pk": change.object_id})
    except NoReverseMatch:
        return change.object_repr
    return format_html('<a href="{}">{}</a>', url, change.object_repr)


class ObjectChangeTable(Table):
    """Change log rows."""

    model = ObjectChange
    time = Column(linkify=True)
    object = Column(accessor="object_repr", verbose_name=_lazy("对象"), render=_object_link, order_by="object_repr")
    content_type = Column(render=lambda c: _type_name(c.content_type))
    fields = ("time", "user_name", "source", "action", "step", "content_type", "object", "request_id", "message")
    default_columns = ("time", "user_name", "source", "action", "content_type", "object")


class ObjectChangeViewSet(ObjectViewSet):
    """The global change log (read only)."""

    model = ObjectChange
    segment = "object-changes"
    table = ObjectChangeTable
    filterset = ObjectChangeFilterSet
    select_related = ("user", "content_type")
    detail_template = "core/objectchange_detail.html"
    actions = ("export",)
    icon = "bi-clock-history"


class AccessLogFilterSet(BaseFilterSet):
    """Filter the personal-data access log."""

    search_fields = ("user_name", "object_id", "fields", "detail")
    action = django_filters.ChoiceFilter(choices=AccessLog.Action.choices, label=_lazy("操作"))

    class Meta:
        model = AccessLog
        fields = ("action",)


class AccessLogTable(Table):
    """Access log rows."""

    model = AccessLog
    time = Column(linkify=True)
    content_type = Column(render=lambda a: _type_name(a.content_type))
    fields = ("time", "user_name", "action", "content_type", "object_id", "fields", "row_count", "detail")

    @classmethod
    def all_columns(cls) -> dict[str, Column]:
        """The declared columns; the ``fields`` column (its name is taken by the table's list of columns) shows
        the fields' verbose names."""
        cols = super().all_columns()
        cols["fields"].render_fn = _field_names
        return cols


class AccessLogViewSet(ObjectViewSet):
    """The personal-data access log (read only)."""

    model = AccessLog
    segment = "access-logs"
    table = AccessLogTable
    filterset = AccessLogFilterSet
    select_related = ("content_type",)
    actions = ("export",)
    icon = "bi-shield-lock"


# --- import jobs (each a batch of the change log) -------------------------------------------------


def _batch_link(job: ImportJob) -> str:
    from django.utils.html import format_html

    if not job.batch_id:
        return ""
    url = reverse("core:objectchange_list") + f"?request_id={job.batch_id}"
    return format_html('<a href="{}">{}</a>', url, _("查看本批次变更"))


class ImportJobTable(Table):
    """Import jobs with their outcome."""

    model = ImportJob
    created = Column(linkify=True)
    target = Column(render=lambda j: _label_name(j.target))
    rows = Column(render=lambda j: j.summary.get("rows"), verbose_name=_lazy("总行数"), order_by="total")
    created_count = Column(render=lambda j: j.summary.get("created"), verbose_name=_lazy("新增"), order_by=False)
    updated_count = Column(render=lambda j: j.summary.get("updated"), verbose_name=_lazy("更新"), order_by=False)
    rejected_count = Column(render=lambda j: j.summary.get("rejected"), verbose_name=_lazy("拒绝"), order_by=False)
    batch = Column(render=_batch_link, verbose_name=_lazy("变更记录"), order_by=False, export=False)
    fields = (
        "created",
        "user",
        "target",
        "community",
        "file_name",
        "status",
        "rows",
        "created_count",
        "updated_count",
        "rejected_count",
        "batch",
    )


class ImportJobFilterSet(BaseFilterSet):
    """Filter import jobs by status and what they import."""

    search_fields = ("file_name", "user__username", "target")
    target = django_filters.ChoiceFilter(choices=_import_targets, label=_lazy("导入对象"))

    class Meta:
        model = ImportJob
        fields = ("status", "target")


class ImportJobViewSet(ObjectViewSet):
    """Imports of a community (read only): who imported which file when, its counts and its change-log batch."""

    model = ImportJob
    segment = "import-jobs"
    table = ImportJobTable
    filterset = ImportJobFilterSet
    select_related = ("user", "community")
    actions = ("export",)
    icon = "bi-cloud-upload"

    @classmethod
    def urls(cls) -> list:
        """The list and history pages; the job page itself (``core:importjob_detail``) is the upload flow's."""
        from django.urls import path

        from tongxin.core.registry import registry
        from tongxin.core.views.generic import ObjectHistoryView, ObjectListView

        registry.register(cls)
        return [
            path(f"{cls.segment}/", ObjectListView.as_view(viewset=cls), name="importjob_list"),
            path(f"{cls.segment}/<int:pk>/history/", ObjectHistoryView.as_view(viewset=cls), name="importjob_history"),
        ]


# --- holidays -----------------------------------------------------------------------------------


class HolidayForm(ScopedModelForm):
    """Add a holiday or an adjusted working day (national or local)."""

    class Meta:
        model = Holiday
        fields = ("date", "is_workday", "name", "division", "source")
        widgets = {"date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.user is not None and scoping.scope_q(self.user, Holiday, "add") is not None:
            self.fields["division"].required = True  # only deployment-wide administrators add national rows
        self.fields["division"].queryset = (
            scoping.allowed_divisions(self.user, Holiday, "add") if self.user else self.fields["division"].queryset
        )

    def clean(self):
        data = super().clean()
        day, division = data.get("date"), data.get("division")
        if day and Holiday.objects.filter(date=day, division=division).exclude(pk=self.instance.pk).exists():
            where = division or _("全国")
            self.add_error("date", _("%(where)s 在 %(day)s 已有节假日记录") % {"where": where, "day": day})
        return data


class HolidayFilterSet(BaseFilterSet):
    """Filter holidays by year, kind and division."""

    search_fields = ("name", "source")
    year = django_filters.NumberFilter(field_name="date", lookup_expr="year", label=_lazy("年份"))
    is_workday = django_filters.BooleanFilter(label=_lazy("调休上班"))
    national = django_filters.BooleanFilter(field_name="division", lookup_expr="isnull", label=_lazy("全国"))

    class Meta:
        model = Holiday
        fields = ("is_workday",)


class HolidayTable(Table):
    """Holiday rows."""

    model = Holiday
    date = Column(linkify=True)
    fields = ("date", "is_workday", "name", "division", "source")


class HolidayImporter(ModelImporter):
    """Holidays from a spreadsheet (e.g. the notice for 2027), upsert by date and division."""

    model = Holiday
    form = HolidayForm
    key = ("date", "division")
    required_headers = ("date", "name")
    headers = {
        "date": ["日期"],
        "is_workday": ["上班", "是否上班", "调休上班"],
        "name": ["名称", "节日"],
        "division": ["适用区划", "区划", "区划代码"],
        "source": ["依据", "来源"],
    }
    example = {
        "date": "2027-01-01",
        "is_workday": "否",
        "name": "元旦",
        "division": "",
        "source": "国务院办公厅关于2027年部分节假日安排的通知",
    }

    def find_existing(self, data):
        if not data.get("date"):
            return None
        qs = scoping.restrict(Holiday.objects.all(), self.user, "change").filter(date=data["date"])
        return qs.filter(division_id=data.get("division") or None).first()


class HolidayViewSet(ObjectViewSet):
    """The holiday table (national and local)."""

    model = Holiday
    segment = "holidays"
    table = HolidayTable
    filterset = HolidayFilterSet
    form = HolidayForm
    importer = HolidayImporter
    select_related = ("division",)
    icon = "bi-calendar3"


# --- account & API tokens ------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    """The user's roles and API tokens; create or revoke a token."""
    new_key = None
    if request.method == "POST":
        if "revoke" in request.POST:
            token = ApiToken.objects.filter(user=request.user, pk=request.POST.get("revoke")).first()
            if token is not None:
                audit.record(token, ObjectChange.Action.DELETE, pre={"prefix": token.prefix, "name": token.name})
                token.delete()
                messages.success(request, _("令牌已撤销"))
            return redirect("account")
        name = (request.POST.get("name") or "").strip()[:64]
        token, new_key = ApiToken.issue(request.user, name)
        audit.record(token, ObjectChange.Action.CREATE, post={"prefix": token.prefix, "name": token.name})
    return render(
        request,
        "core/account.html",
        {
            "tokens": request.user.api_tokens.all(),
            "new_key": new_key,
            "assignments": request.user.role_assignments.select_related("role", "division", "grid"),
        },
    )


# --- health ---------------------------------------------------------------------------------------


def healthz(request: HttpRequest) -> JsonResponse:
    """Database and worker status for monitoring (no personal data): ``status`` is ``degraded`` while tasks wait
    too long or import jobs are left by a stopped worker (``stale_jobs``, :mod:`tongxin.core.heartbeat`)."""
    status = {"database": "ok", "worker": "unknown"}
    code = 200
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
    except Exception as exc:  # pragma: no cover - exercised only with a broken database
        status["database"] = f"error: {exc.__class__.__name__}"
        code = 503
    try:
        from django_tasks_db.models import DBTaskResult

        now = timezone.now()
        last = (
            DBTaskResult.objects.filter(finished_at__isnull=False)
            .order_by("-finished_at")
            .values_list("finished_at", flat=True)
            .first()
        )
        waiting = DBTaskResult.objects.filter(
            status="READY", enqueued_at__lt=now - datetime.timedelta(minutes=2)
        ).count()
        from tongxin.core.heartbeat import stale_jobs

        stale = len(stale_jobs(now))
        status["worker"] = "stalled" if waiting or stale else "ok"
        status["tasks_waiting"] = waiting
        status["stale_jobs"] = stale
        status["last_task_finished"] = last.isoformat() if last else None
    except Exception as exc:
        status["worker"] = f"error: {exc.__class__.__name__}"
    status["status"] = "error" if code != 200 else ("ok" if status["worker"] == "ok" else "degraded")
    return JsonResponse(status, status=code)


# --- calendar -----------------------------------------------------------------------------------


@login_required
def calendar_page(request: HttpRequest) -> HttpResponse:
    """A year at a glance: holidays and adjusted working days (national and the user's local ones),
    and the festivals computed from the lunar calendar (春节, 火把节, 三月街, ...)."""
    from tongxin.core.calendar import holidays_between
    from tongxin.core.festivals import festivals_in
    from tongxin.org.models import Division

    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    year = min(max(year, 1901), 2099)
    divisions = scoping.restrict(Division.objects.filter(level=Division.Level.COMMUNITY), request.user)
    division = divisions.filter(pk=request.GET.get("division") or None).first() if request.GET.get("division") else None
    division = division or divisions.first()
    rows = holidays_between(datetime.date(year, 1, 1), datetime.date(year, 12, 31), division)
    return render(
        request,
        "core/calendar.html",
        {
            "year": year,
            "prev": year - 1,
            "next": year + 1,
            "division": division,
            "divisions": divisions[:200],
            "holidays": rows,
            "festivals": festivals_in(year),
            "has_national": rows.filter(division__isnull=True).exists(),
        },
    )
