"""Pages of the registry: declarative viewsets, plus the person's workflow pages (reveal, move, life
status), the register export and the statistics page."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from operator import attrgetter
from typing import IO, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tongxin.core import audit, privacy, scoping
from tongxin.core.models import AccessLog, ExportJob
from tongxin.core.views.generic import ObjectViewSet, common_community, filtered
from tongxin.registry import filters, forms, services, stats, tables
from tongxin.registry.apps import REGISTER_EXPORT
from tongxin.registry.models import (
    Building,
    Compound,
    Dwelling,
    Household,
    Membership,
    PartyBranch,
    Person,
    Tag,
)
from tongxin.registry.register import RegisterImporter


class PersonViewSet(ObjectViewSet):
    """Residents (居民)."""

    model = Person
    segment = "persons"
    table = tables.PersonTable
    filterset = filters.PersonFilterSet
    form = forms.PersonForm
    bulk_edit_form = forms.PersonBulkEditForm
    importer = RegisterImporter
    select_related = ("community", "group", "grid", "household", "party_branch")
    prefetch_related = ("tags",)
    detail_template = "registry/person_detail.html"
    icon = "bi-person-vcard"
    actions = ("add", "import", "export", "bulk_edit", "change")

    @classmethod
    def detail_context(cls, request: HttpRequest, obj: Person) -> dict[str, Any]:
        """The household with its current members, the membership history, tags and party branch."""
        members = []
        if obj.household_id:
            current = Person.objects.filter(memberships__household_id=obj.household_id, memberships__end__isnull=True)
            members = list(
                privacy.annotate_reveal(scoping.restrict(current, request.user, "view"), request.user)
                .order_by("relationship", "birth_date")
                .only("pk", "name", "sex", "birth_date", "relationship", "life_status", "id_hash")
            )
        history = Membership.objects.filter(person=obj).select_related("household").order_by("-start", "-pk")
        user = request.user
        return {
            "members": members,
            "memberships": history,
            "move_form": forms.MoveForm(user=user, person=obj) if scoping.can(user, obj, "change") else None,
            "status_form": forms.LifeStatusForm(initial={"date": timezone.localdate(), "status": obj.life_status}),
        }

    @classmethod
    def list_links(cls, request: HttpRequest) -> list[tuple[str, str, str]]:
        """The register export (the import's layout, with the current filters) and the statistics page."""
        links = [(_("人口统计"), reverse("registry:stats"), "bi-bar-chart")]
        if scoping.has_perm(request.user, Person, "export"):
            query = request.GET.urlencode()
            url = reverse("registry:person_register") + (f"?{query}" if query else "")
            links.insert(0, (_("导出花名册"), url, "bi-journal-arrow-down"))
        return links

    @classmethod
    def extra_urls(cls) -> list:
        return [
            path("persons/<int:pk>/move/", move, name="person_move"),
            path("persons/<int:pk>/status/", life_status, name="person_status"),
            path("persons/register.xlsx", export_register, name="person_register"),
            path("stats/", stats_page, name="stats"),
        ]


def _person(request: HttpRequest, pk: int, action: str) -> Person:
    if not scoping.has_perm(request.user, Person, action):
        raise PermissionDenied
    return scoping.get_scoped_object(PersonViewSet.queryset(), request.user, action, pk=pk)


@login_required
def move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a person into another household of the community."""
    person = _person(request, pk, "change")
    form = forms.MoveForm(request.POST or None, user=request.user, person=person)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.move_person(request.user, person, d["household"], d["relationship"], d["date"], d["reason"])
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, _("已将“%(p)s”调入%(h)s") % {"p": person, "h": d["household"]})
    elif request.method == "POST":
        errs = "；".join(f"{form.fields[f].label}：{'、'.join(e)}" for f, e in form.errors.items() if f in form.fields)
        messages.error(request, _("调户失败：%(e)s") % {"e": errs})
    return HttpResponseRedirect(person.get_absolute_url())


@login_required
def life_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a person moved out or deceased (or living again)."""
    person = _person(request, pk, "change")
    form = forms.LifeStatusForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        services.set_life_status(request.user, person, d["status"], d["date"], d["reason"])
        messages.success(request, _("已将“%(p)s”标记为%(s)s") % {"p": person, "s": person.get_life_status_display()})
    elif request.method == "POST":
        messages.error(request, _("请填写状态和日期"))
    return HttpResponseRedirect(person.get_absolute_url())


#: the register's file name before its date and time: ``居民花名册-YYYYMMDD-HHMM.xlsx``, in the request or not
REGISTER_BASENAME = "居民花名册"
_REVEAL_FLAG = f"{scoping.CAN_ATTR}_reveal"


def register_queryset(request: HttpRequest) -> QuerySet[Person]:
    """The persons of the register export: the person list's scoped, filtered rows for the export action, living
    only, in household order, each annotated with whether the user may reveal it. The request's and the
    worker's export (rebuilt from the job's query string) read the same rows."""
    _fs, qs = filtered(PersonViewSet, request, "export")
    qs = qs.filter(life_status=Person.LifeStatus.LIVING).select_related("group", "grid", "household", "party_branch")
    qs = qs.order_by("household__number", "relationship", "birth_date", "pk")
    # In clear only where the user may reveal: holding the permission in one community does not
    # reveal the persons of the others the export covers.
    return scoping.annotate_can(qs, request.user, "reveal")


def write_register_job(
    job: ExportJob, request: HttpRequest, out: IO[bytes], counted: Callable[[Iterable], Iterator]
) -> None:
    """The worker's register export (the kind :data:`~tongxin.registry.apps.REGISTER_EXPORT`): the rows of
    :func:`register_queryset` for the job's user, in clear only where the user may reveal, counted for the job's
    progress."""
    from tongxin.registry.register.workbook import write_register

    qs = register_queryset(request)
    write_register(out, counted(qs.iterator(chunk_size=2000)), reveal=attrgetter(_REVEAL_FLAG))


@login_required
def export_register(request: HttpRequest) -> HttpResponse:
    """The filtered persons in the register layout (the import's columns): a round trip re-imports as
    unchanged. ID numbers and phones are in clear only for users who may reveal them; logged. More than
    ``EXPORT_BACKGROUND_ROWS`` persons go to the worker and the user to the job's page (progress bar, then
    the download link)."""
    from urllib.parse import quote

    from tongxin.core import exportjobs
    from tongxin.core.export import XLSX_TYPE, export_filename
    from tongxin.registry.register import register_workbook

    if not scoping.has_perm(request.user, Person, "export"):
        raise PermissionDenied
    qs = register_queryset(request)
    count = qs.count()
    revealed = qs.filter(**{_REVEAL_FLAG: True}).count() if count else 0
    if exportjobs.wants_background(count) is not None:
        job = exportjobs.start(
            request.user, Person._meta.label, "xlsx", request.GET, count, REGISTER_BASENAME, kind=REGISTER_EXPORT
        )
        response: HttpResponse = HttpResponseRedirect(job.get_absolute_url())
    else:
        body = register_workbook(qs.iterator(chunk_size=2000), reveal=attrgetter(_REVEAL_FLAG))
        response = HttpResponse(body, content_type=XLSX_TYPE)
        name = export_filename(REGISTER_BASENAME, "xlsx")
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    if not revealed:
        detail = _("花名册导出（脱敏）")
    elif revealed == count:
        detail = _("花名册导出（明文）")
    else:
        detail = _("花名册导出（%(n)s 行明文，其余脱敏）") % {"n": revealed}
    audit.log_access(
        Person,
        AccessLog.Action.EXPORT,
        fields=["id_number", "phone"] if revealed else [],
        row_count=count,
        community_id=common_community(qs),
        detail=detail,
    )
    return response


#: the figures of the statistics page, and the columns of its comparison of the divisions below
STATS_KEYS = (
    "registry.households",
    "registry.persons",
    "registry.persons_by_registration_status",
    "registry.persons_by_sex",
    "registry.persons_by_age_band",
    "registry.persons_by_ethnicity",
    "registry.ethnic_groups",
    "registry.minority_persons",
    "registry.party_members",
    "registry.party_members_probationary",
    "registry.party_branches",
)
COMPARISON_KEYS = (
    "registry.households",
    "registry.persons",
    "registry.ethnic_groups",
    "registry.minority_persons",
    "registry.party_members",
    "registry.party_branches",
)


@login_required
def stats_page(request: HttpRequest) -> HttpResponse:
    """The registry's figures (:mod:`tongxin.registry.indicators`) for a community, street or county in the user's
    scope — by default the highest one (a street official sees the street's total) — with one row per division
    below it (the communities of a street, the streets of a county), each number linking to its list."""
    from tongxin.core import indicators

    if not scoping.has_perm(request.user, Person, "view"):
        raise PermissionDenied
    divisions = stats.divisions_for(request.user)
    code = request.GET.get("division") or ""
    division = divisions.filter(code=code).first() if code else None
    if division is None:
        division = min(divisions[:500], key=lambda d: (d.path.count("/"), d.path), default=None)
    context: dict[str, Any] = {"divisions": divisions[:500], "division": division, "figures": None}
    if division is not None:
        today = timezone.localdate()
        period = indicators.Period(today, today, today, today.isoformat())
        result = indicators.evaluate(STATS_KEYS, division, period, request.user)
        found = indicators.by_key(result)
        columns = [found[k] for k in COMPARISON_KEYS if k in found]
        rows = [
            {"name": child["name"], "level": child["level"], "code": child["code"],
             "cells": [c["children"][i] for c in columns]}
            for i, child in enumerate(columns[0]["children"] if columns else [])
        ]  # fmt: skip
        context.update(
            figures={key.split(".", 1)[1]: entry for key, entry in found.items()},  # the template's names
            as_of=period.as_of,
            columns=columns,
            comparison=rows,
            by_group=stats.groups(division, user=request.user),
        )
    return render(request, "registry/stats.html", context)


class HouseholdViewSet(ObjectViewSet):
    """Households (户)."""

    model = Household
    segment = "households"
    table = tables.HouseholdTable
    filterset = filters.HouseholdFilterSet
    form = forms.HouseholdForm
    select_related = ("community", "group", "grid", "head", "dwelling__building__compound")
    detail_template = "registry/household_detail.html"
    icon = "bi-house"
    actions = ("add", "export", "change", "delete")

    @classmethod
    def queryset(cls):
        return (
            super()
            .queryset()
            .annotate(size=Count("memberships", filter=Q(memberships__end__isnull=True)))
            .order_by("community__code", "number")
        )

    @classmethod
    def detail_context(cls, request: HttpRequest, obj: Household) -> dict[str, Any]:
        """Current members with their relationships, and the moves in and out."""
        memberships = list(
            Membership.objects.filter(household=obj).select_related("person").order_by("end", "relationship")
        )
        if memberships:  # the members' birth dates in clear if the user may reveal persons of this household
            reveal = getattr(privacy.flag_reveal(memberships[0].person, request.user), privacy.CAN_REVEAL, False)
            for m in memberships:
                setattr(m.person, privacy.CAN_REVEAL, reveal)
        return {
            "current": [m for m in memberships if m.end is None],
            "past": [m for m in memberships if m.end is not None],
        }


class MembershipViewSet(ObjectViewSet):
    """Household memberships (户成员)."""

    model = Membership
    segment = "memberships"
    table = tables.MembershipTable
    filterset = filters.MembershipFilterSet
    form = forms.MembershipForm
    select_related = ("person", "household", "community")
    icon = "bi-people"
    actions = ("add", "export", "change", "delete")


class PartyBranchViewSet(ObjectViewSet):
    """Party organisations (党组织)."""

    model = PartyBranch
    segment = "party-branches"
    table = tables.PartyBranchTable
    filterset = filters.PartyBranchFilterSet
    form = forms.PartyBranchForm
    select_related = ("community", "parent")
    detail_template = "registry/partybranch_detail.html"
    icon = "bi-flag"

    @classmethod
    def queryset(cls):
        living = Q(members__life_status=Person.LifeStatus.LIVING, members__political_status__in=("01", "02"))
        qs = super().queryset().annotate(member_count=Count("members", filter=living))
        return qs.order_by("community__code", "name")

    @classmethod
    def detail_context(cls, request: HttpRequest, obj: PartyBranch) -> dict[str, Any]:
        members = obj.members.filter(life_status=Person.LifeStatus.LIVING).order_by("name")
        return {"party_members": members.only("pk", "name", "sex", "political_status", "party_joined")[:1000]}


class CompoundViewSet(ObjectViewSet):
    """Compounds (小区)."""

    model = Compound
    segment = "compounds"
    table = tables.CompoundTable
    filterset = filters.CompoundFilterSet
    form = forms.CompoundForm
    select_related = ("community",)
    icon = "bi-buildings"


class BuildingViewSet(ObjectViewSet):
    """Buildings (楼栋)."""

    model = Building
    segment = "buildings"
    table = tables.BuildingTable
    filterset = filters.BuildingFilterSet
    form = forms.BuildingForm
    select_related = ("community", "compound")
    icon = "bi-building"


class DwellingViewSet(ObjectViewSet):
    """Dwellings (房屋)."""

    model = Dwelling
    segment = "dwellings"
    table = tables.DwellingTable
    filterset = filters.DwellingFilterSet
    form = forms.DwellingForm
    select_related = ("community", "building__compound")
    icon = "bi-door-open"


class TagViewSet(ObjectViewSet):
    """Tags (标签)."""

    model = Tag
    segment = "tags"
    table = tables.TagTable
    filterset = filters.TagFilterSet
    form = forms.TagForm
    select_related = ("community",)
    icon = "bi-tags"
