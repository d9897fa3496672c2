"""What the cases module puts on the home page: the user's open tasks and, for dispatchers, overdue cases."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tongxin.cases.models import Case
from tongxin.core import scoping


def attention(request: Any) -> list[dict[str, str]]:
    """Home-page items: my open cases (and how many are overdue); overdue cases on the board."""
    user = request.user
    if not scoping.has_perm(user, Case, "view"):
        return []
    items = []
    now = timezone.now()
    mine = scoping.restrict(Case.objects.filter(assignee=user, status__in=Case.OPEN_STATUSES), user, "view")
    count = mine.count()
    if count:
        late = mine.filter(due_at__lt=now, status__in=Case.RUNNING_STATUSES).count()
        text = _("我承办的事件 %(n)s 件未办结") % {"n": count}
        if late:
            text += _("，其中 %(n)s 件已超期") % {"n": late}
        items.append({"text": text, "url": reverse("cases:mine")})
    if scoping.has_perm(user, Case, "assign"):
        running = Case.objects.filter(status__in=Case.RUNNING_STATUSES, due_at__lt=now)
        overdue = scoping.restrict(running, user, "assign").count()
        if overdue:
            items.append({"text": _("辖区 %(n)s 件事件已超期") % {"n": overdue}, "url": reverse("cases:board")})
    return items
