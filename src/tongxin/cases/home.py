"""What the cases module puts on the home page: for who reports in the field (may add cases, does not dispatch
them), a launcher (上报事件 as a big button, 我的任务 with its open and overdue counts); for others their open
tasks and, for dispatchers, overdue cases.

Home items are ``{"text", "url"}``; a launcher item also carries ``launcher: True``, an ``icon``, an optional
``detail`` line and ``primary`` for the one big button (core/home.html shows launchers first, as buttons)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tongxin.cases.models import Case
from tongxin.core import scoping


def attention(request: Any) -> list[dict[str, Any]]:
    """Home-page items: the launcher of who reports in the field (上报事件, 我的任务 with counts), else my open
    cases (and how many are overdue); overdue cases on the board for dispatchers."""
    user = request.user
    if not scoping.has_perm(user, Case, "view"):
        return []
    items: list[dict[str, Any]] = []
    now = timezone.now()
    mine = scoping.restrict(Case.objects.filter(assignee=user, status__in=Case.OPEN_STATUSES), user, "view")
    count = mine.count()
    late = mine.filter(due_at__lt=now, status__in=Case.RUNNING_STATUSES).count() if count else 0
    dispatcher = scoping.has_perm(user, Case, "assign")
    if scoping.has_perm(user, Case, "add") and not dispatcher:  # a grid member or worker in the field
        items.append(
            {
                "text": _("上报事件"),
                "url": reverse("cases:report"),
                "icon": "bi-camera",
                "detail": _("拍照上报网格内发现的问题"),
                "launcher": True,
                "primary": True,
            }
        )
        items.append(
            {
                "text": _("我的任务"),
                "url": reverse("cases:mine"),
                "icon": "bi-list-check",
                "detail": _("未办结 %(n)s 件 · 已超期 %(late)s 件") % {"n": count, "late": late},
                "open": count,
                "overdue": late,
                "launcher": True,
            }
        )
    elif count:
        text = _("我承办的事件 %(n)s 件未办结") % {"n": count}
        if late:
            text += _("，其中 %(n)s 件已超期") % {"n": late}
        items.append({"text": text, "url": reverse("cases:mine")})
    if dispatcher:
        running = Case.objects.filter(status__in=Case.RUNNING_STATUSES, due_at__lt=now)
        overdue = scoping.restrict(running, user, "assign").count()
        if overdue:
            items.append({"text": _("辖区 %(n)s 件事件已超期") % {"n": overdue}, "url": reverse("cases:board")})
    return items
