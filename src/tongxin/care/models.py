"""Care programmes, enrolments in them and visits to the persons enrolled (关爱服务)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongxin.core import files
from tongxin.core.fields import EncryptedTextField
from tongxin.core.models import CommunityModel, DefaultsAndOverrides, TongxinModel
from tongxin.org.models import Division


def sensitive_scope(model_perm: str, grant: Any) -> models.Q:
    """The rows of a sensitive care model one grant reaches: its grid's for a grid member (who visits them), its
    divisions' only with the model's ``sensitive`` permission (``model_perm``, e.g. care.sensitive_enrolment)."""
    if grant.grid_id is not None:
        return models.Q(grid__pk=grant.grid_id)
    if not grant.allows(model_perm):
        return models.Q(pk__in=[])
    return models.Q(community__path__startswith=grant.division_path)


class Every(models.TextChoices):
    """How often something is owed: in every calendar month, quarter or year (windows that never slide)."""

    NONE = "", _("不定期")
    MONTH = "month", _("每月")
    QUARTER = "quarter", _("每季度")
    YEAR = "year", _("每年")


class Unit(models.TextChoices):
    """Whom a programme enrols, or what its benefit is counted per."""

    PERSON = "person", _("个人")
    HOUSEHOLD = "household", _("家庭（户）")


class Programme(DefaultsAndOverrides, TongxinModel):
    """A care programme (帮扶项目: 低保, 特困供养, 留守老人 …): whom it enrols, the visits and reviews it owes them,
    the benefit it pays and the public notice its approvals need.

    Rows without a community are the deployment's defaults (``data/programmes.json``); a community's row with the
    same code overrides the default there, and a community may add its own."""

    community = models.ForeignKey(
        Division,
        verbose_name=_("所属社区/村"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="care_programmes",
        limit_choices_to={"level": Division.Level.COMMUNITY},
        help_text=_("留空表示全平台默认项目；填写则只用于该社区（同代码时覆盖默认项目）"),
    )
    code = models.SlugField(_("项目代码"), max_length=32)
    name = models.CharField(_("名称"), max_length=64)
    unit = models.CharField(_("纳入单位"), max_length=16, choices=Unit.choices, default=Unit.PERSON)
    visit_every = models.CharField(_("走访周期"), max_length=8, choices=Every.choices, blank=True, default="")
    review_every = models.CharField(_("档案复核周期"), max_length=8, choices=Every.choices, blank=True, default="")
    pays_benefit = models.BooleanField(_("发放补助"), default=False)
    amount = models.DecimalField(_("月补助标准（元）"), max_digits=10, decimal_places=2, null=True, blank=True)
    amount_per = models.CharField(_("补助计发单位"), max_length=16, choices=Unit.choices, default=Unit.PERSON)
    notice_days = models.PositiveSmallIntegerField(_("公示天数"), default=0, help_text=_("0 表示不需要公示"))
    notice_working_days = models.BooleanField(_("按工作日计公示期"), default=False)
    recheck_months = models.PositiveSmallIntegerField(_("复审间隔（月）"), default=0, help_text=_("0 表示不定期复审"))
    min_age = models.PositiveSmallIntegerField(_("最低年龄"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("最高年龄"), null=True, blank=True)
    eligibility = models.TextField(_("认定条件"), blank=True)
    sort = models.PositiveSmallIntegerField(_("排序"), default=100)
    active = models.BooleanField(_("启用"), default=True)

    scope_division: ClassVar[str | None] = "community"

    class Meta:
        verbose_name = _("帮扶项目")
        verbose_name_plural = _("帮扶项目")
        ordering = ("sort", "code")
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=models.Q(community__isnull=True), name="care_programme_unique_default"
            ),
            models.UniqueConstraint(fields=["community", "code"], name="care_programme_unique_local"),
            models.CheckConstraint(
                condition=models.Q(min_age__isnull=True)
                | models.Q(max_age__isnull=True)
                | models.Q(min_age__lte=models.F("max_age")),
                name="care_programme_age_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def notice_end(self, start: datetime.date, division: Any = None) -> datetime.date | None:
        """The last day of a public notice starting on ``start`` (it ends at that day's close): ``notice_days``
        calendar days, or working days from the calendar (the first day counts when it is a working day)."""
        if not self.notice_days:
            return None
        if not self.notice_working_days:
            return start + datetime.timedelta(days=self.notice_days - 1)
        from tongxin.core.calendar import add_workdays, is_workday

        first = start if is_workday(start, division) else add_workdays(start, 1, division)
        return add_workdays(first, self.notice_days - 1, division) if self.notice_days > 1 else first


class Enrolment(CommunityModel):
    """A person or a household in a programme (纳入帮扶), from the application through the household survey,
    the democratic review and the public notice to approval, then active until suspended or exited.

    Being enrolled in a programme is sensitive personal data (PIPL: assistance, health, disability): the rows are
    visible only with the ``sensitive`` permission, or to the grid member of the person's grid (who visits them)."""

    class Status(models.TextChoices):
        APPLIED = "applied", _("已申请")
        SURVEYED = "surveyed", _("已入户调查")
        REVIEWED = "reviewed", _("已民主评议")
        NOTICE = "notice", _("公示中")
        ACTIVE = "active", _("在册")
        SUSPENDED = "suspended", _("暂停")
        EXITED = "exited", _("已退出")
        REJECTED = "rejected", _("未纳入")

    #: the statuses of an enrolment that counts (it is owed visits and, if the programme pays, its benefit)
    CURRENT: ClassVar[tuple[str, ...]] = (Status.ACTIVE, Status.SUSPENDED)

    programme = models.ForeignKey(
        Programme, verbose_name=_("帮扶项目"), on_delete=models.PROTECT, related_name="enrolments"
    )
    grid = models.ForeignKey(
        "org.Grid", verbose_name=_("网格"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    person = models.ForeignKey(
        "registry.Person", verbose_name=_("居民"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="care_enrolments",
    )  # fmt: skip
    household = models.ForeignKey(
        "registry.Household", verbose_name=_("户"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="care_enrolments",
    )  # fmt: skip
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.APPLIED)
    applied_on = models.DateField(_("申请日期"), default=datetime.date.today)
    surveyed_on = models.DateField(_("入户调查日期"), null=True, blank=True)
    reviewed_on = models.DateField(_("民主评议日期"), null=True, blank=True)
    notice_start = models.DateField(_("公示开始"), null=True, blank=True)
    notice_end = models.DateField(_("公示截止"), null=True, blank=True)
    objection_open = models.BooleanField(_("有未处理异议"), default=False)
    approved_on = models.DateField(_("批准日期"), null=True, blank=True)
    ended_on = models.DateField(_("退出日期"), null=True, blank=True)
    next_recheck = models.DateField(_("下次复审"), null=True, blank=True)
    persons_covered = models.PositiveSmallIntegerField(_("保障人数"), default=1)
    monthly_amount = models.DecimalField(_("月补助金额（元）"), max_digits=10, decimal_places=2, null=True, blank=True)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("包保干部"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    bank_name = models.CharField(_("开户行"), max_length=64, blank=True)
    bank_account = EncryptedTextField(_("银行账号"), blank=True)
    notes = models.TextField(_("情况说明"), blank=True)

    # the whole row is the sensitive datum (its scope needs the sensitive permission): whoever may see it sees
    # its notes, and nobody else sees that the person is enrolled at all; the bank account is masked until
    # revealed (the payment list's export shows it to who may reveal)
    scope_grid: ClassVar[str | None] = "grid"
    personal_fields: ClassVar[tuple[str, ...]] = ("bank_account",)

    #: the rows themselves are sensitive: their change log too needs the sensitive permission
    sensitive_rows: ClassVar[bool] = True

    class Meta:
        verbose_name = _("帮扶对象")
        verbose_name_plural = _("帮扶对象")
        ordering = ("community__code", "programme__sort", "-pk")
        indexes = [
            models.Index(fields=["community", "programme", "status"], name="care_enrol_community"),
            models.Index(fields=["grid", "status"], name="care_enrol_grid"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(person__isnull=False) | models.Q(household__isnull=False),
                name="care_enrolment_has_subject",
            ),
        ]

    def __str__(self) -> str:
        who = self.person or self.household
        return f"{who} · {self.programme}" if who else str(self.programme)

    @classmethod
    def scope_filter(cls, grant: Any, action: str) -> models.Q:
        """Enrolments in the grant's divisions for holders of ``care.sensitive_enrolment`` there (directors,
        social workers); a grid member's grant reaches their grid's key persons, whom they visit."""
        return sensitive_scope("care.sensitive_enrolment", grant)

    @property
    def subject_person(self) -> Any:
        """The person visited: the enrolled person, or the head of the enrolled household."""
        return self.person or (self.household.head if self.household_id else None)

    def pays_in(self, month: datetime.date) -> bool:
        """Whether the enrolment is on the payment list of ``month`` (any day of it): approved before the month
        began (benefits start the month after approval), not ended before it, the programme paying one."""
        first = month.replace(day=1)
        return bool(
            self.programme.pays_benefit
            and self.approved_on is not None
            and self.approved_on < first
            and self.status in (self.Status.ACTIVE, self.Status.EXITED)
            and (self.ended_on is None or self.ended_on >= first)
        )

    @classmethod
    def paying_in(cls, month: datetime.date) -> models.Q:
        """:meth:`pays_in` as a filter: the enrolments on the payment list of ``month``."""
        first = month.replace(day=1)
        return models.Q(
            models.Q(ended_on__isnull=True) | models.Q(ended_on__gte=first),
            programme__pays_benefit=True,
            approved_on__lt=first,
            status__in=(cls.Status.ACTIVE, cls.Status.EXITED),
        )

    def benefit(self) -> Decimal | None:
        """The monthly benefit: the programme's amount per person (× persons covered) or per household."""
        if not self.programme.pays_benefit or self.programme.amount is None:
            return None
        if self.programme.amount_per == Unit.PERSON:
            return self.programme.amount * self.persons_covered
        return self.programme.amount


class CarePlan(CommunityModel):
    """A person's care plan (一人一策): their needs, the goals, the measures, who answers for them (包保: a cadre
    and the grid member) and when it is next reviewed. Each quarterly review (a workflow step) raises the
    version; the change log shows what changed between versions. As sensitive as the enrolments."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("执行中")
        CLOSED = "closed", _("已结束")

    grid = models.ForeignKey(
        "org.Grid", verbose_name=_("网格"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    person = models.ForeignKey(
        "registry.Person", verbose_name=_("居民"), on_delete=models.PROTECT, related_name="care_plans"
    )
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    needs = models.TextField(_("需求"), blank=True)
    goals = models.TextField(_("目标"), blank=True)
    measures = models.TextField(_("措施"), blank=True)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("包保干部"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    grid_member = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("包保网格员"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    version = models.PositiveIntegerField(_("版本"), default=1)
    reviewed_on = models.DateField(_("上次复核"), null=True, blank=True)
    next_review = models.DateField(_("下次复核"), null=True, blank=True)

    scope_grid: ClassVar[str | None] = "grid"

    #: the rows themselves are sensitive: their change log too needs the sensitive permission
    sensitive_rows: ClassVar[bool] = True

    class Meta:
        verbose_name = _("关爱计划")
        verbose_name_plural = _("关爱计划")
        ordering = ("community__code", "next_review", "-pk")
        indexes = [
            models.Index(fields=["community", "status", "next_review"], name="care_plan_review"),
            models.Index(fields=["person", "status"], name="care_plan_person"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(status="active"), name="care_plan_one_active_per_person"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {_('关爱计划')} v{self.version}"

    @classmethod
    def scope_filter(cls, grant: Any, action: str) -> models.Q:
        """As the enrolments: the grid member of the person's grid, or holders of ``care.sensitive_careplan``."""
        return sensitive_scope("care.sensitive_careplan", grant)


class HealthCheck(CommunityModel):
    """A resident's health check (体检), as the clinic's spreadsheet reports it: blood pressure, fasting glucose and
    the clinic's conclusion. Health data is sensitive: only holders of ``care.sensitive_healthcheck`` see the rows
    (not grid members: they see what a visit needs, not the results). ``abnormal`` follows the thresholds below
    and raises a care warning."""

    person = models.ForeignKey(
        "registry.Person", verbose_name=_("居民"), on_delete=models.PROTECT, related_name="health_checks"
    )
    checked_on = models.DateField(_("体检日期"))
    systolic = models.PositiveSmallIntegerField(_("收缩压（mmHg）"), null=True, blank=True)
    diastolic = models.PositiveSmallIntegerField(_("舒张压（mmHg）"), null=True, blank=True)
    glucose = models.DecimalField(_("空腹血糖（mmol/L）"), max_digits=4, decimal_places=1, null=True, blank=True)
    clinic = models.CharField(_("体检机构"), max_length=100, blank=True)
    conclusion = models.TextField(_("体检结论"), blank=True)
    abnormal = models.BooleanField(_("结果异常"), default=False, editable=False)

    #: blood pressure of 140/90 mmHg or more, fasting glucose of 7.0 mmol/L or more (national primary-care guides)
    SYSTOLIC_HIGH, DIASTOLIC_HIGH, GLUCOSE_HIGH = 140, 90, Decimal("7.0")

    #: the rows themselves are sensitive: their change log too needs the sensitive permission
    sensitive_rows: ClassVar[bool] = True

    class Meta:
        verbose_name = _("健康体检")
        verbose_name_plural = _("健康体检")
        ordering = ("-checked_on", "-pk")
        indexes = [models.Index(fields=["community", "checked_on"], name="care_health_community")]
        constraints = [models.UniqueConstraint(fields=["person", "checked_on"], name="care_health_once_a_day")]

    def __str__(self) -> str:
        return f"{self.person} {self.checked_on:%Y-%m-%d}"

    @classmethod
    def scope_filter(cls, grant: Any, action: str) -> models.Q:
        """Holders of ``care.sensitive_healthcheck`` in their divisions; never a grid grant."""
        if grant.grid_id is not None:
            return models.Q(pk__in=[])
        return sensitive_scope("care.sensitive_healthcheck", grant)

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Mark the check abnormal by the thresholds, then save."""
        self.abnormal = bool(
            (self.systolic or 0) >= self.SYSTOLIC_HIGH
            or (self.diastolic or 0) >= self.DIASTOLIC_HIGH
            or (self.glucose is not None and Decimal(self.glucose) >= self.GLUCOSE_HIGH)
        )
        super().save(*args, **kwargs)


class Warning(CommunityModel):
    """A care warning (预警) the worker raised: a visit window missed, an elder living alone not contacted for
    weeks, a re-check due. It is a task for the person who answers for the enrolment (the responsible cadre, else
    the grid's member), due in working days; when not handled by then it escalates to the community's directors.
    Raised once per fact (``key``), as sensitive as the enrolments."""

    class Kind(models.TextChoices):
        MISSED_VISIT = "missed_visit", _("走访超期")
        NO_CONTACT = "no_contact", _("独居高龄老人长期未联系")
        RECHECK_DUE = "recheck_due", _("复审到期")
        HEALTH = "health", _("体检结果异常")

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        HANDLED = "handled", _("已处理")

    grid = models.ForeignKey(
        "org.Grid", verbose_name=_("网格"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    person = models.ForeignKey(
        "registry.Person", verbose_name=_("居民"), on_delete=models.CASCADE, related_name="care_warnings"
    )
    enrolment = models.ForeignKey(
        Enrolment, verbose_name=_("帮扶对象"), on_delete=models.CASCADE, null=True, blank=True, related_name="warnings"
    )
    kind = models.CharField(_("预警类型"), max_length=16, choices=Kind.choices)
    key = models.CharField(_("预警标识"), max_length=80, unique=True, editable=False)
    message = models.CharField(_("预警内容"), max_length=200)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("处理人"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    raised_at = models.DateTimeField(_("预警时间"))
    due_at = models.DateTimeField(_("处理时限"))
    escalated_at = models.DateTimeField(_("上报社区时间"), null=True, blank=True)
    handled_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    scope_grid: ClassVar[str | None] = "grid"

    #: the rows themselves are sensitive: their change log too needs the sensitive permission
    sensitive_rows: ClassVar[bool] = True

    class Meta:
        verbose_name = _("关爱预警")
        verbose_name_plural = _("关爱预警")
        ordering = ("status", "due_at", "-pk")
        indexes = [
            models.Index(fields=["community", "status", "due_at"], name="care_warning_open"),
            models.Index(fields=["assignee", "status"], name="care_warning_assignee"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.person}"

    @classmethod
    def scope_filter(cls, grant: Any, action: str) -> models.Q:
        """As the enrolments: the person's grid member, or holders of ``care.sensitive_warning``."""
        return sensitive_scope("care.sensitive_warning", grant)


class Visit(CommunityModel):
    """A visit to a key person (走访): a home visit, a phone call or a holiday visit (两节慰问), with what was found
    and the needs raised; a need can become a case. Visits count for the windows of every programme the person
    (or their household) is enrolled in."""

    class Kind(models.TextChoices):
        HOME = "home", _("入户走访")
        PHONE = "phone", _("电话联系")
        HOLIDAY = "holiday", _("两节慰问")
        REVIEW = "review", _("档案复核")

    grid = models.ForeignKey(
        "org.Grid", verbose_name=_("网格"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    person = models.ForeignKey(
        "registry.Person", verbose_name=_("居民"), on_delete=models.PROTECT, related_name="care_visits"
    )
    household = models.ForeignKey(
        "registry.Household", verbose_name=_("户"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="care_visits",
    )  # fmt: skip
    kind = models.CharField(_("方式"), max_length=16, choices=Kind.choices, default=Kind.HOME)
    visited_on = models.DateField(_("走访日期"), default=datetime.date.today)
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("走访人"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    findings = models.TextField(_("走访情况"), blank=True)
    needs = models.TextField(_("提出的需求"), blank=True)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("转办事件"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    scope_grid: ClassVar[str | None] = "grid"
    sensitive_fields: ClassVar[tuple[str, ...]] = ("findings",)

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        ordering = ("-visited_on", "-pk")
        indexes = [
            models.Index(fields=["person", "visited_on"], name="care_visit_person"),
            models.Index(fields=["household", "visited_on"], name="care_visit_household"),
            models.Index(fields=["community", "visited_on"], name="care_visit_community"),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.visited_on:%Y-%m-%d} {self.get_kind_display()}"


class VisitPhoto(files.FileAttachment, TongxinModel):
    """A photo taken on a visit."""

    visit = models.ForeignKey(Visit, models.CASCADE, related_name="photos", verbose_name=_("走访记录"))

    scope_division: ClassVar[str | None] = "visit__community"
    scope_grid: ClassVar[str | None] = "visit__grid"

    class Meta:
        verbose_name = _("走访照片")
        verbose_name_plural = _("走访照片")
        ordering = ("pk",)

    def __str__(self) -> str:
        return self.name
