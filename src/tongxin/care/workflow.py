"""The enrolment's workflow table (core.workflow): application → household survey → democratic review → public
notice (objections hold it) → approved, then suspended, resumed, re-checked or exited. Nothing else writes an
enrolment's status."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongxin.care.models import CarePlan, Enrolment, Warning
from tongxin.core.workflow import REQUIRED, Context, Step, Workflow, may

S = Enrolment.Status
BEFORE_APPROVAL = (S.APPLIED, S.SURVEYED, S.REVIEWED, S.NOTICE)


def _today(ctx: Context) -> datetime.date:
    return timezone.localdate(ctx.now)


def _add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later (the month's last day when it has no such day)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _surveyed(ctx: Context) -> None:
    ctx.obj.surveyed_on = _today(ctx)


def _reviewed(ctx: Context) -> None:
    ctx.obj.reviewed_on = _today(ctx)


def _check_publish(ctx: Context) -> None:
    if not ctx.obj.programme.notice_days:
        raise ValidationError(_("“%(p)s”不需要公示，可直接批准") % {"p": ctx.obj.programme})


def _publish(ctx: Context) -> None:
    enrolment = ctx.obj
    start = ctx.data.get("notice_start") or _today(ctx)
    enrolment.notice_start = start
    enrolment.notice_end = enrolment.programme.notice_end(start, enrolment.community)
    enrolment.objection_open = False


def _object(ctx: Context) -> None:
    ctx.obj.objection_open = True


def _check_settle(ctx: Context) -> None:
    if not ctx.obj.objection_open:
        raise ValidationError(_("没有待处理的异议"))


def _settle(ctx: Context) -> None:
    ctx.obj.objection_open = False


def _check_approve(ctx: Context) -> None:
    """A programme with a public notice approves only after the notice ended with no objection unsettled."""
    enrolment, today = ctx.obj, _today(ctx)
    if not enrolment.programme.notice_days or enrolment.status not in (S.REVIEWED, S.NOTICE):
        return  # nothing to wait for, or a status the table refuses anyway (with its own message)
    if enrolment.status != S.NOTICE or enrolment.notice_end is None:
        raise ValidationError(_("“%(p)s”须先公示，公示期满后才能批准") % {"p": enrolment.programme})
    if today <= enrolment.notice_end:
        raise ValidationError(
            _("公示期至 %(d)s 结束，期满后才能批准") % {"d": enrolment.notice_end.strftime("%Y-%m-%d")}
        )
    if enrolment.objection_open:
        raise ValidationError(_("公示期间有异议尚未处理，处理后才能批准"))


def _approve(ctx: Context) -> None:
    enrolment, today = ctx.obj, _today(ctx)
    enrolment.approved_on = today
    if enrolment.household_id and not enrolment.person_id:
        members = enrolment.household.memberships.filter(end__isnull=True).count()
        enrolment.persons_covered = max(members, 1)
    enrolment.monthly_amount = enrolment.benefit()
    months = enrolment.programme.recheck_months
    enrolment.next_recheck = _add_months(today, months) if months else None


def _recheck(ctx: Context) -> None:
    months = ctx.obj.programme.recheck_months
    ctx.obj.next_recheck = _add_months(_today(ctx), months) if months else None


def _ended(ctx: Context) -> None:
    ctx.obj.ended_on = _today(ctx)


REASON = _("理由")
WORKFLOW = Workflow(
    Enrolment,
    steps=(
        Step("survey", _("入户调查"), sources=(S.APPLIED,), target=S.SURVEYED, rule=may("change"), note=REQUIRED,
             note_label=_("调查情况"), apply=_surveyed),
        Step("review", _("民主评议"), sources=(S.SURVEYED,), target=S.REVIEWED, rule=may("change"), note=REQUIRED,
             note_label=_("评议结果"), apply=_reviewed),
        Step("publish", _("公示"), sources=(S.REVIEWED,), target=S.NOTICE, rule=may("approve"),
             fields=("notice_start",), check=_check_publish, apply=_publish),
        Step("object", _("登记异议"), sources=(S.NOTICE,), rule=may("change"), note=REQUIRED,
             note_label=_("异议内容"), apply=_object),
        Step("settle", _("异议处理"), sources=(S.NOTICE,), rule=may("approve"), note=REQUIRED,
             note_label=_("处理结果"), check=_check_settle, apply=_settle),
        Step("approve", _("批准纳入"), sources=(S.REVIEWED, S.NOTICE), target=S.ACTIVE, rule=may("approve"),
             check=_check_approve, apply=_approve),
        Step("reject", _("不予纳入"), sources=BEFORE_APPROVAL, target=S.REJECTED, rule=may("approve"),
             note=REQUIRED, note_label=REASON, danger=True, apply=_ended),
        Step("recheck", _("复审"), sources=(S.ACTIVE,), rule=may("change"), note=REQUIRED,
             note_label=_("复审情况"), apply=_recheck),
        Step("suspend", _("暂停"), sources=(S.ACTIVE,), target=S.SUSPENDED, rule=may("change"), note=REQUIRED,
             note_label=REASON, danger=True),
        Step("resume", _("恢复"), sources=(S.SUSPENDED,), target=S.ACTIVE, rule=may("change")),
        Step("exit", _("退出"), sources=(S.ACTIVE, S.SUSPENDED), target=S.EXITED, rule=may("approve"),
             note=REQUIRED, note_label=REASON, danger=True, apply=_ended),
    ),
    describe=lambda e: str(e),
)  # fmt: skip


# -- the care plan's review ------------------------------------------------------------------------------------


def _reviewed_plan(ctx: Context) -> None:
    """A quarterly review: the next version, reviewed today, next due at the end of the next quarter."""
    from tongxin.care.windows import window_of

    plan, today = ctx.obj, _today(ctx)
    plan.version += 1
    plan.reviewed_on = today
    _lo, hi = window_of("quarter", today)
    plan.next_review = window_of("quarter", hi + datetime.timedelta(days=1))[1]


P = CarePlan.Status
PLAN_WORKFLOW = Workflow(
    CarePlan,
    steps=(
        Step("review", _("季度复核"), sources=(P.ACTIVE,), rule=may("change"), note=REQUIRED,
             note_label=_("复核情况"), apply=_reviewed_plan),
        Step("close", _("结束计划"), sources=(P.ACTIVE,), target=P.CLOSED, rule=may("change"), note=REQUIRED,
             note_label=REASON, danger=True),
    ),
    describe=lambda p: str(p),
)  # fmt: skip


# -- the warnings ------------------------------------------------------------------------------------------------


def _handled(ctx: Context) -> None:
    ctx.obj.handled_at = ctx.now


W = Warning.Status
WARNING_WORKFLOW = Workflow(
    Warning,
    steps=(
        Step("handle", _("处理"), sources=(W.OPEN,), target=W.HANDLED, rule=may("change"), note=REQUIRED,
             note_label=_("处理情况"), apply=_handled),
        Step("escalate", _("超期上报社区"), sources=(W.OPEN,)),  # the worker's (no rule: never a button)
    ),
    describe=lambda w: str(w),
)  # fmt: skip
