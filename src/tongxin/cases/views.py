"""Pages of the cases module: declarative viewsets, plus the case's workflow steps, the grid member's quick
report and task list, the director's board, duplicate suggestions and the attachments (served after a
scope check, never as public media)."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from tongxin.cases import attachments, filters, forms, services, tables
from tongxin.cases.models import Attachment, Case, CaseStep, Category, Dispute, FollowUp, MediationSession, Meeting
from tongxin.cases.workflow import WORKFLOW
from tongxin.core import files, scoping
from tongxin.core.views.generic import ObjectViewSet, error_text, selected_pks
from tongxin.org.models import Division

S = Case.Status


class CaseViewSet(ObjectViewSet):
    """Grid events, resident requests and disputes (事件与诉求)."""

    model = Case
    segment = "cases"
    table = tables.CaseTable
    filterset = filters.CaseFilterSet
    form = forms.CaseForm
    select_related = ("community", "grid", "category", "assignee", "reporter_person", "reporter_user")
    detail_template = "cases/case_detail.html"
    workflow = WORKFLOW
    step_form = forms.StepForm
    detail_fields = (
        "number",
        "title",
        "description",
        "kind",
        "category",
        "priority",
        "community",
        "grid",
        "address",
        "reporter",
        "source",
        "reported_at",
        "due_at",
        "assignee",
        "resolved_at",
        "resolution",
        "satisfaction",
        "external_ref",
    )
    icon = "bi-megaphone"
    menu_extra = (
        (_lazy("上报事件"), "cases:report", "bi-camera", "add"),
        (_lazy("我的任务"), "cases:mine", "bi-list-check", "view"),
        (_lazy("事件工作台"), "cases:board", "bi-kanban", "assign"),
        (_lazy("时效报表"), "cases:timeliness", "bi-speedometer2", "view"),
    )
    actions = ("add", "export", "change")  # cases are never deleted: rejected or merged instead

    @classmethod
    def detail_context(cls, request: HttpRequest, obj: Case) -> dict[str, Any]:
        """Timeline (with the steps of cases merged into it), files, follow-ups, dispute (the steps are core's)."""
        # the merged cases first, then their steps and the case's own by key: ``case = X OR case.merged_into = X``
        # joined every step with its case before filtering (a merge join over all the steps of a county)
        merged = list(obj.merged_cases.all())
        steps = CaseStep.objects.filter(case_id__in=[obj.pk, *(m.pk for m in merged)]).select_related(
            "case", "assignee"
        )
        steps = steps.prefetch_related("files").order_by("time", "pk")
        return {
            "steps": steps,
            "attachments": obj.attachments.all(),
            "follow_ups": obj.follow_ups.select_related("by"),
            "dispute": Dispute.objects.filter(case=obj).prefetch_related("sessions", "parties", "mediators").first(),
            "merged": merged,
            "persons": obj.persons.all(),
            "overdue": obj.is_overdue(),
            "gcj02": obj.gcj02,
        }

    @classmethod
    def list_links(cls, request: HttpRequest) -> list[tuple[str, str, str]]:
        links = []
        if scoping.has_perm(request.user, Case, "add"):
            links.append((_("上报事件"), reverse("cases:report"), "bi-camera"))
        links.append((_("我的任务"), reverse("cases:mine"), "bi-list-check"))
        if scoping.has_perm(request.user, Case, "assign"):
            links.append((_("工作台"), reverse("cases:board"), "bi-kanban"))
        links.append((_("时效报表"), reverse("cases:timeliness"), "bi-speedometer2"))
        return links

    @classmethod
    def extra_urls(cls) -> list:
        return [
            path("report/", quick_report, name="report"),
            path("report/kept/<str:token>/", kept_photo, name="kept_photo"),
            path("mine/", mine, name="mine"),
            path("board/", board, name="board"),
            path("duplicates/", duplicates, name="duplicates"),
            path("attachments/<int:pk>/", attachment, name="attachment"),
            path("attachments/<int:pk>/thumb/", attachment, {"thumb": True}, name="attachment_thumb"),
        ]


class CategoryViewSet(ObjectViewSet):
    """Case categories and their time limits; a community may override a default."""

    model = Category
    segment = "categories"
    table = tables.CategoryTable
    filterset = filters.CategoryFilterSet
    form = forms.CategoryForm
    select_related = ("community", "parent", "responsible_role")
    icon = "bi-tags"
    actions = ("add", "export", "change", "delete", "bulk_delete")


class DisputeViewSet(ObjectViewSet):
    """Disputes and their mediation (矛盾纠纷调解)."""

    model = Dispute
    segment = "disputes"
    table = tables.DisputeTable
    filterset = filters.DisputeFilterSet
    form = forms.DisputeForm
    select_related = ("case", "community")
    detail_template = "cases/dispute_detail.html"
    icon = "bi-people"
    actions = ("export", "change")  # made with its dispute case

    @classmethod
    def detail_context(cls, request: HttpRequest, obj: Dispute) -> dict[str, Any]:
        return {"sessions": obj.sessions.all(), "parties": obj.parties.all(), "mediators": obj.mediators.all()}


class MediationSessionViewSet(ObjectViewSet):
    """Mediation sessions (调解记录)."""

    model = MediationSession
    segment = "mediation-sessions"
    table = tables.MediationSessionTable
    filterset = filters.MediationSessionFilterSet
    form = forms.MediationSessionForm
    select_related = ("dispute__case", "community")
    icon = "bi-chat-square-text"


class MeetingViewSet(ObjectViewSet):
    """Public-sentiment meetings (民情恳谈会) and the cases raised there."""

    model = Meeting
    segment = "meetings"
    table = tables.MeetingTable
    filterset = filters.MeetingFilterSet
    form = forms.MeetingForm
    select_related = ("community",)
    prefetch_related = ("cases",)
    detail_template = "cases/meeting_detail.html"
    icon = "bi-chat-heart"

    @classmethod
    def detail_context(cls, request: HttpRequest, obj: Meeting) -> dict[str, Any]:
        raised = scoping.restrict(obj.cases.select_related("category", "assignee"), request.user, "view")
        return {"raised": raised, "can_add_case": scoping.has_perm(request.user, Case, "add")}


class FollowUpViewSet(ObjectViewSet):
    """Follow-up calls and visits (回访) — recorded from the case page."""

    model = FollowUp
    segment = "follow-ups"
    table = tables.FollowUpTable
    filterset = filters.FollowUpFilterSet
    select_related = ("case", "by")
    icon = "bi-telephone"
    actions = ("export",)


# -- pages beyond the generic ones ----------------------------------------------------------------------------


@login_required
def quick_report(request: HttpRequest) -> HttpResponse:
    """The grid member's report on a phone: category → photo and description → place and send (three screens,
    one upload at the end); duplicates nearby are suggested before sending. When the form comes back with an
    error, its photos are kept (uploaded once, see ``cases.attachments``) and shown, and the case takes them when
    the report goes through."""
    if not scoping.has_perm(request.user, Case, "add"):
        raise PermissionDenied
    form = forms.QuickReportForm(request.POST or None, request.FILES or None, user=request.user)
    kept = attachments.from_tokens(request.POST.getlist("kept"), request.user) if request.method == "POST" else []
    if request.method == "POST" and form.is_valid():
        case = _send_report(request, form, kept)
        if case is not None:
            attachments.discard(kept)
            due = timezone.localtime(case.due_at).strftime("%m-%d %H:%M")
            messages.success(request, _("已上报事件 %(n)s，办结时限 %(d)s") % {"n": case.number, "d": due})
            return HttpResponseRedirect(case.get_absolute_url())
    if request.method == "POST" and form.cleaned_data.get("photos"):
        kept += attachments.keep(form.cleaned_data["photos"], request.user)
    context = {
        "form": form,
        "tops": category_tree(form.fields["community"].initial),
        "kept": [(attachments.pending_token(p), p) for p in kept],
    }
    return render(request, "cases/report.html", context)


def _send_report(request: HttpRequest, form: forms.QuickReportForm, kept: list) -> Case | None:
    """Report the case of a valid quick-report form with its new and kept photos; None (and the error on the
    form) when the services refuse it."""
    d = form.cleaned_data
    category: Category = d["category"]
    try:
        return services.report(
            request.user,
            files=[*attachments.adopt(kept), *d["photos"]],
            community=d["community"],
            grid=d.get("grid") or services.grid_for(d["community"], d.get("latitude"), d.get("longitude")),
            category=category,
            kind=category.kind,
            source=Case.Source.PATROL,
            description=d["description"],
            address=d.get("address") or "",
            latitude=d.get("latitude"),
            longitude=d.get("longitude"),
            involves_ethnic=d.get("involves_ethnic") or False,
        )
    except ValidationError as exc:
        form.add_error(None, error_text(exc))
    except PermissionDenied:
        form.add_error(None, _("您无权在%(c)s上报事件（网格不在您的管辖范围）") % {"c": d["community"]})
    return None


@login_required
def kept_photo(request: HttpRequest, token: str) -> HttpResponse:
    """The thumbnail of a photo kept for an unsent report, for its uploader only (404 for anyone else)."""
    found = attachments.from_tokens([token], request.user)
    if not found:
        raise Http404
    p = found[0]
    f = p.thumbnail or p.file
    try:
        handle = f.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type="image/jpeg" if p.thumbnail else p.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def category_tree(community: Division | None) -> list[Category]:
    """The categories in force in the community (its overrides replacing the defaults), as top-level rows with
    ``active_children``, for the phone report's first screen."""
    rows = list(services.categories_for(community).select_related("parent"))
    by_code = {c.code: c for c in rows}
    tops = []
    for c in rows:
        c.active_children = []
    for c in rows:
        parent = by_code.get(c.parent.code) if c.parent_id else None
        if parent is None:
            tops.append(c)
        else:
            parent.active_children.append(c)
    return tops


@login_required
def duplicates(request: HttpRequest) -> HttpResponse:
    """Open cases of the same category within 50 m or at the same address in the last 7 days (an HTMX panel)."""
    if not scoping.has_perm(request.user, Case, "view"):
        raise PermissionDenied
    g = request.GET
    community = scoping.allowed_divisions(request.user, Case, "add").filter(pk=g.get("community") or 0).first()
    category = Category.objects.filter(pk=g.get("category") or 0).first()
    found: list = []
    if community is not None:
        try:
            lat = float(g["latitude"]) if g.get("latitude") else None
            lng = float(g["longitude"]) if g.get("longitude") else None
        except ValueError:
            lat = lng = None
        found = services.duplicates(
            community, category, latitude=lat, longitude=lng, address=g.get("address", ""), user=request.user
        )
    return render(request, "cases/_duplicates.html", {"found": found})


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """My tasks: the open cases I hold, soonest due first, and what I reported lately."""
    if not scoping.has_perm(request.user, Case, "view"):
        raise PermissionDenied
    qs = scoping.restrict(CaseViewSet.queryset(), request.user, "view")
    tasks = qs.filter(assignee=request.user, status__in=Case.OPEN_STATUSES).order_by("due_at")
    reported = qs.filter(reporter_user=request.user).order_by("-reported_at")[:20]
    return render(
        request,
        "cases/mine.html",
        {"tasks": tasks, "reported": reported, "now": timezone.now()},
    )


@login_required
def board(request: HttpRequest) -> HttpResponse:
    """The director's board: new, due today, overdue and escalated cases, open cases by grid and by assignee,
    and bulk assignment of the ticked cases."""
    user = request.user
    if not scoping.has_perm(user, Case, "assign"):
        raise PermissionDenied
    communities = scoping.allowed_divisions(user, Case, "assign", levels=(Division.Level.COMMUNITY,)).order_by("code")
    chosen = communities.filter(pk=request.GET.get("community") or 0).first()
    qs = scoping.restrict(CaseViewSet.queryset(), user, "assign")
    if chosen is not None:
        qs = qs.filter(community=chosen)
    assign_form = forms.BulkAssignForm(request.POST or None, communities=[chosen] if chosen else list(communities[:20]))
    if request.method == "POST":
        pks = selected_pks(request)
        if not pks:
            messages.error(request, _("请先勾选要分派的事件"))
        elif assign_form.is_valid():
            picked = qs.filter(pk__in=pks, status__in=WORKFLOW.allowed_from("assign"))
            done, errors = services.bulk_assign(
                user, picked, assign_form.cleaned_data["assignee"], assign_form.cleaned_data["note"]
            )
            if done:
                messages.success(request, _("已分派 %(n)s 件事件") % {"n": done})
            for err in errors:
                messages.error(request, err)
            return HttpResponseRedirect(request.get_full_path())
    now = timezone.now()
    labels = {"new": _("待分派"), "today": _("今日到期"), "overdue": _("已超期")}
    sections = [
        (key, labels[key], list(rows[:100]), rows.count()) for key, rows in services.board_sections(qs, now).items()
    ]
    open_qs = qs.filter(status__in=Case.OPEN_STATUSES)
    overdue_q = Q(due_at__lt=now, status__in=Case.RUNNING_STATUSES)
    by_grid = (
        open_qs.values("grid__name", "community__name")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=overdue_q))
        .order_by("-overdue", "-open")
    )
    by_assignee = (
        open_qs.values("assignee__name", "assignee__username")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=overdue_q))
        .order_by("-overdue", "-open")
    )
    escalated = open_qs.filter(level__gte=Case.Level.COMMUNITY).count()
    return render(
        request,
        "cases/board.html",
        {
            "sections": sections,
            "by_grid": by_grid,
            "by_assignee": by_assignee,
            "escalated": escalated,
            "communities": communities,
            "chosen": chosen,
            "assign_form": assign_form,
            "now": now,
        },
    )


def attachment(request: HttpRequest, pk: int, thumb: bool = False) -> HttpResponse:
    """A case's photo or file, for whoever may view the case (never a public media URL; core.files.serve)."""
    return files.serve(request, Attachment.objects.select_related("case"), pk, owner=Case, thumb=thumb)


def due_label(case: Case, now: datetime.datetime | None = None) -> str:
    """剩余 3 小时 / 已超期 2 天 …: the due time as a grid member reads it on the task list."""
    now = now or timezone.now()
    delta = case.due_at - now
    hours = abs(delta.total_seconds()) / 3600
    amount = _("%(n)s 天") % {"n": int(hours // 24)} if hours >= 24 else _("%(n)s 小时") % {"n": max(1, int(hours))}
    return (_("剩余 %(t)s") if delta.total_seconds() >= 0 else _("已超期 %(t)s")) % {"t": amount}
