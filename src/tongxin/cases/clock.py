"""The clock of cases: reminders before a case falls due and escalation (督办) after, one level at a time.

The worker runs :func:`tick` every minute (a periodic job the cases module declares); ``tongxin cases-tick`` runs
it once. Both steps are system steps of the cases workflow (one change-log entry and one timeline row each).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongxin.cases.models import Case
from tongxin.cases.workflow import WORKFLOW, staff, tell
from tongxin.core import audit
from tongxin.core.calendar import calendar_for


def tick(now: datetime.datetime | None = None) -> dict[str, int]:
    """Remind assignees before cases fall due and escalate overdue ones one level up (the worker runs this
    every minute; ``tongxin cases-tick`` runs it once). Idempotent: each step happens once per case."""
    now = now or timezone.now()
    counts = {"reminded": 0, "escalated_community": 0, "escalated_street": 0}
    running = Case.RUNNING_STATUSES
    base = Case.objects.filter(status__in=running).select_related("community", "category", "assignee")
    remind_window = datetime.timedelta(hours=max(settings.CASE_REMIND_HOURS, 0) * 3)  # coarse pre-filter
    with audit.audit_context(source="task"):
        for case in base.filter(reminded_at__isnull=True, assignee__isnull=False, due_at__gt=now).filter(
            due_at__lte=now + remind_window + datetime.timedelta(days=4)
        ):
            cal = calendar_for(case.community)
            if cal.working_time_between(now, case.due_at) <= datetime.timedelta(hours=settings.CASE_REMIND_HOURS):
                with transaction.atomic():
                    WORKFLOW.lock(case)
                    if case.status not in running or case.reminded_at is not None:
                        continue
                    WORKFLOW.system_step(
                        case, "remind", now=now, apply=lambda ctx: setattr(ctx.obj, "reminded_at", now)
                    )
                msg = _("事件 %(n)s 将于 %(d)s 到期") % {
                    "n": case.number,
                    "d": timezone.localtime(case.due_at).strftime("%m-%d %H:%M"),
                }
                tell([case.assignee], "case_due_soon", msg, case)
                counts["reminded"] += 1
        for case in base.filter(due_at__lte=now, level__lt=Case.Level.STREET):
            level = Case.Level.COMMUNITY
            if case.level >= Case.Level.COMMUNITY:
                overdue = calendar_for(case.community).working_time_between(case.due_at, now)
                if overdue < datetime.timedelta(hours=settings.CASE_STREET_ESCALATION_HOURS):
                    continue
                level = Case.Level.STREET
            if escalate(case, level, now) is not None:
                counts["escalated_street" if level == Case.Level.STREET else "escalated_community"] += 1
    return counts


def escalate(case: Case, level: int, now: datetime.datetime | None = None) -> Case | None:
    """Raise an overdue case to ``level`` (督办): flag it and notify the people who answer there."""
    now = now or timezone.now()
    with transaction.atomic():
        WORKFLOW.lock(case)
        if case.status not in Case.RUNNING_STATUSES or case.level >= level:
            return None  # resolved or escalated by someone else meanwhile
        label = Case.Level(level).label
        note = _("已超过办结时限（%(d)s），%(l)s") % {
            "d": timezone.localtime(case.due_at).strftime("%m-%d %H:%M"),
            "l": label,
        }
        WORKFLOW.system_step(case, "escalate", note=str(note), now=now, apply=lambda ctx: _raise(ctx.obj, level, now))
    msg = _("【%(l)s】事件 %(n)s 已超期：%(t)s") % {"l": label, "n": case.number, "t": case.title}
    tell([*staff(case, level), case.assignee], "case_overdue", msg, case)
    return case


def _raise(case: Case, level: int, now: datetime.datetime) -> None:
    """The escalation's changes: the level and when it was reached."""
    case.level, case.escalated_at = level, now
