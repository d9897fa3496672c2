"""What the platform itself puts on the home page: unread notifications and imports waiting for confirmation."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from tongxin.core.models import ImportJob, Notification


def attention(request: Any) -> list[dict[str, str]]:
    """Home-page items: the unread notifications first, then the user's checked imports still to confirm."""
    items = []
    unread = Notification.objects.filter(user=request.user, read_at__isnull=True).count()
    if unread:
        items.append({"text": _("%(n)s 条未读通知") % {"n": unread}, "url": reverse("core:notifications")})
    for job in ImportJob.objects.filter(user=request.user, status=ImportJob.Status.PREVIEW)[:5]:
        items.append({"text": _("导入“%(f)s”已校验，待确认") % {"f": job.file_name}, "url": job.get_absolute_url()})
    return items
