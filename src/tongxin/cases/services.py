"""Workflow of cases. Every step is one function that checks the permission, runs in a transaction, writes
the case's timeline step and its change-log entry, and notifies the people concerned (DESIGN rule 3).

reported → accepted → assigned → in progress → resolved → closed, plus rejected, merged, suspended (the
clock stops) and reopened (the clock restarts under the category's rule). Deadlines come from the
community's official calendar (:func:`tongxin.core.calendar.calendar_for`).
"""

from __future__ import annotations

import datetime
import decimal
import math
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongxin.cases.models import Attachment, Case, CaseStep, Category, Dispute, FollowUp
from tongxin.core import audit, scoping
from tongxin.core.calendar import calendar_for
from tongxin.core.notify import notify
from tongxin.org.models import Division, Grid, RoleAssignment

S = Case.Status

STEP_LABELS = {
    "report": gettext_lazy("上报"),
    "accept": gettext_lazy("受理"),
    "assign": gettext_lazy("分派"),
    "start": gettext_lazy("开始办理"),
    "progress": gettext_lazy("办理进展"),
    "resolve": gettext_lazy("办结"),
    "close": gettext_lazy("关闭"),
    "reject": gettext_lazy("不予受理"),
    "merge": gettext_lazy("合并"),
    "merged_in": gettext_lazy("并入事件"),
    "suspend": gettext_lazy("挂起"),
    "resume": gettext_lazy("恢复办理"),
    "reopen": gettext_lazy("重新办理"),
    "remind": gettext_lazy("到期提醒"),
    "escalate": gettext_lazy("超期督办"),
    "follow_up": gettext_lazy("回访"),
}

#: which steps are allowed from which statuses
ALLOWED_FROM: dict[str, tuple[str, ...]] = {
    "accept": (S.REPORTED,),
    "assign": (S.REPORTED, S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS),
    "start": (S.ASSIGNED, S.ACCEPTED),
    "progress": (S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS),
    "resolve": (S.REPORTED, S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS),  # a walk-in answered on the spot
    "close": (S.RESOLVED,),
    "reject": (S.REPORTED, S.ACCEPTED),
    "merge": (S.REPORTED, S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS),
    "suspend": (S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS),
    "resume": (S.SUSPENDED,),
    "reopen": (S.RESOLVED, S.CLOSED),
    "follow_up": (S.RESOLVED, S.CLOSED),
}


# -- deadlines ------------------------------------------------------------------------------------------


def due_for(category: Category, community: Division, start: datetime.datetime) -> datetime.datetime:
    """When a case of ``category`` started at ``start`` is due, on the community's calendar."""
    return calendar_for(community).due_at(start, category.rule, category.amount)


def categories_for(community: Division | None) -> QuerySet:
    """The categories in force in a community: its own rows, and the defaults it has not overridden."""
    qs = Category.objects.filter(active=True)
    if community is None:
        return qs.filter(community__isnull=True)
    own = Category.objects.filter(community=community, active=True).values_list("code", flat=True)
    return qs.filter(Q(community=community) | (Q(community__isnull=True) & ~Q(code__in=own))).order_by("sort", "code")


# -- helpers ----------------------------------------------------------------------------------------------


def _require(user: Any, case: Case, action: str) -> None:
    if not scoping.can(user, case, action):
        raise PermissionDenied


def _lock(case: Case) -> None:
    """Lock the case's row and reload it, so that a step never overwrites what another request or the clock
    wrote since the caller loaded it (e.g. an escalation)."""
    Case.objects.select_for_update().filter(pk=case.pk).values_list("pk", flat=True).first()
    case.refresh_from_db()


def _check_from(case: Case, step: str) -> None:
    if case.status not in ALLOWED_FROM[step]:
        raise ValidationError(
            _("事件 %(n)s 当前状态为“%(s)s”，不能%(step)s")
            % {"n": case.number, "s": case.get_status_display(), "step": STEP_LABELS[step]}
        )


def _may_handle(user: Any, case: Case) -> bool:
    """The assignee, or whoever may assign the case, may work on it."""
    return case.assignee_id == getattr(user, "pk", None) or scoping.can(user, case, "assign")


def can_handle_in(user: Any, community: Division) -> bool:
    """Whether ``user`` may work on cases in ``community`` (a role there, above it, or on one of its grids)."""
    return scoping.allowed_divisions(user, Case, "change").filter(pk=community.pk).exists()


def _name(user: Any) -> str:
    return getattr(user, "display_name", "") if user is not None else ""


def _step(
    case: Case,
    user: Any,
    step: str,
    from_status: str,
    note: str = "",
    *,
    pre: dict | None = None,
    save: bool = True,
    files: Sequence[UploadedFile] = (),
    now: datetime.datetime | None = None,
) -> CaseStep:
    """Save the case as a workflow step (one change-log entry), add the timeline row and its photos."""
    if save:
        case.status_note = (note or "")[:500]
        audit.save_step(case, step, note, pre=pre)
    row = CaseStep.objects.create(
        case=case,
        time=now or timezone.now(),
        step=step,
        actor=user if getattr(user, "is_authenticated", False) else None,
        actor_name=_name(user),
        from_status=from_status,
        to_status=case.status,
        assignee=case.assignee,
        note=note,
    )
    for f in files:
        add_attachment(case, f, user, step=row)
    return row


def _staff(case: Case, level: int) -> list[Any]:
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


def _responsible(case: Case) -> list[Any]:
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


def _tell(users: Iterable[Any], kind: str, message: str, case: Case, *, skip: Any = None) -> None:
    notify([u for u in users if u is not None and u != skip], kind, message, obj=case)


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
def report(user: Any, *, files: Sequence[UploadedFile] = (), persons: Iterable[Any] = (), **fields: Any) -> Case:
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
                _step(case, user, "report", "", fields.get("description", "")[:200], save=False, files=files)
            break
        except IntegrityError:
            if attempt == 4:
                raise
    msg = _("新事件 %(n)s：%(t)s") % {"n": case.number, "t": case.title}
    _tell([*_staff(case, 1), *_responsible(case)], "case_new", msg, case, skip=user)
    return case


ALLOWED_TYPES = {
    "image/jpeg": Attachment.Kind.PHOTO,
    "image/png": Attachment.Kind.PHOTO,
    "image/webp": Attachment.Kind.PHOTO,
    "image/heic": Attachment.Kind.PHOTO,
    "application/pdf": Attachment.Kind.DOCUMENT,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": Attachment.Kind.DOCUMENT,
    "application/msword": Attachment.Kind.DOCUMENT,
}
_MAGIC = {
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG": "image/png",
    b"%PDF": "application/pdf",
    b"PK\x03\x04": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    b"\xd0\xcf\x11\xe0": "application/msword",
}


def sniff(head: bytes) -> str:
    """The real type of a file from its first bytes (the browser's claim is not trusted)."""
    for magic, kind in _MAGIC.items():
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
        return "image/heic"
    return ""


def check_upload(f: UploadedFile) -> str:
    """The content type of an acceptable upload; ValidationError naming the file otherwise."""
    limit = settings.CASE_UPLOAD_MAX_MB * 1024 * 1024
    if f.size > limit:
        raise ValidationError(
            _("文件“%(f)s”大小 %(s).1f MB，超过上限 %(m)s MB")
            % {"f": f.name, "s": f.size / 1048576, "m": settings.CASE_UPLOAD_MAX_MB}
        )
    f.seek(0)
    kind = sniff(f.read(16))
    f.seek(0)
    if kind == "application/vnd.openxmlformats-officedocument.wordprocessingml.document" and not _is_docx(f):
        kind = ""
    if kind not in ALLOWED_TYPES:
        raise ValidationError(
            _("文件“%(f)s”的类型不支持：只能上传 JPG、PNG、WEBP、HEIC 照片或 PDF、Word 文件") % {"f": f.name}
        )
    return kind


def _is_docx(f: UploadedFile) -> bool:
    """A ZIP file is a Word document only if it holds word/document.xml."""
    import zipfile

    try:
        with zipfile.ZipFile(f) as z:
            return "word/document.xml" in z.namelist()
    except zipfile.BadZipFile:
        return False
    finally:
        f.seek(0)


def add_attachment(case: Case, f: UploadedFile, user: Any, step: CaseStep | None = None) -> Attachment:
    """Store a checked upload with a thumbnail for photos."""
    kind = check_upload(f)
    att = Attachment(
        case=case,
        step=step,
        kind=ALLOWED_TYPES[kind],
        name=f.name[:200],
        content_type=kind,
        size=f.size,
        uploaded_by=user if getattr(user, "is_authenticated", False) else None,
    )
    att.file.save(f.name, f, save=False)
    if att.kind == Attachment.Kind.PHOTO:
        thumb = _thumbnail(f)
        if thumb is not None:
            att.thumbnail.save("thumb.jpg", thumb, save=False)
    att.save()
    return att


def _thumbnail(f: UploadedFile) -> Any:
    """A 320-pixel JPEG of a photo (None if the image cannot be decoded, e.g. HEIC without a codec)."""
    import io

    from django.core.files.base import ContentFile
    from PIL import Image, ImageOps, UnidentifiedImageError

    f.seek(0)
    try:
        with Image.open(f) as img:
            img = ImageOps.exif_transpose(img)
            img.thumbnail((320, 320))
            out = io.BytesIO()
            img.convert("RGB").save(out, "JPEG", quality=80)
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    finally:
        f.seek(0)
    return ContentFile(out.getvalue())


# -- the workflow -----------------------------------------------------------------------------------------


@audit.actor_step
def accept(user: Any, case: Case, note: str = "") -> Case:
    """Accept a reported case (受理)."""
    _require(user, case, "assign")
    with transaction.atomic():
        _lock(case)
        _check_from(case, "accept")
        pre, old = audit.serialize(case), case.status
        case.status, case.accepted_at = S.ACCEPTED, timezone.now()
        _step(case, user, "accept", old, note, pre=pre)
    return case


@audit.actor_step
def assign(user: Any, case: Case, assignee: Any, note: str = "") -> Case:
    """Give the case to ``assignee`` (分派, or 改派 when it already has one); accepts it on the way."""
    _require(user, case, "assign")
    if not can_handle_in(assignee, case.community):
        raise ValidationError(_("“%(u)s”无权办理事件 %(n)s（不在其管辖范围）") % {"u": assignee, "n": case.number})
    with transaction.atomic():
        _lock(case)
        _check_from(case, "assign")
        pre, old = audit.serialize(case), case.status
        previous = case.assignee
        now = timezone.now()
        case.assignee = assignee
        case.accepted_at = case.accepted_at or now
        case.assigned_at = now
        case.reminded_at = None
        if case.status in (S.REPORTED, S.ACCEPTED):
            case.status = S.ASSIGNED
        _step(case, user, "assign", old, note, pre=pre)
    msg = _("事件 %(n)s 已分派给您，请在 %(d)s 前办结") % {
        "n": case.number,
        "d": timezone.localtime(case.due_at).strftime("%m-%d %H:%M"),
    }
    _tell([assignee], "case_assigned", msg, case, skip=user)
    if previous is not None and previous != assignee:
        _tell([previous], "case_reassigned", _("事件 %(n)s 已改派他人") % {"n": case.number}, case, skip=user)
    return case


def bulk_assign(user: Any, cases: Iterable[Case], assignee: Any, note: str = "") -> tuple[int, list[str]]:
    """Assign many cases; returns (how many, messages for those that could not be assigned)."""
    done, errors = 0, []
    for case in cases:
        try:
            assign(user, case, assignee, note)
            done += 1
        except (ValidationError, PermissionDenied) as exc:
            errors.append(f"{case.number}：{'；'.join(getattr(exc, 'messages', [_('没有权限')]))}")
    return done, errors


@audit.actor_step
def start(user: Any, case: Case, note: str = "") -> Case:
    """The assignee starts working on it (开始办理)."""
    _require(user, case, "change")
    if not _may_handle(user, case):
        raise PermissionDenied
    with transaction.atomic():
        _lock(case)
        _check_from(case, "start")
        pre, old = audit.serialize(case), case.status
        case.status = S.IN_PROGRESS
        _step(case, user, "start", old, note, pre=pre)
    return case


@audit.actor_step
def progress(user: Any, case: Case, note: str, files: Sequence[UploadedFile] = ()) -> CaseStep:
    """Record progress (办理进展) with optional photos; the status does not change."""
    _require(user, case, "change")
    if not note and not files:
        raise ValidationError({"note": _("请填写办理进展或上传照片")})
    with transaction.atomic():
        _lock(case)
        _check_from(case, "progress")
        pre = audit.serialize(case)
        return _step(case, user, "progress", case.status, note, pre=pre, files=files)


@audit.actor_step
def resolve(user: Any, case: Case, resolution: str, files: Sequence[UploadedFile] = ()) -> Case:
    """Resolve the case (办结) with the result and optional photos; records whether it was on time and the
    working time it took (suspensions excluded). The reporter and the dispatchers are told."""
    _require(user, case, "change")
    if not _may_handle(user, case):
        raise PermissionDenied
    if not resolution.strip():
        raise ValidationError({"resolution": _("请填写办理结果")})
    with transaction.atomic():
        _lock(case)
        _check_from(case, "resolve")
        pre, old = audit.serialize(case), case.status
        now = timezone.now()
        case.status, case.resolved_at, case.resolution = S.RESOLVED, now, resolution
        case.accepted_at = case.accepted_at or now
        case.on_time = now <= case.due_at
        worked = calendar_for(case.community).working_time_between(case.reported_at, now)
        case.work_minutes = max(0, int(worked.total_seconds() // 60) - case.suspended_minutes)
        _step(case, user, "resolve", old, resolution, pre=pre, files=files)
    msg = _("事件 %(n)s 已办结") % {"n": case.number}
    _tell([case.reporter_user, *_staff(case, 1)], "case_resolved", msg, case, skip=user)
    return case


@audit.actor_step
def close(user: Any, case: Case, note: str = "") -> Case:
    """Close a resolved case after review (审核关闭)."""
    _require(user, case, "approve")
    with transaction.atomic():
        _lock(case)
        _check_from(case, "close")
        pre, old = audit.serialize(case), case.status
        case.status, case.closed_at = S.CLOSED, timezone.now()
        _step(case, user, "close", old, note, pre=pre)
    return case


@audit.actor_step
def reject(user: Any, case: Case, reason: str) -> Case:
    """Decline a case with a reason (不予受理: not ours, not a real problem, duplicate by phone …)."""
    _require(user, case, "assign")
    if not reason.strip():
        raise ValidationError({"reason": _("请填写不予受理的理由")})
    with transaction.atomic():
        _lock(case)
        _check_from(case, "reject")
        pre, old = audit.serialize(case), case.status
        case.status, case.closed_at = S.REJECTED, timezone.now()
        _step(case, user, "reject", old, reason, pre=pre)
    _tell(
        [case.reporter_user], "case_rejected", _("事件 %(n)s 不予受理：%(r)s") % {"n": case.number, "r": reason}, case
    )
    return case


@audit.actor_step
def merge(user: Any, case: Case, into: Case, note: str = "") -> Case:
    """Merge a duplicate into another open case: both keep their histories; the duplicate's persons and
    photos are linked to the surviving case, and its reporter hears of it."""
    _require(user, case, "assign")
    _require(user, into, "change")
    if case.pk == into.pk:
        raise ValidationError(_("不能把事件合并到自己"))
    if into.status not in Case.OPEN_STATUSES:
        raise ValidationError(
            _("只能并入未办结的事件，%(n)s 已%(s)s") % {"n": into.number, "s": into.get_status_display()}
        )
    if into.community_id != case.community_id:
        raise ValidationError(_("只能合并同一社区的事件"))
    with transaction.atomic():
        _lock(case)
        _check_from(case, "merge")
        pre, old = audit.serialize(case), case.status
        case.status, case.merged_into, case.closed_at = S.MERGED, into, timezone.now()
        text = note or _("并入事件 %(n)s") % {"n": into.number}
        _step(case, user, "merge", old, text, pre=pre)
        _lock(into)
        if into.status not in Case.OPEN_STATUSES:
            raise ValidationError(_("事件 %(n)s 已办结，不能并入") % {"n": into.number})
        into_pre = audit.serialize(into)
        into.persons.add(*case.persons.all())
        for att in Attachment.objects.filter(case=case):  # saved one by one: each move is change-logged
            att.case = into
            att.save(update_fields=["case", "last_updated"])
        _step(into, user, "merged_in", into.status, _("事件 %(n)s 并入本事件") % {"n": case.number}, pre=into_pre)
    _tell(
        [case.reporter_user], "case_merged", _("事件 %(n)s 已并入 %(m)s") % {"n": case.number, "m": into.number}, case
    )
    return case


@audit.actor_step
def suspend(user: Any, case: Case, reason: str) -> Case:
    """Stop the clock (挂起) with a reason, e.g. waiting for the owner to come back; resume restarts it."""
    _require(user, case, "change")
    if not _may_handle(user, case):
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError({"reason": _("请填写挂起理由")})
    with transaction.atomic():
        _lock(case)
        _check_from(case, "suspend")
        pre, old = audit.serialize(case), case.status
        case.suspended_status, case.status, case.suspended_at = old, S.SUSPENDED, timezone.now()
        _step(case, user, "suspend", old, reason, pre=pre)
    return case


@audit.actor_step
def resume(user: Any, case: Case, note: str = "") -> Case:
    """Restart the clock: the case gets back the time that was left when it was suspended."""
    _require(user, case, "change")
    if not _may_handle(user, case):
        raise PermissionDenied
    with transaction.atomic():
        _lock(case)
        _check_from(case, "resume")
        pre = audit.serialize(case)
        now = timezone.now()
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
        _step(case, user, "resume", S.SUSPENDED, note, pre=pre)
    return case


@audit.actor_step
def reopen(user: Any, case: Case, reason: str) -> Case:
    """Reopen a resolved or closed case on the reporter's or a director's objection: the clock restarts
    under the category's rule, escalation starts over, the assignee is told."""
    is_reporter = case.reporter_user_id is not None and case.reporter_user_id == getattr(user, "pk", None)
    if not (is_reporter and scoping.can(user, case, "view")) and not scoping.can(user, case, "approve"):
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError({"reason": _("请填写重新办理的理由")})
    with transaction.atomic():
        _lock(case)
        _check_from(case, "reopen")
        pre, old = audit.serialize(case), case.status
        now = timezone.now()
        case.status = S.ASSIGNED if case.assignee_id else S.ACCEPTED
        case.due_at = due_for(case.category, case.community, now)
        case.resolved_at = case.closed_at = case.on_time = case.work_minutes = case.satisfaction = None
        case.level, case.escalated_at, case.reminded_at = Case.Level.GRID, None, None
        case.reopen_count += 1
        _step(case, user, "reopen", old, reason, pre=pre)
    _tell(
        [case.assignee], "case_reopened", _("事件 %(n)s 被要求重新办理：%(r)s") % {"n": case.number, "r": reason}, case
    )
    return case


@audit.actor_step
def follow_up(user: Any, case: Case, satisfaction: int, comments: str = "", method: str = "phone") -> FollowUp:
    """Record a follow-up call or visit (回访) with the reporter's satisfaction (1–5)."""
    _require(user, case, "change")
    if method not in FollowUp.Method.values:
        raise ValidationError({"method": _("回访方式“%(v)s”无效") % {"v": method}})
    if not 1 <= int(satisfaction) <= 5:
        raise ValidationError({"satisfaction": _("满意度应为 1–5，收到“%(v)s”") % {"v": satisfaction}})
    with transaction.atomic():
        _lock(case)
        _check_from(case, "follow_up")
        pre = audit.serialize(case)
        row = FollowUp.objects.create(case=case, satisfaction=satisfaction, comments=comments, method=method, by=user)
        case.satisfaction = int(satisfaction)
        text = _("满意度 %(s)s") % {"s": satisfaction} + (f"：{comments}" if comments else "")
        _step(case, user, "follow_up", case.status, text, pre=pre)
    return row


def take_step(
    user: Any,
    case: Case,
    step: str,
    *,
    note: str = "",
    assignee: Any = None,
    into: str = "",
    satisfaction: int | None = None,
    method: str = "",
    files: Sequence[UploadedFile] = (),
) -> None:
    """Take the named step with the fields a form or an API body gave (the case page's buttons, the API's
    ``POST /cases/{pk}/{step}/``): the one mapping from a step's name to its service function."""
    if step == "accept":
        accept(user, case, note)
    elif step == "assign":
        if assignee is None:
            raise ValidationError({"assignee": [_("请选择承办人")]})
        assign(user, case, assignee, note)
    elif step == "start":
        start(user, case, note)
    elif step == "progress":
        progress(user, case, note, files)
    elif step == "resolve":
        resolve(user, case, note, files)
    elif step == "close":
        close(user, case, note)
    elif step == "reject":
        reject(user, case, note)
    elif step == "merge":
        number = (into or "").strip()
        target = scoping.restrict(Case.objects.all(), user, "change").filter(number=number).first()
        if target is None:
            raise ValidationError({"into": [_("未找到编号为“%(n)s”的事件（或无权办理）") % {"n": number}]})
        merge(user, case, target, note)
    elif step == "suspend":
        suspend(user, case, note)
    elif step == "resume":
        resume(user, case, note)
    elif step == "reopen":
        reopen(user, case, note)
    elif step == "follow_up":
        if not satisfaction:
            raise ValidationError({"satisfaction": [_("请选择满意度")]})
        follow_up(user, case, satisfaction, note, method or FollowUp.Method.PHONE)
    else:
        raise ValidationError(_("未知的办理步骤“%(s)s”") % {"s": step})


# -- the clock: reminders and escalation ----------------------------------------------------------------------


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
                    _lock(case)
                    if case.status not in running or case.reminded_at is not None:
                        continue
                    pre = audit.serialize(case)
                    case.reminded_at = now
                    audit.save_step(case, "remind", pre=pre)
                    _step(case, None, "remind", case.status, "", save=False, now=now)
                msg = _("事件 %(n)s 将于 %(d)s 到期") % {
                    "n": case.number,
                    "d": timezone.localtime(case.due_at).strftime("%m-%d %H:%M"),
                }
                _tell([case.assignee], "case_due_soon", msg, case)
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
        _lock(case)
        if case.status not in Case.RUNNING_STATUSES or case.level >= level:
            return None  # resolved or escalated by someone else meanwhile
        pre = audit.serialize(case)
        case.level, case.escalated_at = level, now
        label = Case.Level(level).label
        note = _("已超过办结时限（%(d)s），%(l)s") % {
            "d": timezone.localtime(case.due_at).strftime("%m-%d %H:%M"),
            "l": label,
        }
        audit.save_step(case, "escalate", str(note), pre=pre)
        _step(case, None, "escalate", case.status, str(note), save=False, now=now)
    msg = _("【%(l)s】事件 %(n)s 已超期：%(t)s") % {"l": label, "n": case.number, "t": case.title}
    _tell([*_staff(case, level), case.assignee], "case_overdue", msg, case)
    return case


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
    user: Any = None,
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
            dist = distance_m(latitude, longitude, float(case.latitude), float(case.longitude))
            if dist > radius_m and case.address.strip() != address:
                continue
        out.append((case, dist))
    out.sort(key=lambda pair: (pair[1] is None, pair[1] or 0))
    return out[:10]


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    r = 6_371_000
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def grid_for(community: Division, latitude: float | None, longitude: float | None) -> Grid | None:
    """The grid of the community whose boundary contains the point (None without one)."""
    if latitude is None or longitude is None:
        return None
    for grid in Grid.objects.filter(community=community, boundary__isnull=False):
        if _contains(grid.boundary, float(longitude), float(latitude)):
            return grid
    return None


def _contains(geojson: Any, x: float, y: float) -> bool:
    """Point in a GeoJSON Polygon/MultiPolygon (ray casting on the outer rings, holes excluded)."""
    geom = geojson.get("geometry", geojson) if isinstance(geojson, dict) else None
    if not geom:
        return False
    polys = [geom["coordinates"]] if geom.get("type") == "Polygon" else geom.get("coordinates", [])
    return any(rings and _in_ring(rings[0], x, y) and not any(_in_ring(h, x, y) for h in rings[1:]) for rings in polys)


def _in_ring(ring: Sequence[Sequence[float]], x: float, y: float) -> bool:
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / ((yj - yi) or 1e-12) + xi:
            inside = not inside
        j = i
    return inside
