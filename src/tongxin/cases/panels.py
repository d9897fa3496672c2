"""The cases shown on the registry's pages (core.hooks ``detail_panels``, declared in ``apps.py``): on a
person's page the cases they reported or are involved in, on a household's page its members' cases.

Only the cases the user may view (core.scoping), the latest few, with a link to the case list filtered the
same way (``?person=`` / ``?household=``, :class:`tongxin.cases.filters.CaseFilterSet`). A case reported
anonymously is never shown as its reporter's: that would name them (it is shown where they are involved).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from tongxin.core import scoping
from tongxin.registry.models import Household, Person

from .models import Case

PANEL_LIMIT = 10  # the latest cases a panel lists; the link shows them all


def person_q(person_id: int) -> Q:
    """The cases a person reported (not anonymously) or is involved in."""
    involved = Case.persons.through.objects.filter(person_id=person_id).values("case_id")
    return Q(reporter_person_id=person_id, anonymous=False) | Q(pk__in=involved)


def household_q(household_id: int) -> Q:
    """The cases the current members of a household reported (not anonymously) or are involved in."""
    members = Person.objects.filter(household_id=household_id).values("pk")
    involved = Case.persons.through.objects.filter(person_id__in=members).values("case_id")
    return Q(reporter_person_id__in=members, anonymous=False) | Q(pk__in=involved)


def _panel(request: Any, q: Q, param: str, pk: int, title: str, note: Any) -> dict[str, Any] | None:
    """A panel of the cases matching ``q`` that the user may view (None without the right to view cases)."""
    if not scoping.has_perm(request.user, Case, "view"):
        return None
    cases = scoping.restrict(Case.objects.filter(q), request.user, "view")
    latest = list(cases.select_related("reporter_person").order_by("-reported_at", "-pk")[:PANEL_LIMIT])
    items = [
        {
            "text": str(case),
            "url": case.get_absolute_url(),
            "badge": case.get_status_display(),
            "note": f"{case.reported_at:%Y-%m-%d} · {note(case)}",
        }
        for case in latest
    ]
    count = len(items) if len(items) < PANEL_LIMIT else cases.count()
    return {
        "id": f"{param}-cases",
        "title": title,
        "items": items,
        "count": count,
        "more_url": f"{reverse('cases:case_list')}?{param}={pk}",
        "empty": _("暂无相关事件"),
    }


def person_cases(request: Any, person: Person) -> dict[str, Any] | None:
    """A person's page: the cases they reported or are involved in."""

    def note(case: Case) -> str:
        return _("反映人") if case.reporter_person_id == person.pk and not case.anonymous else _("涉及")

    return _panel(request, person_q(person.pk), "person", person.pk, _("相关事件与诉求"), note)


def household_cases(request: Any, household: Household) -> dict[str, Any] | None:
    """A household's page: the cases its current members reported or are involved in."""
    members = set(Person.objects.filter(household=household).values_list("pk", flat=True))

    def note(case: Case) -> str:
        if case.reporter_person_id in members and not case.anonymous:
            return _("%(name)s反映") % {"name": case.reporter_person.name}
        return _("涉及本户成员")

    return _panel(request, household_q(household.pk), "household", household.pk, _("本户成员的事件与诉求"), note)
