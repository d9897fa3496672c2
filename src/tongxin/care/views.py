"""Pages of the care module: programmes, enrolments (with their workflow) and visits (with photos)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from tongxin.care import filters, forms, importers, services, tables
from tongxin.care.models import CarePlan, Enrolment, HealthCheck, Programme, Visit, Warning
from tongxin.care.workflow import PLAN_WORKFLOW, WARNING_WORKFLOW, WORKFLOW
from tongxin.core import scoping
from tongxin.core.views.generic import ObjectViewSet, error_text


class ProgrammeViewSet(ObjectViewSet):
    """Care programmes (帮扶项目)."""

    model = Programme
    segment = "programmes"
    table = tables.ProgrammeTable
    filterset = filters.ProgrammeFilterSet
    form = forms.ProgrammeForm
    select_related = ("community",)
    icon = "bi-journal-medical"


class EnrolmentViewSet(ObjectViewSet):
    """Enrolments in programmes (帮扶对象), moved through their workflow."""

    model = Enrolment
    segment = "enrolments"
    table = tables.EnrolmentTable
    filterset = filters.EnrolmentFilterSet
    form = forms.EnrolmentForm
    select_related = ("community", "grid", "programme", "person", "household", "responsible")
    workflow = WORKFLOW
    step_form = forms.EnrolmentStepForm
    detail_template = "care/enrolment_detail.html"
    icon = "bi-heart"
    actions = ("add", "export", "change", "delete")
    menu_extra = ((_lazy("补助发放名单"), "care:payments", "bi-cash-coin", "export"),)

    @classmethod
    def extra_urls(cls) -> list:
        from tongxin.care.payments import payments

        return [path("payments/", payments, name="payments")]

    @classmethod
    def detail_context(cls, request: HttpRequest, obj: Enrolment) -> dict[str, Any]:
        """The enrolment's visit and review windows up to today (never sliding: a missed month stays missed)."""
        today = timezone.localdate()
        visits = services.visit_windows(obj, today)
        reviews = services.review_windows(obj, today)
        return {"visit_windows": visits[-12:], "review_windows": reviews[-8:]}


class CarePlanViewSet(ObjectViewSet):
    """Care plans (一人一策), reviewed every quarter; the history shows what each review changed."""

    model = CarePlan
    segment = "plans"
    table = tables.CarePlanTable
    filterset = filters.CarePlanFilterSet
    form = forms.CarePlanForm
    select_related = ("community", "grid", "person", "responsible", "grid_member")
    workflow = PLAN_WORKFLOW
    icon = "bi-clipboard-heart"
    actions = ("add", "export", "change", "delete")


class HealthCheckViewSet(ObjectViewSet):
    """Health checks (健康体检), imported from the clinic's spreadsheet (导入) or typed in."""

    model = HealthCheck
    segment = "health-checks"
    table = tables.HealthCheckTable
    filterset = filters.HealthCheckFilterSet
    form = forms.HealthCheckForm
    select_related = ("community", "person")
    icon = "bi-clipboard2-pulse"
    importer = importers.HealthCheckImporter
    actions = ("add", "export", "change", "delete")


class WarningViewSet(ObjectViewSet):
    """Care warnings (关爱预警) the worker raises; handled through their one step (处理)."""

    model = Warning
    segment = "warnings"
    table = tables.WarningTable
    filterset = filters.WarningFilterSet
    select_related = ("community", "grid", "person", "assignee", "enrolment")
    workflow = WARNING_WORKFLOW
    icon = "bi-exclamation-triangle"
    actions = ("export",)  # raised by the worker only; handled, never edited


class VisitViewSet(ObjectViewSet):
    """Visits to key persons (走访记录), with photos."""

    model = Visit
    segment = "visits"
    table = tables.VisitTable
    filterset = filters.VisitFilterSet
    form = forms.VisitForm
    select_related = ("community", "grid", "person", "visitor", "case")
    files = "photos"
    icon = "bi-house-heart"
    actions = ("add", "export", "change", "delete")
    detail_template = "care/visit_detail.html"
    menu_extra = ((_lazy("我的走访"), "care:mine", "bi-person-walking", "add"),)

    @classmethod
    def extra_urls(cls) -> list:
        return [
            path("visits/mine/", mine, name="mine"),
            path("visits/<int:pk>/open-case/", visit_open_case, name="visit_open_case"),
        ]

    @classmethod
    def detail_context(cls, request: HttpRequest, obj: Visit) -> dict[str, Any]:
        """Whether the page offers 转为事件: needs recorded, no case yet, and the user may report cases there."""
        from tongxin.cases.models import Case

        may = bool(obj.needs.strip()) and not obj.case_id and scoping.can(request.user, obj, "view")
        may = may and scoping.allowed_divisions(request.user, Case, "add").filter(pk=obj.community_id).exists()
        return {"may_open_case": may}


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """我的走访: the key persons whose visits fall to the user (their grids', or those they answer for), the ones
    overdue first, each with a button that opens the visit form already filled in (a grid member's phone)."""
    if not scoping.has_perm(request.user, Enrolment, "view"):
        raise PermissionDenied
    rows = services.due_list(request.user, timezone.localdate(), services.mine(request.user))
    may_add = scoping.has_perm(request.user, Visit, "add")
    for row in rows:
        e = row["enrolment"]
        who = row["person"]
        query = {"community": e.community_id, "grid": e.grid_id or "", "person": getattr(who, "pk", ""),
                 "kind": Visit.Kind.HOME, "return_url": reverse("care:mine")}  # fmt: skip
        row["visit_url"] = f"{reverse('care:visit_add')}?{urlencode(query)}" if may_add and who else ""
    counts = {"overdue": sum(1 for r in rows if r["rank"] == 0), "due": sum(1 for r in rows if r["rank"] == 1)}
    return render(request, "care/mine.html", {"rows": rows, "counts": counts})


@login_required
@require_POST
def visit_open_case(request: HttpRequest, pk: int) -> HttpResponse:
    """转为事件: the needs a visit raised become a case in one tap (see :func:`services.open_case`)."""
    visit = scoping.get_scoped_object(VisitViewSet.queryset(), request.user, "view", pk=pk)
    try:
        case = services.open_case(request.user, visit)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc) if isinstance(exc, ValidationError) else _("您无权上报事件"))
        return HttpResponseRedirect(visit.get_absolute_url())
    messages.success(request, _("已转为事件 %(n)s") % {"n": case.number})
    return HttpResponseRedirect(case.get_absolute_url())
