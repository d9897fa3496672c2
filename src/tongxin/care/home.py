"""What the care module puts on the home page: for who visits key persons (a grid member, a responsible cadre),
the launcher 我的走访 with how many are overdue and due this period."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tongxin.care import services
from tongxin.care.models import Enrolment, Visit
from tongxin.core import scoping


def attention(request: Any) -> list[dict[str, Any]]:
    """The launcher 我的走访 (overdue · due) for users with visits to make; nothing when they have none."""
    user = request.user
    if not (scoping.has_perm(user, Enrolment, "view") and scoping.has_perm(user, Visit, "add")):
        return []
    rows = services.due_list(user, timezone.localdate(), services.mine(user))
    if not rows:
        return []
    overdue = sum(1 for r in rows if r["rank"] == 0)
    due = sum(1 for r in rows if r["rank"] == 1)
    return [{"text": _("我的走访"), "url": reverse("care:mine"), "icon": "bi-person-walking", "launcher": True,
             "detail": _("超期 %(o)s 人 · 本期待走访 %(d)s 人") % {"o": overdue, "d": due},
             "overdue": overdue}]  # fmt: skip
