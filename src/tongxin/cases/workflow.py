"""The workflow of cases as one table (core.workflow): who may take each step, from which statuses, to which,
what it needs, what it changes and whom it tells.

reported → accepted → assigned → in progress → resolved → closed, plus rejected, merged, suspended (the clock
stops) and reopened (the clock restarts under the category's rule). Deadlines come from the community's
official calendar (:func:`tongxin.core.calendar.calendar_for`). The clock's steps (remind, escalate) and the
report are system steps of the same table: labels and the change log come from here for them too.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongxin.cases.attachments import add_attachment
from tongxin.cases.models import Attachment, Case, CaseStep, Category, FollowUp
from tongxin.core import scoping
from tongxin.core.calendar import calendar_for
from tongxin.core.models import Actor
from tongxin.core.notify import notify
from tongxin.core.workflow import REQUIRED, Context, Step, Workflow, all_of, any_of, may
from tongxin.org.models import Division, RoleAssignment

S = Case.Status
OPEN = (S.REPORTED, S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS)


def due_for(category: Category, community: Division, start: datetime.datetime) -> datetime.datetime:
    """When a case of ``category`` started at ``start`` is due, on the community's calendar."""
    return calendar_for(community).due_at(start, category.rule, category.amount)


# -- who ------------------------------------------------------------------------------------------------------


def handles(user: Actor, case: Case) -> bool:
    """Who works on a case: whoever may change it and is its assignee or may assign it."""
    return scoping.can(user, case, "change") and (
        case.assignee_id == getattr(user, "pk", None) or scoping.can(user, case, "assign")
    )


def reporter(user: Actor, case: Case) -> bool:
    """The user who reported the case, while they may still see it."""
    return (
        case.reporter_user_id is not None
        and case.reporter_user_id == getattr(user, "pk", None)
        and (scoping.can(user, case, "view"))
    )


def can_handle_in(user: Actor, community: Division) -> bool:
    """Whether ``user`` may work on cases in ``community`` (a role there, above it, or on one of its grids)."""
    return scoping.allowed_divisions(user, Case, "change").filter(pk=community.pk).exists()


def staff(case: Case, level: int) -> list[Any]:
    """Who answers for a case one level up: the community's assigners (level 1) or the street's (level 2)."""
    community = case.community
    if level <= 1:
        divisions = [community.pk]
    else:
        divisions = [d.pk for d in community.ancestors() if d.level in (Division.Level.STREET, Division.Level.COUNTY)]
        divisions = divisions[-1:] if divisions else []  # the nearest: the street
    perm = scoping.perm_name(Case, "assign")
    rows = RoleAssignment.objects.filter(division_id__in=divisions, grid__isnull=True).select_related("role", "user")
    return [ra.user for ra in rows if scoping.Grant(tuple(ra.role.permissions or ()), "", None).allows(perm)]


def responsible(case: Case) -> list[Any]:
    """The holders of the category's responsible role in the case's community (or on its grid), who are told
    of a new case of that category (e.g. a 物业专员 role for 物业服务)."""
    role_id = case.category.responsible_role_id
    if role_id is None:
        return []
    rows = RoleAssignment.objects.filter(role_id=role_id, division_id=case.community_id).select_related("user")
    if case.grid_id:
        rows = rows.filter(Q(grid__isnull=True) | Q(grid_id=case.grid_id))
    else:
        rows = rows.filter(grid__isnull=True)
    return [ra.user for ra in rows]


def tell(users: Iterable[Any], kind: str, message: str, case: Case, *, skip: Any = None) -> None:
    """Notify ``users`` (not ``skip``, the one who acted) about ``case``."""
    notify([u for u in users if u is not None and u != skip], kind, message, obj=case)


# -- what each step checks and changes ---------------------------------------------------------------------------


def _check_assign(ctx: Context) -> None:
    assignee = ctx.data.get("assignee")
    if assignee is None:
        raise ValidationError({"assignee": [_("请选择承办人")]})
    if not can_handle_in(assignee, ctx.obj.community):
        raise ValidationError(_("“%(u)s”无权办理事件 %(n)s（不在其管辖范围）") % {"u": assignee, "n": ctx.obj.number})


def _assign(ctx: Context) -> Any:
    case, now = ctx.obj, ctx.now
    previous = case.assignee
    case.assignee = ctx.data["assignee"]
    case.accepted_at = case.accepted_at or now
    case.assigned_at = now
    case.reminded_at = None
    if case.status in (S.REPORTED, S.ACCEPTED):
        case.status = S.ASSIGNED
    return previous


def _tell_assigned(ctx: Context) -> None:
    case, previous = ctx.obj, ctx.result
    due = timezone.localtime(case.due_at).strftime("%m-%d %H:%M")
    msg = _("事件 %(n)s 已分派给您，请在 %(d)s 前办结") % {"n": case.number, "d": due}
    tell([case.assignee], "case_assigned", msg, case, skip=ctx.user)
    if previous is not None and previous != case.assignee:
        tell([previous], "case_reassigned", _("事件 %(n)s 已改派他人") % {"n": case.number}, case, skip=ctx.user)


def _check_progress(ctx: Context) -> None:
    if not ctx.note and not ctx.files:
        raise ValidationError({"note": [_("请填写办理进展或上传照片")]})


def _resolve(ctx: Context) -> None:
    case, now = ctx.obj, ctx.now
    case.resolved_at, case.resolution = now, ctx.note
    case.accepted_at = case.accepted_at or now
    case.on_time = now <= case.due_at
    worked = calendar_for(case.community).working_time_between(case.reported_at, now)
    case.work_minutes = max(0, int(worked.total_seconds() // 60) - case.suspended_minutes)


def _tell_resolved(ctx: Context) -> None:
    case = ctx.obj
    tell(
        [case.reporter_user, *staff(case, 1)],
        "case_resolved",
        _("事件 %(n)s 已办结") % {"n": case.number},
        case,
        skip=ctx.user,
    )


def _tell_rejected(ctx: Context) -> None:
    msg = _("事件 %(n)s 不予受理：%(r)s") % {"n": ctx.obj.number, "r": ctx.note}
    tell([ctx.obj.reporter_user], "case_rejected", msg, ctx.obj)


def _check_merge(ctx: Context) -> None:
    """``into``: the surviving case, or its number as a form or the API gives it."""
    case, into = ctx.obj, ctx.data.get("into")
    if not isinstance(into, Case):
        number = (into or "").strip()
        into = scoping.restrict(Case.objects.all(), ctx.user, "change").filter(number=number).first()
        if into is None:
            raise ValidationError({"into": [_("未找到编号为“%(n)s”的事件（或无权办理）") % {"n": number}]})
        ctx.data["into"] = into
    if not scoping.can(ctx.user, into, "change"):
        raise PermissionDenied
    if case.pk == into.pk:
        raise ValidationError(_("不能把事件合并到自己"))
    if into.status not in Case.OPEN_STATUSES:
        raise ValidationError(
            _("只能并入未办结的事件，%(n)s 已%(s)s") % {"n": into.number, "s": into.get_status_display()}
        )
    if into.community_id != case.community_id:
        raise ValidationError(_("只能合并同一社区的事件"))


def _merge(ctx: Context) -> None:
    case, into = ctx.obj, ctx.data["into"]
    case.merged_into, case.closed_at = into, ctx.now
    ctx.note = ctx.note or _("并入事件 %(n)s") % {"n": into.number}
    WORKFLOW.lock(into)
    if into.status not in Case.OPEN_STATUSES:
        raise ValidationError(_("事件 %(n)s 已办结，不能并入") % {"n": into.number})

    def take_over(merged: Context) -> None:  # after the target's state before is taken, for its change log
        into.persons.add(*case.persons.all())
        for att in Attachment.objects.filter(case=case):  # saved one by one: each move is change-logged
            att.case = into
            att.save(update_fields=["case", "last_updated"])

    note = _("事件 %(n)s 并入本事件") % {"n": case.number}
    WORKFLOW.system_step(into, "merged_in", note=note, now=ctx.now, user=ctx.user, apply=take_over)


def _tell_merged(ctx: Context) -> None:
    msg = _("事件 %(n)s 已并入 %(m)s") % {"n": ctx.obj.number, "m": ctx.data["into"].number}
    tell([ctx.obj.reporter_user], "case_merged", msg, ctx.obj)


def _suspend(ctx: Context) -> None:
    ctx.obj.suspended_status, ctx.obj.suspended_at = ctx.obj.status, ctx.now


def _resume(ctx: Context) -> None:
    """The case gets back the time that was left when it was suspended."""
    case, now = ctx.obj, ctx.now
    cal = calendar_for(case.community)
    paused = case.suspended_at or now
    if case.category.rule == Category.Rule.CALENDAR_DAYS:
        case.due_at = case.due_at + (now - paused)
    else:
        left = cal.working_time_between(paused, case.due_at)
        case.due_at = cal.add_working_hours(now, left) if left else max(case.due_at, now)
    case.suspended_minutes += int(cal.working_time_between(paused, now).total_seconds() // 60)
    case.status = case.suspended_status or S.ASSIGNED
    case.suspended_at, case.suspended_status, case.reminded_at = None, "", None


def _reopen(ctx: Context) -> None:
    """The clock restarts under the category's rule and escalation starts over."""
    case = ctx.obj
    case.status = S.ASSIGNED if case.assignee_id else S.ACCEPTED
    case.due_at = due_for(case.category, case.community, ctx.now)
    case.resolved_at = case.closed_at = case.on_time = case.work_minutes = case.satisfaction = None
    case.level, case.escalated_at, case.reminded_at = Case.Level.GRID, None, None
    case.reopen_count += 1


def _tell_reopened(ctx: Context) -> None:
    msg = _("事件 %(n)s 被要求重新办理：%(r)s") % {"n": ctx.obj.number, "r": ctx.note}
    tell([ctx.obj.assignee], "case_reopened", msg, ctx.obj)


def _check_follow_up(ctx: Context) -> None:
    method = ctx.data.get("method") or FollowUp.Method.PHONE
    satisfaction = ctx.data.get("satisfaction")
    if method not in FollowUp.Method.values:
        raise ValidationError({"method": [_("回访方式“%(v)s”无效") % {"v": method}]})
    if not satisfaction:
        raise ValidationError({"satisfaction": [_("请选择满意度")]})
    if not 1 <= int(satisfaction) <= 5:
        raise ValidationError({"satisfaction": [_("满意度应为 1–5，收到“%(v)s”") % {"v": satisfaction}]})
    ctx.data["method"] = method


def _follow_up(ctx: Context) -> FollowUp:
    case, satisfaction = ctx.obj, int(ctx.data["satisfaction"])
    comments = ctx.note
    row = FollowUp.objects.create(
        case=case, satisfaction=satisfaction, comments=comments, method=ctx.data["method"], by=ctx.user
    )
    case.satisfaction = satisfaction
    ctx.note = _("满意度 %(s)s") % {"s": satisfaction} + (f"：{comments}" if comments else "")
    return row


# -- the timeline ---------------------------------------------------------------------------------------------------


def _status_note(ctx: Context) -> None:
    """The step's note as the case's status note (Open311's ``status_notes``); the clock's reminders and
    escalations leave the last person's note as it was."""
    if ctx.step.name not in ("remind", "escalate"):
        ctx.obj.status_note = (ctx.note or "")[:500]


def _timeline(ctx: Context) -> CaseStep:
    """The case's own history row of the step, with the step's photos."""
    user = ctx.user
    row = CaseStep.objects.create(
        case=ctx.obj,
        time=ctx.now,
        step=ctx.step.name,
        actor=user if getattr(user, "is_authenticated", False) else None,
        actor_name=getattr(user, "display_name", "") if user is not None else "",
        from_status=ctx.old_status,
        to_status=ctx.obj.status,
        assignee=ctx.obj.assignee,
        note=ctx.note,
    )
    for f in ctx.files:
        add_attachment(ctx.obj, f, user, step=row)
    return row


_REASON = gettext_lazy("理由")
HANDLE = handles
ASSIGN = may("assign")
CHANGE = may("change")

WORKFLOW = Workflow(
    Case,
    steps=(
        Step("report", gettext_lazy("上报")),
        Step(
            "accept",
            gettext_lazy("受理"),
            sources=(S.REPORTED,),
            target=S.ACCEPTED,
            rule=ASSIGN,
            apply=lambda ctx: setattr(ctx.obj, "accepted_at", ctx.now),
        ),
        Step(
            "assign",
            gettext_lazy("分派"),
            sources=OPEN,
            rule=ASSIGN,
            fields=("assignee",),
            check=_check_assign,
            apply=_assign,
            notify=_tell_assigned,
        ),
        Step("start", gettext_lazy("开始办理"), sources=(S.ASSIGNED, S.ACCEPTED), target=S.IN_PROGRESS, rule=HANDLE),
        Step(
            "progress",
            gettext_lazy("办理进展"),
            sources=(S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS),
            rule=CHANGE,
            photos=True,
            check=_check_progress,
        ),
        Step(
            "resolve",
            gettext_lazy("办结"),
            sources=OPEN,
            target=S.RESOLVED,
            rule=HANDLE,  # a walk-in on the spot
            note=REQUIRED,
            note_label=gettext_lazy("办理结果"),
            note_message=gettext_lazy("请填写办理结果"),
            photos=True,
            apply=_resolve,
            notify=_tell_resolved,
        ),
        Step(
            "follow_up",
            gettext_lazy("回访"),
            sources=(S.RESOLVED, S.CLOSED),
            rule=CHANGE,
            fields=("satisfaction", "method"),
            note_label=gettext_lazy("回访意见"),
            check=_check_follow_up,
            apply=_follow_up,
        ),
        Step(
            "close",
            gettext_lazy("关闭"),
            sources=(S.RESOLVED,),
            target=S.CLOSED,
            rule=may("approve"),
            apply=lambda ctx: setattr(ctx.obj, "closed_at", ctx.now),
        ),
        Step(
            "reject",
            gettext_lazy("不予受理"),
            sources=(S.REPORTED, S.ACCEPTED),
            target=S.REJECTED,
            rule=ASSIGN,
            note=REQUIRED,
            note_label=_REASON,
            note_message=gettext_lazy("请填写不予受理的理由"),
            danger=True,
            apply=lambda ctx: setattr(ctx.obj, "closed_at", ctx.now),
            notify=_tell_rejected,
        ),
        Step(
            "merge",
            gettext_lazy("合并"),
            sources=OPEN,
            target=S.MERGED,
            rule=all_of(ASSIGN, CHANGE),
            fields=("into",),
            danger=True,
            check=_check_merge,
            apply=_merge,
            notify=_tell_merged,
        ),
        Step("merged_in", gettext_lazy("并入事件")),
        Step(
            "suspend",
            gettext_lazy("挂起"),
            sources=(S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS),
            target=S.SUSPENDED,
            rule=HANDLE,
            note=REQUIRED,
            note_label=_REASON,
            note_message=gettext_lazy("请填写挂起理由"),
            apply=_suspend,
        ),
        Step("resume", gettext_lazy("恢复办理"), sources=(S.SUSPENDED,), rule=HANDLE, apply=_resume),
        Step(
            "reopen",
            gettext_lazy("重新办理"),
            sources=(S.RESOLVED, S.CLOSED),
            rule=any_of(reporter, may("approve")),
            note=REQUIRED,
            note_label=_REASON,
            note_message=gettext_lazy("请填写重新办理的理由"),
            apply=_reopen,
            notify=_tell_reopened,
        ),
        Step("remind", gettext_lazy("到期提醒")),
        Step("escalate", gettext_lazy("超期督办")),
    ),
    describe=lambda case: _("事件 %(n)s") % {"n": case.number},
    on_save=_status_note,
    timeline=_timeline,
)
