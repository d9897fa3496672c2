"""Care warnings (预警), raised and escalated by the worker (``care.warnings.tick``, hourly; ``tongxin care-tick``
once).

Rules, each raising at most one warning per fact (its ``key``), so that a tick can run any number of times:

* **走访超期** — an active enrolment's last ended visit window had no visit (only the window that ended last:
  a new deployment is not flooded with its history);
* **独居高龄老人长期未联系** — a resident aged 80 or over enrolled as living alone (独居/空巢老人) with no visit
  or call for :data:`NO_CONTACT_DAYS` days;
* **复审到期** — an enrolment's re-check date has come;
* **体检结果异常** — an abnormal health check of a person in a current enrolment (the warning says that it is
  abnormal, not the values: those stay with who may see health data).

A warning is a task for who answers for the enrolment (its responsible cadre, else the first member of its grid),
due :data:`DUE_WORKDAYS` working days later at the close of the day (the community's calendar); one not handled
by then is escalated once to the community's directors. Notifications are sent after commit, like a case's.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tongxin.care import windows
from tongxin.care.models import Enrolment, Warning
from tongxin.core import audit
from tongxin.core.calendar import add_workdays, end_of_workday
from tongxin.core.notify import notify
from tongxin.registry.filters import years_before

NO_CONTACT_DAYS = 35
NO_CONTACT_AGE = 80
DUE_WORKDAYS = 3
#: how recent an abnormal health check must be to raise a warning (older ones were followed up on paper)
HEALTH_DAYS = 60
LIVING_ALONE = "living_alone_elderly"


def _assignee(enrolment: Enrolment) -> Any:
    if enrolment.responsible_id:
        return enrolment.responsible
    grid = enrolment.grid
    return grid.members.order_by("pk").first() if grid is not None else None


def _due(community: Any, now: datetime.datetime) -> datetime.datetime:
    day = add_workdays(timezone.localdate(now), DUE_WORKDAYS, community)
    tz = timezone.get_current_timezone()
    return end_of_workday(datetime.datetime.combine(day, datetime.time(9, 0), tzinfo=tz), community)


def _raise(
    enrolment: Enrolment, kind: str, key: str, message: str, now: datetime.datetime, person: Any = None
) -> Warning | None:
    """The warning of ``key``, made once (None when it already exists)."""
    if Warning.objects.filter(key=key).exists():
        return None
    person = person or enrolment.subject_person
    if person is None:
        return None
    assignee = _assignee(enrolment)
    try:
        with transaction.atomic():
            warning = Warning.objects.create(
                community_id=enrolment.community_id, grid_id=enrolment.grid_id, person=person, enrolment=enrolment,
                kind=kind, key=key, message=message[:200], assignee=assignee, raised_at=now,
                due_at=_due(enrolment.community, now),
            )  # fmt: skip
    except IntegrityError:  # another worker raised it meanwhile
        return None
    notify([assignee], "care_warning", _("关爱预警：%(m)s") % {"m": message}, obj=warning)
    return warning


def tick(now: datetime.datetime | None = None) -> dict[str, int]:
    """Raise the warnings whose facts hold now, and escalate the open ones past their time limit."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    counts = {"missed_visit": 0, "no_contact": 0, "recheck_due": 0, "health": 0, "escalated": 0}
    active = Enrolment.objects.filter(status=Enrolment.Status.ACTIVE, approved_on__isnull=False)
    active = active.select_related("programme", "person", "household__head", "community", "grid", "responsible")
    with audit.audit_context(source="task"):
        _missed_visits(active, today, now, counts)
        _no_contact(active, today, now, counts)
        for e in active.filter(next_recheck__lte=today):
            message = _("%(w)s 的“%(p)s”应于 %(d)s 复审") % {"w": e.subject_person, "p": e.programme,
                                                             "d": e.next_recheck.strftime("%Y-%m-%d")}  # fmt: skip
            if _raise(e, Warning.Kind.RECHECK_DUE, f"recheck:{e.pk}:{e.next_recheck:%Y%m%d}", message, now):
                counts["recheck_due"] += 1
        counts["health"] = _health(today, now)
        counts["escalated"] = _escalate(now)
    return counts


def _missed_visits(active: Any, today: datetime.date, now: datetime.datetime, counts: dict[str, int]) -> None:
    """走访超期: the last window that ended before today, without a visit (the visits of every enrolment read in
    one query)."""
    from tongxin.care.services import days_of, visit_days

    owed = []
    for e in active.exclude(programme__visit_every=""):
        lo, _hi = windows.window_of(e.programme.visit_every, today)
        last_lo, last_hi = windows.window_of(e.programme.visit_every, lo - datetime.timedelta(days=1))
        if e.approved_on <= last_hi:  # enrolled by the end of that window: a visit was owed in it
            owed.append((e, max(last_lo, e.approved_on), last_lo, last_hi))
    if not owed:
        return
    seen = visit_days([(e.person_id, e.household_id) for e, *_ in owed], min(o[1] for o in owed), today)
    for e, first, last_lo, last_hi in owed:
        if any(first <= day <= last_hi for day in days_of(seen, e.person_id, e.household_id)):
            continue
        label = windows.Window(last_lo, last_hi, False, "overdue").label
        message = _("%(w)s（%(p)s）%(l)s 未走访") % {"w": e.subject_person, "p": e.programme, "l": label}
        if _raise(e, Warning.Kind.MISSED_VISIT, f"missed:{e.pk}:{label}", message, now):
            counts["missed_visit"] += 1


def _no_contact(active: Any, today: datetime.date, now: datetime.datetime, counts: dict[str, int]) -> None:
    """独居高龄老人长期未联系: 80 and over, living alone, no visit or call for NO_CONTACT_DAYS days."""
    born_by = years_before(today, NO_CONTACT_AGE)
    alone = active.filter(programme__code=LIVING_ALONE, person__birth_date__lte=born_by)
    alone = alone.annotate(last=Max("person__care_visits__visited_on"))
    since = today - datetime.timedelta(days=NO_CONTACT_DAYS)
    for e in alone.filter(Q(last__isnull=True, approved_on__lte=since) | Q(last__lt=since)):
        last = e.last.strftime("%Y-%m-%d") if e.last else _("无记录")
        message = _("%(w)s 已 %(n)s 天未联系（上次走访：%(l)s）") % {"w": e.person, "n": NO_CONTACT_DAYS, "l": last}
        key = f"nocontact:{e.person_id}:{e.last:%Y%m%d}" if e.last else f"nocontact:{e.person_id}:none"
        if _raise(e, Warning.Kind.NO_CONTACT, key, message, now):
            counts["no_contact"] += 1


def _health(today: datetime.date, now: datetime.datetime) -> int:
    """体检结果异常: an abnormal check of the last :data:`HEALTH_DAYS` days, for whoever answers for the person in
    a current enrolment (the check itself stays with those who may see health data)."""
    from tongxin.care.models import HealthCheck

    made = 0
    recent = HealthCheck.objects.filter(abnormal=True, checked_on__gte=today - datetime.timedelta(days=HEALTH_DAYS))
    for check in recent.select_related("person"):
        enrolment = (
            Enrolment.objects.filter(Q(person=check.person) | Q(household_id=check.person.household_id or 0),
                                     status=Enrolment.Status.ACTIVE)
            .select_related("community", "grid", "responsible", "programme", "person", "household__head")
            .first()
        )  # fmt: skip
        if enrolment is None:
            continue
        message = _("%(w)s %(d)s 体检结果异常，请跟进") % {
            "w": check.person,
            "d": check.checked_on.strftime("%Y-%m-%d"),
        }
        if _raise(enrolment, Warning.Kind.HEALTH, f"health:{check.pk}", message, now, person=check.person):
            made += 1
    return made


def _escalate(now: datetime.datetime) -> int:
    """Open warnings past their time limit go to the community's directors, once."""
    from tongxin.care.workflow import WARNING_WORKFLOW
    from tongxin.org.models import RoleAssignment

    done = 0
    for warning in Warning.objects.filter(status=Warning.Status.OPEN, due_at__lte=now, escalated_at__isnull=True):
        with transaction.atomic():
            WARNING_WORKFLOW.lock(warning)
            if warning.status != Warning.Status.OPEN or warning.escalated_at is not None:
                continue
            WARNING_WORKFLOW.system_step(warning, "escalate", now=now,
                                         apply=lambda ctx: setattr(ctx.obj, "escalated_at", now))  # fmt: skip
        directors = [
            a.user for a in RoleAssignment.objects.filter(division_id=warning.community_id, role__codename="director")
            .select_related("user")
        ]  # fmt: skip
        notify(directors, "care_warning_escalated", _("关爱预警超期未处理：%(m)s") % {"m": warning.message},
               obj=warning)  # fmt: skip
        done += 1
    return done
