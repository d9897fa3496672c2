"""API of the cases module under /api/v1/cases/: categories, cases (the reporter's phone masked), disputes,
mediation sessions, meetings and follow-ups (read only); the workflow steps of a case
(``POST /cases/{pk}/<step>/``), its attachments, timeline and available actions; the caller's task list,
duplicate suggestions, the director's board counts and the timeliness report.

Every write goes through :mod:`tongxin.cases.services` (or the viewset's form, which reports new cases
through ``services.report``), so the API shares the pages' permission checks, timeline and change log
(source "api", set by the middleware).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, ModelSchema, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.orm import create_schema
from pydantic import Field

from tongxin.cases import services
from tongxin.cases.attachments import add_attachment
from tongxin.cases.forms import CaseForm
from tongxin.cases.models import Attachment, Case, CaseStep, Category, FollowUp
from tongxin.cases.views import (
    CaseViewSet,
    CategoryViewSet,
    DisputeViewSet,
    FollowUpViewSet,
    MediationSessionViewSet,
    MeetingViewSet,
)
from tongxin.core import scoping
from tongxin.core.api import ErrorOut, InSchema, crud, invalid, model_schemas, workflow_endpoints
from tongxin.core.api_contract import MAX_ID, ObjectId
from tongxin.core.privacy import masked
from tongxin.org.models import Division

router = Router(tags=["网格事件与诉求"])

S = Case.Status


# -- the viewsets as the API reads them ---------------------------------------------------------------------


class ApiCaseForm(CaseForm):
    """The case form as the API uses it: a new case may leave out ``kind`` and ``priority`` (the category's
    defaults, as on the quick report) and ``source`` (网格巡查)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            for name in ("kind", "source", "priority"):
                self.fields[name].required = False


class CaseApiViewSet(CaseViewSet):
    """Cases as the API lists them: the involved persons prefetched (one query per page, not per row)."""

    form = ApiCaseForm
    prefetch_related = ("persons",)


class DisputeApiViewSet(DisputeViewSet):
    """Disputes with their parties and mediators prefetched."""

    prefetch_related = ("parties", "mediators")


# -- schemas --------------------------------------------------------------------------------------------------

CASE_FIELDS = [
    "id",
    "number",
    "status",
    "kind",
    "source",
    "category",
    "community",
    "grid",
    "title",
    "description",
    "address",
    "priority",
    "involves_ethnic",
    "confidential",
    "anonymous",
    "reporter_user",
    "persons",
    "reported_at",
    "due_at",
    "accepted_at",
    "assigned_at",
    "resolved_at",
    "closed_at",
    "assignee",
    "level",
    "escalated_at",
    "on_time",
    "work_minutes",
    "suspended_minutes",
    "satisfaction",
    "reopen_count",
    "merged_into",
    "resolution",
    "external_ref",
    "meeting",
    "status_note",
    "created",
    "last_updated",
]


class CaseOut(ModelSchema):
    """A case. ``reporter_phone`` is masked (never clear); an anonymous case shows neither the reporter's
    phone nor the resident who reported it. ``overdue``: open, not suspended and past ``due_at``."""

    latitude: float | None = None
    longitude: float | None = None
    reporter: str = ""
    reporter_person: int | None = None
    reporter_phone: str = ""
    overdue: bool = False
    status_label: str = ""
    category_name: str = ""
    community_name: str = ""
    grid_name: str = ""
    assignee_name: str = ""

    class Meta:
        model = Case
        fields = CASE_FIELDS

    @staticmethod
    def resolve_latitude(obj: Case) -> float | None:
        return float(obj.latitude) if obj.latitude is not None else None

    @staticmethod
    def resolve_longitude(obj: Case) -> float | None:
        return float(obj.longitude) if obj.longitude is not None else None

    @staticmethod
    def resolve_reporter(obj: Case) -> str:
        return obj.reporter_display

    @staticmethod
    def resolve_reporter_person(obj: Case) -> int | None:
        return None if obj.anonymous else obj.reporter_person_id

    @staticmethod
    def resolve_reporter_phone(obj: Case) -> str:
        return "" if obj.anonymous else masked(obj, "reporter_phone", obj.reporter_phone) or ""

    @staticmethod
    def resolve_overdue(obj: Case) -> bool:
        return obj.is_overdue()

    @staticmethod
    def resolve_status_label(obj: Case) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_category_name(obj: Case) -> str:
        return obj.category.name

    @staticmethod
    def resolve_community_name(obj: Case) -> str:
        return obj.community.name

    @staticmethod
    def resolve_grid_name(obj: Case) -> str:
        return obj.grid.name if obj.grid_id else ""

    @staticmethod
    def resolve_assignee_name(obj: Case) -> str:
        return obj.assignee.display_name if obj.assignee_id else ""


CaseIn = create_schema(
    Case, name="CaseIn", fields=list(CaseForm.Meta.fields), optional_fields="__all__", base_class=InSchema
)
CategoryOut, CategoryIn = model_schemas(CategoryViewSet, extra_out=("last_updated",))
DisputeOut, DisputeIn = model_schemas(DisputeApiViewSet, extra_out=("last_updated",))
MediationSessionOut, MediationSessionIn = model_schemas(MediationSessionViewSet, extra_out=("last_updated",))
MeetingOut, MeetingIn = model_schemas(MeetingViewSet, extra_out=("last_updated",))


class FollowUpOut(ModelSchema):
    """A follow-up call or visit (recorded with ``POST /cases/{pk}/follow-up/``)."""

    class Meta:
        model = FollowUp
        fields = ["id", "case", "time", "method", "satisfaction", "comments", "by", "created"]


class StepIn(Schema):
    """The fields of a workflow step; each step reads some of them."""

    note: str = Field("", description="说明；办结时为办理结果，不予受理/挂起/重新办理时为理由（必填）")
    assignee: int | None = Field(None, ge=1, le=MAX_ID, description="承办人的用户 id（分派时必填）")
    into: str | None = Field(None, description="并入事件的编号（合并时必填）")
    satisfaction: int | None = Field(None, ge=1, le=5, description="满意度 1–5（回访时必填）")
    method: str | None = Field(None, description="回访方式：phone、visit 或 online（默认 phone）")


class StepOut(Schema):
    """One row of a case's timeline."""

    id: int
    case_number: str
    step: str
    label: str
    time: datetime.datetime
    actor: int | None = None
    actor_name: str
    from_status: str
    to_status: str
    assignee: int | None = None
    assignee_name: str = ""
    note: str
    attachments: list[int]

    @staticmethod
    def resolve_case_number(obj: CaseStep) -> str:
        return obj.case.number

    @staticmethod
    def resolve_label(obj: CaseStep) -> str:
        return obj.step_label

    @staticmethod
    def resolve_actor(obj: CaseStep) -> int | None:
        return obj.actor_id

    @staticmethod
    def resolve_assignee(obj: CaseStep) -> int | None:
        return obj.assignee_id

    @staticmethod
    def resolve_assignee_name(obj: CaseStep) -> str:
        return obj.assignee.display_name if obj.assignee_id else ""

    @staticmethod
    def resolve_attachments(obj: CaseStep) -> list[int]:
        return [f.pk for f in obj.files.all()]


class AttachmentOut(Schema):
    """An uploaded photo or file; ``url`` and ``thumbnail_url`` are served after a scope check."""

    id: int
    case: int
    step: int | None = None
    kind: str
    name: str
    content_type: str
    size: int
    url: str
    thumbnail_url: str | None = None
    uploaded_by: int | None = None
    created: datetime.datetime

    @staticmethod
    def resolve_case(obj: Attachment) -> int:
        return obj.case_id

    @staticmethod
    def resolve_step(obj: Attachment) -> int | None:
        return obj.step_id

    @staticmethod
    def resolve_url(obj: Attachment) -> str:
        return reverse("cases:attachment", args=[obj.pk])

    @staticmethod
    def resolve_thumbnail_url(obj: Attachment) -> str | None:
        return reverse("cases:attachment_thumb", args=[obj.pk]) if obj.thumbnail else None

    @staticmethod
    def resolve_uploaded_by(obj: Attachment) -> int | None:
        return obj.uploaded_by_id


class DuplicateOut(Schema):
    """An open case that may be the same problem, with its distance in metres (None: matched by address)."""

    id: int
    number: str
    title: str
    status: str
    status_label: str
    category: int
    category_name: str
    grid_name: str
    address: str
    latitude: float | None = None
    longitude: float | None = None
    reported_at: datetime.datetime
    due_at: datetime.datetime
    distance_m: float | None = None


class BoardOut(Schema):
    """The director's board: cases to assign, due today, overdue and escalated (open ones, in assign scope)."""

    new: int
    due_today: int
    overdue: int
    escalated: int
    open: int


# -- helpers --------------------------------------------------------------------------------------------------


def _visible_case(request: HttpRequest, pk: int) -> Case:
    """The case if the caller may view it: 403 without the permission at all, 404 outside their scope."""
    if not scoping.has_perm(request.user, Case, "view"):
        raise PermissionDenied
    return scoping.get_scoped_object(CaseApiViewSet.queryset(), request.user, "view", pk=pk)


# -- fixed paths (declared before the ``{pk}`` ones) ------------------------------------------------------------


@router.get("/cases/mine/", response={200: list[CaseOut], 403: ErrorOut}, summary="我的任务：我承办的未办结事件")
def my_cases(request: HttpRequest):
    """The open cases assigned to the caller, soonest due first."""
    if not scoping.has_perm(request.user, Case, "view"):
        raise PermissionDenied
    qs = scoping.restrict(CaseApiViewSet.queryset(), request.user, "view")
    return list(qs.filter(assignee=request.user, status__in=Case.OPEN_STATUSES).order_by("due_at", "pk"))


@router.get(
    "/cases/duplicates/",
    response={200: list[DuplicateOut], 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="疑似重复事件（同分类、7 天内、50 米内或同一地点）",
)
def case_duplicates(
    request: HttpRequest,
    community: int = Query(..., ge=1, le=MAX_ID, description="社区 id"),
    category: int | None = Query(None, ge=1, le=MAX_ID, description="分类 id"),
    latitude: float | None = Query(None, ge=-90, le=90, description="纬度"),
    longitude: float | None = Query(None, ge=-180, le=180, description="经度"),
    address: str = Query("", max_length=200, description="地点"),
):
    """Open cases in the caller's scope that may be the same problem as a case about to be reported."""
    user = request.user
    if not scoping.has_perm(user, Case, "view"):
        raise PermissionDenied
    division = scoping.allowed_divisions(user, Case, "view", levels=(Division.Level.COMMUNITY,))
    division = division.filter(pk=community).first()
    if division is None:
        raise Http404
    cat = None
    if category is not None:
        cat = scoping.restrict(Category.objects.all(), user, "view").filter(pk=category).first()
        if cat is None:
            raise Http404
    if (latitude is None) != (longitude is None):
        return Status(422, {"detail": _("经度和纬度需同时填写"), "errors": {"longitude": [_("经度和纬度需同时填写")]}})
    found = services.duplicates(division, cat, latitude=latitude, longitude=longitude, address=address, user=user)
    return [
        {
            "id": case.pk,
            "number": case.number,
            "title": case.title,
            "status": case.status,
            "status_label": str(case.get_status_display()),
            "category": case.category_id,
            "category_name": case.category.name,
            "grid_name": case.grid.name if case.grid_id else "",
            "address": case.address,
            "latitude": float(case.latitude) if case.latitude is not None else None,
            "longitude": float(case.longitude) if case.longitude is not None else None,
            "reported_at": case.reported_at,
            "due_at": case.due_at,
            "distance_m": round(distance, 1) if distance is not None else None,
        }
        for case, distance in found
    ]


@router.get("/cases/board/", response={200: BoardOut, 403: ErrorOut, 404: ErrorOut}, summary="工作台统计")
def case_board(
    request: HttpRequest, community: int | None = Query(None, ge=1, le=MAX_ID, description="社区 id（默认全部）")
):
    """Counts over the cases the caller may assign (optionally one community): new (to be assigned), due
    today, overdue (both open and not suspended), escalated and open."""
    user = request.user
    if not scoping.has_perm(user, Case, "assign"):
        raise PermissionDenied
    qs = scoping.restrict(Case.objects.all(), user, "assign")
    if community is not None:
        allowed = scoping.allowed_divisions(user, Case, "assign", levels=(Division.Level.COMMUNITY,))
        if not allowed.filter(pk=community).exists():
            raise Http404
        qs = qs.filter(community_id=community)
    sections = services.board_sections(qs, timezone.now())
    open_qs = qs.filter(status__in=Case.OPEN_STATUSES)
    return {
        "new": sections["new"].count(),
        "due_today": sections["today"].count(),
        "overdue": sections["overdue"].count(),
        "escalated": open_qs.filter(level__gte=Case.Level.COMMUNITY).count(),
        "open": open_qs.count(),
    }


@router.get(
    "/cases/timeliness/",
    response={200: dict[str, Any], 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="办结时效报表",
)
def case_timeliness(
    request: HttpRequest,
    division: str,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
):
    """The timeliness figures of the cases reported from ``start`` to ``end`` (inclusive; default: this
    month up to today) in the division with this code (county, street or community) within the caller's
    scope — the same figures as the report page and its XLSX download."""
    from tongxin.cases import report

    user = request.user
    if not scoping.has_perm(user, Case, "view"):
        raise PermissionDenied
    target = scoping.report_divisions(user, Case).filter(code=division).first()
    if target is None:
        raise Http404
    today = timezone.localdate()
    start = start or today.replace(day=1)
    end = end or today
    if start > end:
        message = _("结束日期“%(end)s”早于开始日期“%(start)s”") % {"start": start.isoformat(), "end": end.isoformat()}
        return Status(422, {"detail": message, "errors": {"end": [message]}})
    return report.timeliness(user, target, start, end)


# -- the generic endpoints --------------------------------------------------------------------------------------

crud(router, CategoryViewSet, out=CategoryOut, payload=CategoryIn)
crud(router, CaseApiViewSet, out=CaseOut, payload=CaseIn)
crud(router, DisputeApiViewSet, out=DisputeOut, payload=DisputeIn)
crud(router, MediationSessionViewSet, out=MediationSessionOut, payload=MediationSessionIn)
crud(router, MeetingViewSet, out=MeetingOut, payload=MeetingIn)
crud(router, FollowUpViewSet, out=FollowUpOut)


# -- one case: timeline, actions, attachments, workflow steps ---------------------------------------------------


@router.get("/cases/{pk}/steps/", response={200: list[StepOut], 403: ErrorOut, 404: ErrorOut}, summary="办理记录")
def case_steps(request: HttpRequest, pk: ObjectId):
    """The case's timeline, oldest first, with the steps of the cases merged into it (as on its page)."""
    case = _visible_case(request, pk)
    steps = CaseStep.objects.filter(Q(case=case) | Q(case__merged_into=case)).select_related("case", "assignee")
    return list(steps.prefetch_related("files").order_by("time", "pk"))


@router.post(
    "/cases/{pk}/attachments/",
    response={201: AttachmentOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="上传照片或附件",
)
def case_attachment(
    request: HttpRequest,
    pk: ObjectId,
    file: File[UploadedFile],
    step: int | None = Form(None, ge=1, le=MAX_ID, description="办理记录 id"),
):
    """Attach a photo (JPG, PNG, WEBP, HEIC) or document (PDF, Word) to the case, checked by content and size;
    ``step`` (a timeline row id of this case, e.g. its resolve step) links it to that step. Needs the right to
    work on the case."""
    case = _visible_case(request, pk)
    if not scoping.can(request.user, case, "change"):
        raise PermissionDenied
    row = None
    if step is not None:
        row = CaseStep.objects.filter(case=case, pk=step).first()
        if row is None:
            message = _("办理记录 %(s)s 不属于事件 %(n)s") % {"s": step, "n": case.number}
            return Status(422, {"detail": message, "errors": {"step": [message]}})
    try:
        att = add_attachment(case, file, request.user, step=row)
    except ValidationError as exc:
        return invalid(exc)
    return Status(201, att)


# the workflow: GET /cases/{pk}/actions/ and POST /cases/{pk}/<step>/, from cases.workflow.WORKFLOW
workflow_endpoints(router, CaseApiViewSet, out=CaseOut, body=StepIn)
