"""Services of cases: reporting a case, the workflow's steps as functions (each a row of the table in
:mod:`tongxin.cases.workflow`, taken by :mod:`tongxin.core.workflow`), the director's board and the search for
duplicates nearby. The clock is :mod:`tongxin.cases.clock`, photos and files :mod:`tongxin.cases.attachments`.
"""

from __future__ import annotations

import datetime
import decimal
import math
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tongxin.cases.models import Case, CaseStep, Category, Dispute, FollowUp
from tongxin.cases.workflow import WORKFLOW, due_for, responsible, staff, tell
from tongxin.core import audit, geo, scoping
from tongxin.core.models import Actor
from tongxin.core.workflow import Context
from tongxin.org.models import Division, Grid

S = Case.Status


def categories_for(community: Division | None) -> QuerySet:
    """The categories in force in a community: its own rows, and the defaults it has not overridden."""
    qs = Category.objects.filter(active=True)
    if community is None:
        return qs.filter(community__isnull=True)
    own = Category.objects.filter(community=community, active=True).values_list("code", flat=True)
    return qs.filter(Q(community=community) | (Q(community__isnull=True) & ~Q(code__in=own))).order_by("sort", "code")


# -- reporting --------------------------------------------------------------------------------------------


def next_number(today: datetime.date | None = None) -> str:
    """The next case number: the date and a sequence of the day (2026092400012)."""
    today = today or timezone.localdate()
    prefix = f"{today:%Y%m%d}"
    last = Case.objects.filter(number__startswith=prefix).order_by("-number").values_list("number", flat=True).first()
    seq = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{seq:05d}"


def report_errors(
    community: Division | None, category: Category | None, grid: Grid | None, reported_at: datetime.datetime | None
) -> dict[str, str]:
    """Why a case cannot be reported like this, per field: a grid or category of another community, a time in
    the future. The forms show these beside their fields; :func:`report` refuses with them."""
    errors: dict[str, str] = {}
    if community is not None and grid is not None and grid.community_id != community.pk:
        errors["grid"] = _("网格“%(g)s”不属于%(c)s") % {"g": grid, "c": community}
    if community is not None and category is not None and category.community_id not in (None, community.pk):
        errors["category"] = _("分类“%(c)s”不适用于%(d)s") % {"c": category, "d": community}
    if reported_at is not None and reported_at > timezone.now() + datetime.timedelta(minutes=5):
        errors["reported_at"] = _("上报时间不能晚于现在")
    return errors


@audit.actor_step
def report(user: Actor, *, files: Sequence[UploadedFile] = (), persons: Iterable[Any] = (), **fields: Any) -> Case:
    """Register a new case (上报). ``fields`` are Case fields: community and category are required,
    ``reported_at`` may lie in the past (cases copied from paper logs) but not in the future.

    The due time follows the category's rule from ``reported_at``; the grid's community is checked; the
    reporter may only report where they may add cases. The community's dispatchers are notified."""
    reported_at = fields.get("reported_at") or timezone.now()
    fields["reported_at"] = reported_at
    community = fields["community"]
    category = fields["category"]
    errors = report_errors(community, category, fields.get("grid"), reported_at)
    if errors:
        raise ValidationError(errors)
    for key in ("latitude", "longitude"):
        if fields.get(key) is not None:
            fields[key] = decimal.Decimal(str(round(float(fields[key]), 6)))
    fields.setdefault("priority", category.priority)
    fields.setdefault("kind", category.kind)
    if not fields.get("title"):
        lines = (fields.get("description") or "").strip().splitlines()
        fields["title"] = (lines[0].strip()[:40] if lines else "") or str(category)
    if fields.get("reporter_user") is None and getattr(user, "is_authenticated", False):
        fields["reporter_user"] = user
    for attempt in range(5):
        try:
            with transaction.atomic():
                case = Case(
                    number=next_number(), due_at=due_for(category, community, reported_at), status=S.REPORTED, **fields
                )
                case.full_clean(exclude=["number"])
                audit.save_step(case, "report")
                if persons:
                    case.persons.set(list(persons))
                if not scoping.can(user, case, "add"):
                    raise PermissionDenied
                if case.kind == Case.Kind.DISPUTE:
                    Dispute.objects.create(case=case, community=community)
                note = fields.get("description", "")[:200]
                WORKFLOW.timeline(Context(user, case, WORKFLOW.get("report"), note, files, {}, timezone.now()))
            break
        except IntegrityError:
            if attempt == 4:
                raise
    msg = _("新事件 %(n)s：%(t)s") % {"n": case.number, "t": case.title}
    tell([*staff(case, 1), *responsible(case)], "case_new", msg, case, skip=user)
    return case


# -- the workflow: each step is a row of cases.workflow.WORKFLOW, taken by core.workflow -----------------------------


def accept(user: Actor, case: Case, note: str = "") -> Case:
    """Accept a reported case (受理)."""
    return WORKFLOW.take(user, case, "accept", note=note).obj


def assign(user: Actor, case: Case, assignee: Any, note: str = "") -> Case:
    """Give the case to ``assignee`` (分派, or 改派 when it already has one); accepts it on the way."""
    return WORKFLOW.take(user, case, "assign", note=note, assignee=assignee).obj


def bulk_assign(user: Actor, cases: Iterable[Case], assignee: Any, note: str = "") -> tuple[int, list[str]]:
    """Assign many cases; returns (how many, messages for those that could not be assigned)."""
    done, errors = 0, []
    for case in cases:
        try:
            assign(user, case, assignee, note)
            done += 1
        except (ValidationError, PermissionDenied) as exc:
            errors.append(f"{case.number}：{'；'.join(getattr(exc, 'messages', [_('没有权限')]))}")
    return done, errors


def start(user: Actor, case: Case, note: str = "") -> Case:
    """The assignee starts working on it (开始办理)."""
    return WORKFLOW.take(user, case, "start", note=note).obj


def progress(user: Actor, case: Case, note: str, files: Sequence[UploadedFile] = ()) -> CaseStep:
    """Record progress (办理进展) with optional photos; the status does not change."""
    return WORKFLOW.take(user, case, "progress", note=note, files=files).row


def resolve(user: Actor, case: Case, resolution: str, files: Sequence[UploadedFile] = ()) -> Case:
    """Resolve the case (办结) with the result and optional photos; records whether it was on time and the
    working time it took (suspensions excluded). The reporter and the dispatchers are told."""
    return WORKFLOW.take(user, case, "resolve", note=resolution, files=files).obj


def close(user: Actor, case: Case, note: str = "") -> Case:
    """Close a resolved case after review (审核关闭)."""
    return WORKFLOW.take(user, case, "close", note=note).obj


def reject(user: Actor, case: Case, reason: str) -> Case:
    """Decline a case with a reason (不予受理: not ours, not a real problem, duplicate by phone …)."""
    return WORKFLOW.take(user, case, "reject", note=reason).obj


def merge(user: Actor, case: Case, into: Case, note: str = "") -> Case:
    """Merge a duplicate into another open case: both keep their histories; the duplicate's persons and
    photos are linked to the surviving case, and its reporter hears of it."""
    return WORKFLOW.take(user, case, "merge", note=note, into=into).obj


def suspend(user: Actor, case: Case, reason: str) -> Case:
    """Stop the clock (挂起) with a reason, e.g. waiting for the owner to come back; resume restarts it."""
    return WORKFLOW.take(user, case, "suspend", note=reason).obj


def resume(user: Actor, case: Case, note: str = "") -> Case:
    """Restart the clock: the case gets back the time that was left when it was suspended."""
    return WORKFLOW.take(user, case, "resume", note=note).obj


def reopen(user: Actor, case: Case, reason: str) -> Case:
    """Reopen a resolved or closed case on the reporter's or a director's objection: the clock restarts
    under the category's rule, escalation starts over, the assignee is told."""
    return WORKFLOW.take(user, case, "reopen", note=reason).obj


def follow_up(user: Actor, case: Case, satisfaction: int, comments: str = "", method: str = "phone") -> FollowUp:
    """Record a follow-up call or visit (回访) with the reporter's satisfaction (1–5)."""
    return WORKFLOW.take(user, case, "follow_up", note=comments, satisfaction=satisfaction, method=method).result


# -- the board ----------------------------------------------------------------------------------------------------


def end_of_today(now: datetime.datetime) -> datetime.datetime:
    """Local midnight after ``now``: 今日到期 means due from now until then."""
    tomorrow = timezone.localdate(now) + datetime.timedelta(days=1)
    return datetime.datetime.combine(tomorrow, datetime.time.min, tzinfo=timezone.get_current_timezone())


def board_sections(qs: QuerySet, now: datetime.datetime) -> dict[str, QuerySet]:
    """The director's board over ``qs`` (the cases one may assign): to be assigned, due today, overdue — the
    same sets for the page and the API."""
    running = qs.filter(status__in=Case.RUNNING_STATUSES)
    return {
        "new": qs.filter(status__in=(S.REPORTED, S.ACCEPTED), assignee__isnull=True).order_by("due_at"),
        "today": running.filter(due_at__gte=now, due_at__lt=end_of_today(now)).order_by("due_at"),
        "overdue": running.filter(due_at__lt=now).order_by("due_at"),
    }


# -- duplicates -------------------------------------------------------------------------------------------------


def duplicates(
    community: Division,
    category: Category | None,
    *,
    latitude: float | None = None,
    longitude: float | None = None,
    address: str = "",
    now: datetime.datetime | None = None,
    user: Actor = None,
    radius_m: float = 50,
    days: int = 7,
) -> list[tuple[Case, float | None]]:
    """Open cases that may be the same problem: same category, reported in the last ``days`` days, within
    ``radius_m`` metres or at the same address. Returns (case, distance in metres or None), nearest first."""
    now = now or timezone.now()
    qs = Case.objects.filter(
        community=community, status__in=Case.OPEN_STATUSES, reported_at__gte=now - datetime.timedelta(days=days)
    )
    if category is not None:
        qs = qs.filter(category__code=category.code)
    if user is not None:
        qs = scoping.restrict(qs, user, "view")
    near = Q()
    box = None
    if latitude is not None and longitude is not None:
        dlat = radius_m / 111_320
        dlng = radius_m / (111_320 * max(math.cos(math.radians(latitude)), 0.01))
        box = Q(
            latitude__range=(latitude - dlat, latitude + dlat), longitude__range=(longitude - dlng, longitude + dlng)
        )
        near |= box
    address = (address or "").strip()
    if address:
        near |= Q(address__iexact=address)
    if not near:
        return []
    out: list[tuple[Case, float | None]] = []
    for case in qs.filter(near).select_related("category", "grid")[:50]:
        dist = None
        if latitude is not None and case.latitude is not None:
            dist = geo.distance_m(latitude, longitude, float(case.latitude), float(case.longitude))
            if dist > radius_m and case.address.strip() != address:
                continue
        out.append((case, dist))
    out.sort(key=lambda pair: (pair[1] is None, pair[1] or 0))
    return out[:10]


def grid_for(community: Division, latitude: float | None, longitude: float | None) -> Grid | None:
    """The grid of the community whose boundary contains the point (None without one)."""
    if latitude is None or longitude is None:
        return None
    for grid in Grid.objects.filter(community=community, boundary__isnull=False):
        if geo.contains(grid.boundary, float(longitude), float(latitude)):
            return grid
    return None
