"""Grid governance and cases: categories with time limits, cases (grid events, resident requests, disputes)
with their workflow steps, attachments and follow-ups; disputes with mediation sessions; public-sentiment
meetings (民情恳谈会).

A case's ``due_at`` comes from its category's rule and the official calendar of its community
(:mod:`tongxin.core.calendar`); every workflow step goes through :mod:`tongxin.cases.services`.
"""

from __future__ import annotations

import datetime
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongxin.core import files
from tongxin.core.fields import EncryptedTextField
from tongxin.core.geo import wgs84_to_gcj02
from tongxin.core.models import DefaultsAndOverrides, TongxinModel
from tongxin.core.workcalendar import DueRule
from tongxin.org.models import Division, Grid


class Satisfaction(models.IntegerChoices):
    """The reporter's satisfaction at the follow-up, 5 (best) to 1, named as people say it."""

    VERY_SATISFIED = 5, _("5 非常满意")
    SATISFIED = 4, _("4 满意")
    NEUTRAL = 3, _("3 基本满意")
    DISSATISFIED = 2, _("2 不满意")
    VERY_DISSATISFIED = 1, _("1 非常不满意")


class Priority(models.TextChoices):
    """How urgent a case is."""

    LOW = "low", _("低")
    NORMAL = "normal", _("一般")
    HIGH = "high", _("紧急")
    URGENT = "urgent", _("特急")


class Kind(models.TextChoices):
    """What a case is."""

    EVENT = "event", _("网格事件")
    REQUEST = "request", _("居民诉求")
    DISPUTE = "dispute", _("矛盾纠纷")


class Category(DefaultsAndOverrides, TongxinModel):
    """A kind of case with its time limit (时限规则), default priority and who handles it.

    Categories form a tree. Rows without a community are the deployment's defaults; a community row with
    the same code overrides the default there (e.g. a shorter time limit), and a community may add its own.
    The code is the Open311 ``service_code``.
    """

    class Rule(models.TextChoices):
        SAME_DAY = DueRule.SAME_DAY.value, _("当天办结")
        WORK_HOURS = DueRule.WORK_HOURS.value, _("N 个工作小时")
        WORK_DAYS = DueRule.WORK_DAYS.value, _("N 个工作日")
        CALENDAR_DAYS = DueRule.CALENDAR_DAYS.value, _("N 个自然日")

    community = models.ForeignKey(
        Division,
        verbose_name=_("所属社区/村"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="case_categories",
        limit_choices_to={"level": Division.Level.COMMUNITY},
        help_text=_("留空表示全平台默认分类；填写则只用于该社区（同代码时覆盖默认分类）"),
    )
    parent = models.ForeignKey(
        "self", verbose_name=_("上级分类"), on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    code = models.SlugField(_("分类代码"), max_length=32)
    name = models.CharField(_("名称"), max_length=64)
    kind = models.CharField(_("默认类型"), max_length=16, choices=Kind.choices, default=Kind.EVENT)
    rule = models.CharField(_("时限规则"), max_length=16, choices=Rule.choices, default=Rule.WORK_DAYS)
    amount = models.PositiveSmallIntegerField(_("时限数值"), default=5, help_text=_("当天办结时不用填写"))
    priority = models.CharField(_("默认优先级"), max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    responsible_role = models.ForeignKey(
        "org.Role",
        verbose_name=_("责任角色"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="case_categories",
    )
    partner = models.CharField(_("责任单位"), max_length=100, blank=True, help_text=_("如物业公司、供电所、派出所"))
    description = models.TextField(_("说明"), blank=True)
    keywords = models.CharField(_("关键词"), max_length=200, blank=True)
    sort = models.PositiveSmallIntegerField(_("排序"), default=100)
    active = models.BooleanField(_("启用"), default=True)

    scope_division: ClassVar[str | None] = "community"

    class Meta:
        verbose_name = _("事件分类")
        verbose_name_plural = _("事件分类")
        ordering = ("sort", "code")
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=models.Q(community__isnull=True), name="cases_category_unique_default"
            ),
            models.UniqueConstraint(fields=["community", "code"], name="cases_category_unique_local"),
            models.CheckConstraint(
                condition=models.Q(rule__in=["same_day", "work_hours", "work_days", "calendar_days"]),
                name="cases_category_rule_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.rule != self.Rule.SAME_DAY and not self.amount:
            raise ValidationError({"amount": _("“%(r)s”需要填写时限数值") % {"r": self.get_rule_display()}})
        if self.parent_id and self.parent_id == self.pk:
            raise ValidationError({"parent": _("上级分类不能是自己")})

    @property
    def is_same_day(self) -> bool:
        """Small cases (小事不过夜): the same working day, or a few working hours within one office day."""
        return self.rule == self.Rule.SAME_DAY or (self.rule == self.Rule.WORK_HOURS and self.amount <= 8)

    def time_limit_display(self) -> str:
        """The rule in words: 当天办结, 5 个工作日, …"""
        if self.rule == self.Rule.SAME_DAY:
            return str(_("当天办结"))
        unit = {
            self.Rule.WORK_HOURS: _("个工作小时"),
            self.Rule.WORK_DAYS: _("个工作日"),
            self.Rule.CALENDAR_DAYS: _("个自然日"),
        }[self.rule]
        return f"{self.amount} {unit}"


class Meeting(TongxinModel):
    """A public-sentiment meeting (民情恳谈会): who came, the minutes, and the cases raised there."""

    community = models.ForeignKey(
        Division,
        verbose_name=_("所属社区/村"),
        on_delete=models.PROTECT,
        related_name="case_meetings",
        limit_choices_to={"level": Division.Level.COMMUNITY},
    )
    date = models.DateField(_("日期"))
    place = models.CharField(_("地点"), max_length=100, blank=True)
    topic = models.CharField(_("主题"), max_length=200)
    host = models.CharField(_("主持人"), max_length=64, blank=True)
    attendees = models.TextField(_("参会人员"), blank=True)
    attendee_count = models.PositiveIntegerField(_("参会人数"), default=0)
    minutes = models.TextField(_("会议纪要"), blank=True)

    class Meta:
        verbose_name = _("民情恳谈会")
        verbose_name_plural = _("民情恳谈会")
        ordering = ("-date", "-pk")
        indexes = [models.Index(fields=["community", "date"], name="cases_meeting_comm_date")]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.topic}"


class Case(TongxinModel):
    """A grid event (事件), resident request (诉求) or dispute (矛盾纠纷) and where it stands.

    ``due_at`` is computed from the category's rule on the community's calendar when the case is
    reported (or reopened) and moved by suspensions. Latitude/longitude are WGS-84.
    """

    Kind = Kind

    class Source(models.TextChoices):
        PATROL = "patrol", _("网格巡查")
        WALK_IN = "walk_in", _("来访")
        PHONE = "phone", _("来电")
        ONLINE = "online", _("网上")
        HOTLINE = "hotline", _("12345热线转办")
        OPEN311 = "open311", _("Open311接口")
        MEETING = "meeting", _("民情恳谈会")

    class Status(models.TextChoices):
        REPORTED = "reported", _("已上报")
        ACCEPTED = "accepted", _("已受理")
        ASSIGNED = "assigned", _("已分派")
        IN_PROGRESS = "in_progress", _("办理中")
        SUSPENDED = "suspended", _("已挂起")
        RESOLVED = "resolved", _("已办结")
        CLOSED = "closed", _("已关闭")
        REJECTED = "rejected", _("不予受理")
        MERGED = "merged", _("已合并")

    OPEN_STATUSES: ClassVar[tuple[str, ...]] = ("reported", "accepted", "assigned", "in_progress", "suspended")
    #: open and on the clock (a suspended case is open but its clock stands still)
    RUNNING_STATUSES: ClassVar[tuple[str, ...]] = ("reported", "accepted", "assigned", "in_progress")
    DONE_STATUSES: ClassVar[tuple[str, ...]] = ("resolved", "closed")

    class Level(models.IntegerChoices):
        GRID = 0, _("网格")
        COMMUNITY = 1, _("社区督办")
        STREET = 2, _("街道督办")

    number = models.CharField(_("编号"), max_length=20, unique=True, editable=False)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.EVENT)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices, default=Source.PATROL)
    category = models.ForeignKey(Category, verbose_name=_("分类"), on_delete=models.PROTECT, related_name="cases")
    community = models.ForeignKey(
        Division,
        verbose_name=_("所属社区/村"),
        on_delete=models.PROTECT,
        related_name="cases",
        limit_choices_to={"level": Division.Level.COMMUNITY},
    )
    grid = models.ForeignKey(
        Grid, verbose_name=_("网格"), on_delete=models.SET_NULL, null=True, blank=True, related_name="cases"
    )
    title = models.CharField(_("标题"), max_length=100)
    description = models.TextField(_("描述"))
    reporter_person = models.ForeignKey(
        "registry.Person",
        verbose_name=_("反映人（居民）"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reported_cases",
    )
    reporter_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上报人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reported_cases",
    )
    reporter_name = models.CharField(_("反映人姓名"), max_length=64, blank=True)
    reporter_phone = EncryptedTextField(_("反映人电话"), blank=True)
    anonymous = models.BooleanField(_("匿名"), default=False)
    persons = models.ManyToManyField(
        "registry.Person", verbose_name=_("涉及居民"), blank=True, related_name="involved_cases"
    )
    address = models.CharField(_("地点"), max_length=200, blank=True)
    latitude = models.DecimalField(_("纬度（WGS-84）"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度（WGS-84）"), max_digits=9, decimal_places=6, null=True, blank=True)
    priority = models.CharField(_("优先级"), max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    involves_ethnic = models.BooleanField(_("涉及民族因素"), default=False)
    confidential = models.BooleanField(_("保密"), default=False, help_text=_("仅指定角色、上报人和承办人可见"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.REPORTED)
    status_note = models.CharField(_("状态说明"), max_length=500, blank=True)
    reported_at = models.DateTimeField(_("上报时间"), default=timezone.now)
    due_at = models.DateTimeField(_("办结时限"))
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    assigned_at = models.DateTimeField(_("分派时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("承办人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_cases",
    )
    level = models.PositiveSmallIntegerField(_("督办层级"), choices=Level.choices, default=Level.GRID)
    escalated_at = models.DateTimeField(_("督办时间"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("提醒时间"), null=True, blank=True)
    suspended_at = models.DateTimeField(_("挂起时间"), null=True, blank=True)
    suspended_status = models.CharField(max_length=16, blank=True, editable=False)
    suspended_minutes = models.PositiveIntegerField(_("挂起工作分钟"), default=0, editable=False)
    work_minutes = models.PositiveIntegerField(_("办理用时（工作分钟）"), null=True, blank=True, editable=False)
    on_time = models.BooleanField(_("按时办结"), null=True, blank=True, editable=False)
    reopen_count = models.PositiveSmallIntegerField(_("重办次数"), default=0, editable=False)
    merged_into = models.ForeignKey(
        "self", verbose_name=_("并入"), on_delete=models.SET_NULL, null=True, blank=True, related_name="merged_cases"
    )
    resolution = models.TextField(_("办理结果"), blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("满意度"), choices=Satisfaction.choices, null=True, blank=True, editable=False
    )
    external_ref = models.CharField(_("外部编号"), max_length=64, blank=True, help_text=_("如12345热线工单号"))
    meeting = models.ForeignKey(
        Meeting, verbose_name=_("提出于恳谈会"), on_delete=models.SET_NULL, null=True, blank=True, related_name="cases"
    )

    scope_grid: ClassVar[str | None] = "grid"
    personal_fields: ClassVar[tuple[str, ...]] = ("reporter_phone",)

    class Meta:
        verbose_name = _("事件")
        verbose_name_plural = _("事件与诉求")
        ordering = ("-reported_at", "-pk")
        indexes = [
            models.Index(fields=["community", "status", "due_at"], name="cases_case_comm_status_due"),
            models.Index(fields=["community", "reported_at"], name="cases_case_comm_reported"),
            models.Index(fields=["assignee", "status"], name="cases_case_assignee_status"),
            models.Index(fields=["grid", "status"], name="cases_case_grid_status"),
            models.Index(fields=["status", "due_at"], name="cases_case_status_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(satisfaction__isnull=True) | models.Q(satisfaction__gte=1, satisfaction__lte=5),
                name="cases_case_satisfaction_1_5",
            ),
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True) | models.Q(latitude__gte=-90, latitude__lte=90),
                name="cases_case_latitude_range",
            ),
            models.CheckConstraint(
                condition=models.Q(longitude__isnull=True) | models.Q(longitude__gte=-180, longitude__lte=180),
                name="cases_case_longitude_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}" if self.number else self.title

    @classmethod
    def scope_filter(cls, grant: Any, action: str) -> models.Q:
        """The grant's division subtree, or its grid plus the cases the grid member reported (to view) or holds
        (to view and work on); confidential cases only for the roles in ``TONGXIN_CONFIDENTIAL_ROLES`` and for
        the case's own reporter and assignee."""
        return case_scope(grant, action)

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def is_overdue(self, now: datetime.datetime | None = None) -> bool:
        """Open (not suspended) and past its due time."""
        now = now or timezone.now()
        return self.status in self.RUNNING_STATUSES and self.due_at < now

    @property
    def gcj02(self) -> tuple[float, float] | None:
        """(longitude, latitude) in GCJ-02 for Chinese map tiles, or None without a location."""
        if self.latitude is None or self.longitude is None:
            return None
        return wgs84_to_gcj02(float(self.longitude), float(self.latitude))

    def revealed_values(self, fields: list[str]) -> dict[str, str]:
        """The clear personal values a reveal shows (core.privacy): none of an anonymous reporter's."""
        return {name: "" if self.anonymous else getattr(self, name) for name in fields}

    @property
    def reporter_display(self) -> str:
        """Who reported it, as shown on pages (匿名 when anonymous)."""
        if self.anonymous:
            return str(_("匿名"))
        if self.reporter_person_id:
            return str(self.reporter_person)
        if self.reporter_name:
            return self.reporter_name
        return self.reporter_user.display_name if self.reporter_user_id else ""


def case_scope(grant: Any, action: str, prefix: str = "") -> models.Q:
    """The cases one grant covers (see :meth:`Case.scope_filter`), as a Q over ``prefix`` + the case's fields, so
    that a case's photos, steps, follow-ups and mediation records are scoped exactly like the case itself."""

    def q(**lookups: Any) -> models.Q:
        return models.Q(**{f"{prefix}{k}": v for k, v in lookups.items()})

    holds = q(assignee_id=grant.user_id)
    mine = holds | q(reporter_user_id=grant.user_id)
    if grant.grid_id is not None:
        area = q(grid_id=grant.grid_id)
        if action == "view":
            area |= mine
        elif action == "change":
            area |= holds
    else:
        area = q(community__path__startswith=grant.division_path)
    if grant.role in settings.CONFIDENTIAL_ROLES:
        return area
    return area & (q(confidential=False) | mine)


class ScopedLikeItsCase:
    """Mixin of a case's records (steps, photos, follow-ups, mediation): scoped exactly like the case they belong
    to, confidential flag included; ``case_path`` is the lookup from the record to its case."""

    case_path: ClassVar[str] = "case__"

    @classmethod
    def scope_filter(cls, grant: Any, action: str) -> models.Q:
        return case_scope(grant, action, cls.case_path)


class CaseStep(ScopedLikeItsCase, models.Model):
    """One step of a case's timeline (上报, 受理, 分派, 办结 …) with its note: what the people on the case see.

    The change log records the same step with before/after data; this is the domain's own history.
    """

    case = models.ForeignKey(Case, verbose_name=_("事件"), on_delete=models.CASCADE, related_name="steps")
    time = models.DateTimeField(_("时间"), default=timezone.now)
    step = models.CharField(_("步骤"), max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.SET_NULL, null=True, blank=True
    )
    actor_name = models.CharField(_("操作人姓名"), max_length=64, blank=True)
    from_status = models.CharField(_("原状态"), max_length=16, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("承办人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(_("说明"), blank=True)

    scope_division: ClassVar[str | None] = "case__community"
    scope_grid: ClassVar[str | None] = "case__grid"

    class Meta:
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")
        ordering = ("time", "pk")
        indexes = [models.Index(fields=["case", "time"], name="cases_step_case_time")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.step} {self.time:%Y-%m-%d %H:%M}"

    @property
    def step_label(self) -> str:
        from tongxin.cases.workflow import WORKFLOW

        return WORKFLOW.label(self.step)


def attachment_path(instance: Attachment, filename: str) -> str:
    """Kept for the migrations that name it; attachments now use :func:`tongxin.core.files.upload_path`."""
    return files.upload_path(instance, filename)


class Attachment(ScopedLikeItsCase, files.FileAttachment, TongxinModel):
    """A photo or document of a case (the report's photo, the result's photo, an agreement scan)."""

    case = models.ForeignKey(Case, verbose_name=_("事件"), on_delete=models.CASCADE, related_name="attachments")
    step = models.ForeignKey(
        CaseStep, verbose_name=_("办理记录"), on_delete=models.SET_NULL, null=True, blank=True, related_name="files"
    )

    scope_division: ClassVar[str | None] = "case__community"
    scope_grid: ClassVar[str | None] = "case__grid"

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ("created", "pk")

    def __str__(self) -> str:
        return self.name


class PendingPhoto(files.FileAttachment):
    """A photo of a phone report not yet sent (the form came back with an error), uploaded once and kept for its
    uploader: the re-rendered form carries a signed reference to it (``cases.attachments``), the case takes it
    as an attachment when the report goes through, and it is deleted after ``PENDING_HOURS`` otherwise. Not a
    domain row: seen only by its uploader, never change-logged."""

    created = models.DateTimeField(_("上传时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("待提交照片")
        verbose_name_plural = _("待提交照片")
        ordering = ("created", "pk")

    def __str__(self) -> str:
        return self.name


class FollowUp(ScopedLikeItsCase, TongxinModel):
    """A follow-up call or visit after a case is resolved (回访): the reporter's satisfaction and comments."""

    class Method(models.TextChoices):
        PHONE = "phone", _("电话回访")
        VISIT = "visit", _("上门回访")
        ONLINE = "online", _("网上评价")

    case = models.ForeignKey(Case, verbose_name=_("事件"), on_delete=models.CASCADE, related_name="follow_ups")
    time = models.DateTimeField(_("回访时间"), default=timezone.now)
    method = models.CharField(_("方式"), max_length=16, choices=Method.choices, default=Method.PHONE)
    satisfaction = models.PositiveSmallIntegerField(_("满意度"), choices=Satisfaction.choices)
    comments = models.TextField(_("意见"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("回访人"), on_delete=models.SET_NULL, null=True, blank=True
    )

    scope_division: ClassVar[str | None] = "case__community"
    scope_grid: ClassVar[str | None] = "case__grid"

    class Meta:
        verbose_name = _("回访")
        verbose_name_plural = _("回访")
        ordering = ("-time", "-pk")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(satisfaction__gte=1, satisfaction__lte=5), name="cases_followup_satisfaction_1_5"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case} · {self.satisfaction}"


class Dispute(ScopedLikeItsCase, TongxinModel):
    """The mediation side of a dispute case: parties, mediators, agreement and result."""

    class Result(models.TextChoices):
        PENDING = "pending", _("调解中")
        MEDIATED = "mediated", _("调解成功")
        FAILED = "failed", _("调解不成")
        COURT = "court", _("转人民法院")
        OTHER = "other", _("转其他部门")

    case = models.OneToOneField(Case, verbose_name=_("事件"), on_delete=models.CASCADE, related_name="dispute")
    community = models.ForeignKey(
        Division,
        verbose_name=_("所属社区/村"),
        on_delete=models.PROTECT,
        related_name="disputes",
        limit_choices_to={"level": Division.Level.COMMUNITY},
    )
    parties = models.ManyToManyField(
        "registry.Person", verbose_name=_("当事人（居民）"), blank=True, related_name="disputes"
    )
    parties_text = models.TextField(_("当事人"), blank=True, help_text=_("非本社区居民的当事人，每行一人"))
    mediators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("调解员"), blank=True, related_name="mediated_disputes"
    )
    mediators_text = models.CharField(_("其他调解人员"), max_length=200, blank=True)
    agreement = models.TextField(_("调解协议"), blank=True)
    result = models.CharField(_("调解结果"), max_length=16, choices=Result.choices, default=Result.PENDING)
    result_date = models.DateField(_("结果日期"), null=True, blank=True)
    transferred_to = models.CharField(_("移交单位"), max_length=100, blank=True)

    scope_grid: ClassVar[str | None] = "case__grid"

    class Meta:
        verbose_name = _("矛盾纠纷调解")
        verbose_name_plural = _("矛盾纠纷调解")
        ordering = ("-case__reported_at", "-pk")

    def __str__(self) -> str:
        return str(self.case)

    def clean(self) -> None:
        if self.result in (self.Result.COURT, self.Result.OTHER) and not self.transferred_to:
            raise ValidationError({"transferred_to": _("移交时请填写移交单位")})
        if self.result != self.Result.PENDING and not self.result_date:
            raise ValidationError({"result_date": _("请填写结果日期")})


class MediationSession(ScopedLikeItsCase, TongxinModel):
    """One mediation session of a dispute: when, where, who, what was said and how it ended."""

    class Outcome(models.TextChoices):
        CONTINUE = "continue", _("继续调解")
        AGREED = "agreed", _("达成协议")
        FAILED = "failed", _("未达成协议")

    dispute = models.ForeignKey(Dispute, verbose_name=_("纠纷"), on_delete=models.CASCADE, related_name="sessions")
    community = models.ForeignKey(
        Division,
        verbose_name=_("所属社区/村"),
        on_delete=models.PROTECT,
        related_name="mediation_sessions",
        limit_choices_to={"level": Division.Level.COMMUNITY},
    )
    time = models.DateTimeField(_("调解时间"))
    place = models.CharField(_("地点"), max_length=100, blank=True)
    participants = models.TextField(_("参加人员"), blank=True)
    notes = models.TextField(_("调解记录"), blank=True)
    outcome = models.CharField(_("结果"), max_length=16, choices=Outcome.choices, default=Outcome.CONTINUE)

    case_path: ClassVar[str] = "dispute__case__"
    scope_grid: ClassVar[str | None] = "dispute__case__grid"

    class Meta:
        verbose_name = _("调解记录")
        verbose_name_plural = _("调解记录")
        ordering = ("time", "pk")

    def __str__(self) -> str:
        return f"{self.dispute} · {self.time:%Y-%m-%d}"

    def clean(self) -> None:
        if self.dispute_id and self.community_id and self.dispute.community_id != self.community_id:
            raise ValidationError({"community": _("调解记录与纠纷须属于同一社区")})
