"""The care file (一人一档) on the register's pages (core.hooks ``detail_panels``): a person's enrolments and
their latest visits; a household's enrolments. Only what the user may view: enrolments need the sensitive
permission (or the person's grid), so others see no panel at all."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from tongxin.care.models import CarePlan, Enrolment, Visit
from tongxin.core import scoping

PANEL_LIMIT = 10


def _enrolments(request: Any, q: Q, param: str, pk: int) -> dict[str, Any] | None:
    if not scoping.has_perm(request.user, Enrolment, "view"):
        return None
    rows = scoping.restrict(Enrolment.objects.filter(q), request.user, "view").select_related("programme")
    items = [
        {"text": str(e.programme), "url": e.get_absolute_url(), "badge": e.get_status_display(),
         "note": _("批准 %(d)s") % {"d": e.approved_on.strftime("%Y-%m-%d")} if e.approved_on else ""}
        for e in rows.order_by("programme__sort", "-pk")[:PANEL_LIMIT]
    ]  # fmt: skip
    if not items:
        return None  # nothing to show, and nothing that says whether the person is enrolled anywhere
    return {"id": f"{param}-care", "title": _("关爱档案 · 帮扶项目"), "items": items, "count": len(items),
            "more_url": f"{reverse('care:enrolment_list')}?{param}={pk}", "empty": ""}  # fmt: skip


def person_file(request: Any, person: Any) -> dict[str, Any] | None:
    """A person's care plan (一人一策) and enrolments (their own and their household's)."""
    q = Q(person_id=person.pk) | (Q(household_id=person.household_id) if person.household_id else Q(pk__in=[]))
    panel = _enrolments(request, q, "person", person.pk)
    plan = None
    if scoping.has_perm(request.user, CarePlan, "view"):
        plans = scoping.restrict(CarePlan.objects.filter(person_id=person.pk), request.user, "view")
        plan = plans.order_by("status", "-pk").first()  # the active one first
    if plan is None:
        return panel
    due = _("下次复核 %(d)s") % {"d": plan.next_review.strftime("%Y-%m-%d")} if plan.next_review else ""
    item = {"text": str(plan), "url": plan.get_absolute_url(), "badge": plan.get_status_display(), "note": due}
    if panel is None:
        return {
            "id": "person-care",
            "title": _("关爱档案 · 帮扶项目"),
            "items": [item],
            "count": 1,
            "more_url": f"{reverse('care:careplan_list')}?person={person.pk}",
            "empty": "",
        }
    panel["items"].insert(0, item)
    panel["count"] += 1
    return panel


def household_file(request: Any, household: Any) -> dict[str, Any] | None:
    """A household's enrolments (the household's and its members')."""
    return _enrolments(request, Q(household_id=household.pk) | Q(person__household_id=household.pk), "household",
                       household.pk)  # fmt: skip


def person_visits(request: Any, person: Any) -> dict[str, Any] | None:
    """A person's latest visits (方式, 日期, 走访人, whether a need became a case)."""
    if not scoping.has_perm(request.user, Visit, "view"):
        return None
    rows = scoping.restrict(Visit.objects.filter(person_id=person.pk), request.user, "view")
    latest = list(rows.select_related("visitor", "case").order_by("-visited_on", "-pk")[:PANEL_LIMIT])
    if not latest:
        return None
    items = [
        {"text": f"{v.visited_on:%Y-%m-%d} {v.get_kind_display()}", "url": v.get_absolute_url(),
         "badge": _("已转事件") if v.case_id else "",
         "note": " · ".join(x for x in (v.visitor.display_name if v.visitor_id else "", v.needs[:40]) if x)}
        for v in latest
    ]  # fmt: skip
    return {"id": "person-visits", "title": _("关爱档案 · 走访记录"), "items": items, "count": len(items),
            "more_url": f"{reverse('care:visit_list')}?person={person.pk}", "empty": ""}  # fmt: skip
