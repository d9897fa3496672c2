"""Core models: users and API tokens, the change log, the personal-data access log, holidays, import jobs."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongxin.core.fields import EncryptedJSONField, KeyField


class TongxinModel(models.Model):
    """Base of every domain model: timestamps, change logging and the scoping declaration.

    Scoping is declared, not coded: ``scope_division`` is the lookup from the model to the
    ``org.Division`` it belongs to (``"community"`` for tenant rows, ``""`` for Division itself,
    ``None`` for deployment-wide rows); ``scope_grid`` is the lookup to its ``org.Grid`` (``""`` for
    Grid itself, ``None`` when rows are not held by a grid).
    """

    created = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_updated = models.DateTimeField(_("更新时间"), auto_now=True)

    scope_division: ClassVar[str | None] = "community"
    scope_grid: ClassVar[str | None] = None
    audited: ClassVar[bool] = True
    audit_exclude: ClassVar[tuple[str, ...]] = ("created", "last_updated")
    #: identity data (ID numbers, phones) and sensitive data (health, assistance, disability): see core.privacy
    personal_fields: ClassVar[tuple[str, ...]] = ()
    sensitive_fields: ClassVar[tuple[str, ...]] = ()
    #: why the rows are not keyed by community, for the few that are not (a division-level or deployment row);
    #: every other row carries ``community`` or reaches it through its parent in one join (DESIGN rule 2)
    not_community_keyed: ClassVar[str] = ""

    class Meta:
        abstract = True

    def get_absolute_url(self) -> str:
        """URL of the object's detail page (``app:model_detail``)."""
        meta = self._meta
        try:
            return reverse(f"{meta.app_label}:{meta.model_name}_detail", kwargs={"pk": self.pk})
        except NoReverseMatch:
            return ""

    def audit_community_id(self) -> int | None:
        """The community (or other division) this row is logged under, for scoping the change log."""
        lookup = self.scope_division
        if lookup is None:
            return None
        if lookup == "":
            return self.pk
        obj: Any = self
        parts = lookup.split("__")
        for part in parts[:-1]:
            obj = getattr(obj, part, None)
            if obj is None:
                return None
        return getattr(obj, f"{parts[-1]}_id", None)


class DefaultsAndOverrides:
    """Scope of a reference table with deployment defaults (rows without a community, readable by whoever may view
    the model, written only deployment-wide) and each community's own rows, by scope (a community row with a
    default's code overrides it there): case categories, care programmes."""

    @classmethod
    def scope_filter(cls, grant: Any, action: str) -> models.Q:
        """Defaults are visible to everyone (changed only deployment-wide); a community's own rows by scope."""
        if grant.grid_id is not None:  # grid members use the rows; their community's director sets them
            own = models.Q(community__grids__pk=grant.grid_id) if action == "view" else models.Q(pk__in=[])
        else:
            own = models.Q(community__path__startswith=grant.division_path)
        return own | models.Q(community__isnull=True) if action == "view" else own


class CommunityModel(TongxinModel):
    """Base of a tenant row: its community (社区/村, the future distribution column of a sharded deployment) and
    the scope declaration that follows from it. Rows owned by a parent that has one (a case's steps, a visit's
    photos) stay on ``TongxinModel`` and declare the parent's path (``scope_division = "case__community"``)."""

    community = models.ForeignKey(
        "org.Division", verbose_name=_("所属社区/村"), on_delete=models.PROTECT, related_name="+"
    )

    scope_division: ClassVar[str | None] = "community"

    class Meta:
        abstract = True


class User(AbstractUser):
    """A person who logs in: staff, grid members, hosts. Roles come from ``org.RoleAssignment``.

    A user belongs to no single community: the scope of a user is where their role assignments are.
    """

    name = models.CharField(_("姓名"), max_length=64, blank=True)
    phone = models.CharField(_("手机号码"), max_length=32, blank=True)

    audited: ClassVar[bool] = True
    audit_exclude: ClassVar[tuple[str, ...]] = ("password", "last_login", "date_joined", "groups", "user_permissions")
    personal_fields: ClassVar[tuple[str, ...]] = ("phone",)
    scope_distinct: ClassVar[bool] = True

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        ordering = ("username",)

    def __str__(self) -> str:
        return f"{self.name}（{self.username}）" if self.name else self.username

    @classmethod
    def scope_filter(cls, grant: Any, action: str) -> models.Q:
        """Users holding a role inside the grant's subtree (or grid); accounts with no role yet are visible
        to anyone who may view users, so that they can be given one."""
        if grant.grid_id is not None:
            return models.Q(role_assignments__grid_id=grant.grid_id)
        q = models.Q(role_assignments__division__path__startswith=grant.division_path)
        if action == "view":
            q |= models.Q(role_assignments__isnull=True)
        return q

    def audit_community_id(self) -> int | None:
        """Log a user's changes under the division of their first role (or the one being granted)."""
        pending = getattr(self, "_audit_division_id", None)
        if pending is not None:
            return pending
        if self.pk is None:
            return None
        return self.role_assignments.order_by("pk").values_list("division_id", flat=True).first()

    def get_absolute_url(self) -> str:
        return reverse("core:user_detail", kwargs={"pk": self.pk})

    @property
    def display_name(self) -> str:
        """The name shown in the UI."""
        return self.name or self.get_full_name() or self.username


#: who acts in a service, a workflow step or a scoped query: a user (possibly anonymous: the scoping function
#: grants it nothing), or None for the system itself (the clock, a command run without a user)
Actor = User | AnonymousUser | None


def _hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    """An API token of a user. Only a hash is stored; the key is shown once at creation."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=64, blank=True)
    prefix = models.CharField(_("前缀"), max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created = models.DateTimeField(_("创建时间"), auto_now_add=True)
    expires = models.DateTimeField(_("过期时间"), null=True, blank=True)
    last_used = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
        ordering = ("-created",)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @classmethod
    def issue(cls, user: User, name: str = "") -> tuple[ApiToken, str]:
        """Create a token and return it with its clear-text key (shown to the user once)."""
        key = "tx_" + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, prefix=key[3:11], key_hash=_hash_token(key))
        return token, key

    @classmethod
    def for_request(cls, request: Any, *, param: str | None = None) -> User | None:
        """The active user of the token a request carries: ``Authorization: Bearer …``, ``X-API-Token: …`` or,
        when ``param`` names one, a query or form parameter (Open311's ``api_key``); None without a valid one."""
        header = request.headers.get("Authorization", "")
        key = header[7:].strip() if header.startswith("Bearer ") else request.headers.get("X-API-Token", "").strip()
        if not key and param:
            key = (request.GET.get(param) or request.POST.get(param) or "").strip()
        return cls.authenticate(key) if key else None

    @classmethod
    def authenticate(cls, key: str) -> User | None:
        """Return the active user owning ``key``, or None."""
        token = cls.objects.select_related("user").filter(key_hash=_hash_token(key)).first()
        if token is None or not token.user.is_active:
            return None
        now = timezone.now()
        if token.expires and token.expires < now:
            return None
        if token.last_used is None or (now - token.last_used).total_seconds() > 60:
            cls.objects.filter(pk=token.pk).update(last_used=now)
        return token.user


class LoginFailure(models.Model):
    """One failed login; enough of them within the window lock the account name."""

    username = models.CharField(max_length=150)
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["username", "at"], name="core_loginfail_user_at"),
            models.Index(fields=["ip", "at"], name="core_loginfail_ip_at"),  # the per-address throttle
        ]

    def __str__(self) -> str:
        return f"{self.username} @ {self.at:%Y-%m-%d %H:%M}"


def sensitive_row_types() -> dict[type[models.Model], ContentType]:
    """The models whose rows are sensitive data in themselves (``sensitive_rows = True``), with their content
    types (cached by Django's ContentType manager)."""
    from django.apps import apps

    gated = [m for m in apps.get_models() if getattr(m, "sensitive_rows", False)]
    return ContentType.objects.get_for_models(*gated) if gated else {}


class ObjectChange(models.Model):
    """One entry of the change log: who changed what, when, in which request or batch, before and after."""

    class Action(models.TextChoices):
        CREATE = "create", _("新建")
        UPDATE = "update", _("修改")
        DELETE = "delete", _("删除")
        WORKFLOW = "workflow", _("流程")

    class Source(models.TextChoices):
        WEB = "web", _("网页")
        API = "api", _("接口")
        IMPORT = "import", _("导入")
        COMMAND = "command", _("命令")
        TASK = "task", _("后台任务")
        SYSTEM = "system", _("系统")

    time = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="changes",
        db_index=False,  # core_change_user (user, time) serves it
        db_constraint=False,  # an append-only log: Django nulls it when a user goes; no per-row check
    )
    user_name = models.CharField(_("用户名"), max_length=150, blank=True)
    request_id = models.UUIDField(_("请求/批次"), db_index=True)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices, default=Source.SYSTEM)
    action = models.CharField(_("操作"), max_length=16, choices=Action.choices)
    step = models.CharField(_("流程步骤"), max_length=64, blank=True)
    content_type = models.ForeignKey(  # core_change_object (content_type, object_id, time) serves it
        ContentType, verbose_name=_("对象类型"), on_delete=models.PROTECT, db_index=False, db_constraint=False
    )
    object_id = KeyField(_("对象编号"), max_length=64)  # core_change_object compares bytes (see KeyField)
    object_repr = models.CharField(_("对象"), max_length=200)
    community = models.ForeignKey(
        "org.Division",
        verbose_name=_("所属区划"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    prechange_data = models.JSONField(_("修改前"), null=True, blank=True)
    postchange_data = models.JSONField(_("修改后"), null=True, blank=True)
    message = models.TextField(_("说明"), blank=True)

    scope_division: ClassVar[str | None] = "community"
    scope_grid: ClassVar[str | None] = None

    class Meta:
        verbose_name = _("变更记录")
        verbose_name_plural = _("变更记录")
        ordering = ("-time", "-pk")
        indexes = [
            models.Index(fields=["content_type", "object_id", "time"], name="core_change_object"),
            models.Index(fields=["user", "time"], name="core_change_user"),
            # a scope's latest changes (home, the change log of a community or street): without it, the
            # newest-first walk of the time index reads every newer change of other communities first
            models.Index(fields=["community", "time"], name="core_change_scope"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_repr}"

    def get_absolute_url(self) -> str:
        return reverse("core:objectchange_detail", kwargs={"pk": self.pk})

    @classmethod
    def scope_filter(cls, grant: Any, action: str) -> models.Q:
        """The changes in the grant's divisions (a grid grant sees none), except those of models whose rows are
        themselves sensitive (``sensitive_rows``: care enrolments, plans, health checks) for a grant without
        that model's ``sensitive`` permission: their log would tell who is enrolled, or their results."""
        if grant.grid_id is not None or grant.division_path is None:
            return models.Q(pk__in=[])
        q = models.Q(community__path__startswith=grant.division_path)
        hidden = [
            ct.pk
            for model, ct in sensitive_row_types().items()
            if not grant.allows(f"{model._meta.app_label}.sensitive_{model._meta.model_name}")
        ]
        return q & ~models.Q(content_type_id__in=hidden) if hidden else q

    def diff(self) -> list[tuple[str, Any, Any]]:
        """The changed fields as (field name, before, after), in field order."""
        pre = self.prechange_data or {}
        post = self.postchange_data or {}
        keys = list(dict.fromkeys([*pre.keys(), *post.keys()]))
        return [(k, pre.get(k), post.get(k)) for k in keys if pre.get(k) != post.get(k)]

    def labelled_diff(self) -> list[tuple[str, Any, Any]]:
        """The changed fields as (the field's label for people, before, after)."""
        model = self.content_type.model_class()

        def label(name: str) -> str:
            try:
                return str(model._meta.get_field(name).verbose_name) if model else name
            except Exception:
                return name

        return [(label(k), before, after) for k, before, after in self.diff()]


class AccessLog(models.Model):
    """A reveal or export of personal data (PIPL): who saw which personal fields of what, when."""

    class Action(models.TextChoices):
        REVEAL = "reveal", _("查看明文")
        EXPORT = "export", _("导出")
        LOOKUP = "lookup", _("按证件号/电话查询")

    time = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    user_name = models.CharField(_("用户名"), max_length=150, blank=True)
    request_id = models.UUIDField(_("请求/批次"), null=True, blank=True)
    action = models.CharField(_("操作"), max_length=16, choices=Action.choices)
    content_type = models.ForeignKey(ContentType, verbose_name=_("对象类型"), on_delete=models.PROTECT)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    fields = models.CharField(_("字段"), max_length=200, blank=True)
    row_count = models.PositiveIntegerField(_("行数"), default=1)
    community = models.ForeignKey(
        "org.Division", verbose_name=_("所属区划"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    detail = models.CharField(_("说明"), max_length=500, blank=True)

    scope_division: ClassVar[str | None] = "community"
    scope_grid: ClassVar[str | None] = None

    class Meta:
        verbose_name = _("个人信息访问记录")
        verbose_name_plural = _("个人信息访问记录")
        ordering = ("-time", "-pk")

    def __str__(self) -> str:
        return f"{self.user_name} {self.get_action_display()} {self.content_type} {self.object_id}"


class Holiday(TongxinModel):
    """A day that departs from the Monday–Friday week: a holiday (day off) or an adjusted working day.

    National rows (no division) come from the State Council notice of each year; local rows belong to
    a division and its subtree (e.g. 泼水节 in a prefecture). Local rows win over national ones.
    """

    date = models.DateField(_("日期"))
    is_workday = models.BooleanField(_("上班"), default=False, help_text=_("勾选表示调休上班日，不勾选表示放假"))
    name = models.CharField(_("名称"), max_length=64)
    division = models.ForeignKey(
        "org.Division",
        verbose_name=_("适用区划"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="holidays",
        help_text=_("留空表示全国"),
    )
    source = models.CharField(_("依据"), max_length=200, blank=True)

    not_community_keyed: ClassVar[str] = "national holidays belong to no community; local ones to any division level"
    scope_division: ClassVar[str | None] = "division"

    class Meta:
        verbose_name = _("节假日")
        verbose_name_plural = _("节假日")
        ordering = ("date",)
        constraints = [
            models.UniqueConstraint(
                fields=["date"], condition=models.Q(division__isnull=True), name="core_holiday_unique_national"
            ),
            models.UniqueConstraint(fields=["date", "division"], name="core_holiday_unique_local"),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"

    @classmethod
    def scope_filter(cls, grant: Any, action: str) -> models.Q:
        """National rows and those of the user's divisions and their ancestors are visible; own subtree editable."""
        from tongxin.core.scoping import path_prefixes

        own = models.Q(division__path__startswith=grant.division_path)
        if action == "view":
            return (
                own | models.Q(division__isnull=True) | models.Q(division__path__in=path_prefixes(grant.division_path))
            )
        return own


class Progress:
    """The progress of a background job with ``total``, ``processed`` and a ``Status`` with DONE and FAILED (import
    and export jobs): what the progress bar shows."""

    @property
    def percent(self) -> int:
        """Progress in percent for the progress bar."""
        if not self.total:
            return 100 if self.status in (self.Status.DONE, self.Status.FAILED) else 0
        return min(100, round(100 * self.processed / self.total))


class ImportJob(Progress, TongxinModel):
    """A bulk import: the uploaded file, its dry-run preview, the commit and its outcome."""

    class Status(models.TextChoices):
        PENDING = "pending", _("等待中")
        VALIDATING = "validating", _("校验中")
        PREVIEW = "preview", _("待确认")
        RUNNING = "running", _("导入中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.PROTECT)
    community = models.ForeignKey(
        "org.Division", verbose_name=_("所属区划"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    target = models.CharField(_("导入对象"), max_length=100)
    file = models.FileField(_("文件"), upload_to="imports/%Y/%m/")
    file_name = models.CharField(_("文件名"), max_length=255)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    all_or_nothing = models.BooleanField(_("全部成功才导入"), default=False)
    total = models.PositiveIntegerField(_("总行数"), default=0)
    processed = models.PositiveIntegerField(_("已处理"), default=0)
    summary = models.JSONField(_("汇总"), default=dict, blank=True)
    # the rows refused or warned about, with their raw cells (ID numbers, phones): encrypted at rest
    problems = EncryptedJSONField(_("问题行"), default=list, blank=True)
    batch_id = models.UUIDField(_("批次"), null=True, blank=True)
    error = models.TextField(_("错误"), blank=True)
    # Who runs the job and when it was last heard of (tongxin.core.heartbeat): a job whose worker died is failed.
    worker = models.CharField(_("后台进程"), max_length=200, blank=True)
    worker_key = models.CharField(_("进程标识"), max_length=120, blank=True, editable=False)
    heartbeat_at = models.DateTimeField(_("最后心跳"), null=True, blank=True, editable=False)

    scope_division: ClassVar[str | None] = "community"
    # An import job is an operational record, not domain data: its rows' raw values (possibly personal data)
    # must not be copied into the change log; the objects it writes are logged under its batch id.
    audited: ClassVar[bool] = False

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ("-created",)

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("core:importjob_detail", kwargs={"pk": self.pk})

    @property
    def restartable(self) -> bool:
        """A failed job can be started again while its file is kept and it wrote nothing (see
        :func:`tongxin.core.heartbeat.restart`)."""
        return self.status == self.Status.FAILED and bool(self.file) and self.batch_id is None


class ExportJob(Progress, TongxinModel):
    """An export too large to answer in the request (more than ``EXPORT_BACKGROUND_ROWS`` rows): the worker writes
    the file under ``media/exports/`` with a progress count; only its owner downloads it, until the retention
    sweep (:func:`tongxin.core.retention.purge_export_jobs`) deletes it. ``target`` is the exported model's label;
    ``kind`` names a module's export of its own layout (the register), else the file is the list's export."""

    class Status(models.TextChoices):
        PENDING = "pending", _("等待中")
        RUNNING = "running", _("导出中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE)
    target = models.CharField(_("导出对象"), max_length=100)
    #: a declared export kind (:func:`tongxin.core.exportjobs.register_kind`), or empty: the list's own export
    kind = models.CharField(_("导出类型"), max_length=50, blank=True)
    query = models.TextField(_("筛选条件"), blank=True)
    fmt = models.CharField(_("格式"), max_length=8, choices=Format.choices)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    total = models.PositiveIntegerField(_("总行数"), default=0)
    processed = models.PositiveIntegerField(_("已处理"), default=0)
    file = models.FileField(_("文件"), upload_to="exports/%Y/%m/", blank=True)
    file_name = models.CharField(_("文件名"), max_length=255)
    error = models.TextField(_("错误"), blank=True)

    not_community_keyed: ClassVar[str] = "a user's own download, scoped to the user"
    scope_division: ClassVar[str | None] = None
    # an operational record: the export itself is in the access log
    audited: ClassVar[bool] = False

    class Meta:
        verbose_name = _("导出任务")
        verbose_name_plural = _("导出任务")
        ordering = ("-created",)

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        """The job's page (progress bar, then the download link)."""
        return reverse("core:exportjob_detail", kwargs={"pk": self.pk})

    @property
    def in_progress(self) -> bool:
        """Whether the page should keep polling."""
        return self.status in (self.Status.PENDING, self.Status.RUNNING)


class Notification(models.Model):
    """An in-app message to one user (a case assigned, due soon, overdue …), read or not.

    Other channels (e-mail, SMS) are backends in :mod:`tongxin.core.notify`; this row is always written.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("接收人"), on_delete=models.CASCADE, related_name="notifications"
    )
    time = models.DateTimeField(_("时间"), default=timezone.now)
    kind = models.CharField(_("类型"), max_length=32)
    message = models.CharField(_("内容"), max_length=500)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    object_id = models.CharField(max_length=64, blank=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    not_community_keyed: ClassVar[str] = "a user's own inbox, scoped to the user"
    scope_division: ClassVar[str | None] = None

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ("-time", "-pk")
        indexes = [models.Index(fields=["user", "read_at", "time"], name="core_notification_inbox")]

    def __str__(self) -> str:
        return self.message

    @classmethod
    def scope_filter(cls, grant: Any, action: str) -> models.Q:
        """Everyone sees only their own notifications, whatever their role."""
        return models.Q(user_id=grant.user_id)


class OutboxMessage(models.Model):
    """A side effect of a write (an e-mail, an SMS, a call to an outside system), delivered after commit.

    The row is written in the write's own transaction (a transactional outbox): a write that rolls back leaves no
    row, so nothing is ever sent for it; a committed row is delivered by the worker even if the worker was down
    when the write happened, and a failed delivery is retried with growing pauses until ``max_attempts``.
    ``handler`` is the dotted path of the function that delivers ``payload``; :mod:`tongxin.core.outbox` runs it.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    handler = models.CharField(_("处理函数"), max_length=200)
    payload = models.JSONField(_("内容"), default=dict)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    created = models.DateTimeField(_("创建时间"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("下次尝试"), default=timezone.now)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)

    not_community_keyed: ClassVar[str] = "a queued delivery of the worker, never shown to users"
    scope_division: ClassVar[str | None] = None

    class Meta:
        verbose_name = _("待发送消息")
        verbose_name_plural = _("待发送消息")
        ordering = ("created", "pk")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="core_outbox_due")]

    def __str__(self) -> str:
        return f"{self.handler} #{self.pk} ({self.get_status_display()})"
