"""What the care module puts on the home page: for who visits key persons (a grid member, a responsible cadre),
the launcher 我的走访 with how many are overdue and due this period."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tongxin.care import services
from tongxin.care.models import Enrolment, Visit, Warning
from tongxin.core import scoping


def attention(request: Any) -> list[dict[str, Any]]:
    """The open care warnings assigned to the user (and those escalated, for directors), then the launcher
    我的走访 (overdue · due) for users with visits to make."""
    user = request.user
    items = _warnings(user)
    if not (scoping.has_perm(user, Enrolment, "view") and scoping.has_perm(user, Visit, "add")):
        return items
    rows = services.due_list(user, timezone.localdate(), services.mine(user))
    if not rows:
        return items
    overdue = sum(1 for r in rows if r["rank"] == 0)
    due = sum(1 for r in rows if r["rank"] == 1)
    launcher = {"text": _("我的走访"), "url": reverse("care:mine"), "icon": "bi-person-walking", "launcher": True,
                "detail": _("超期 %(o)s 人 · 本期待走访 %(d)s 人") % {"o": overdue, "d": due},
                "overdue": overdue}  # fmt: skip
    return [*items, launcher]


def _warnings(user: Any) -> list[dict[str, Any]]:
    """关爱预警: the open ones assigned to the user; escalated ones the user may handle (directors)."""
    if not scoping.has_perm(user, Warning, "view"):
        return []
    open_ = scoping.restrict(Warning.objects.filter(status=Warning.Status.OPEN), user, "view")
    items = []
    mine = open_.filter(assignee=user).count()
    if mine:
        items.append({"text": _("%(n)s 条关爱预警待您处理") % {"n": mine},
                      "url": reverse("care:warning_list") + "?mine=true&status=open"})  # fmt: skip
    if scoping.has_perm(user, Warning, "change"):
        escalated = open_.filter(escalated_at__isnull=False).exclude(assignee=user).count()
        if escalated:
            items.append({"text": _("%(n)s 条关爱预警超期未处理") % {"n": escalated},
                          "url": reverse("care:warning_list") + "?status=open"})  # fmt: skip
    return items
