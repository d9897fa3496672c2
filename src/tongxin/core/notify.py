"""Notifications: an in-app inbox row always, plus pluggable channels (e-mail, SMS) that are off by default.

A backend is a class with ``send(user, message, url)``; list their dotted paths in ``TONGXIN_NOTIFY_BACKENDS``.
The inbox row is written in the caller's transaction (it rolls back with it); every other channel is queued in
the outbox (:mod:`tongxin.core.outbox`) and sent by the worker after commit, retried when the channel fails, so a
channel's outage never breaks the workflow step that notified and a rolled-back step never sends anything.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import send_mail
from django.db import models
from django.utils.module_loading import import_string

from tongxin.core import outbox
from tongxin.core.models import Notification

log = logging.getLogger(__name__)


class EmailBackend:
    """Send the message by e-mail (Django's ``EMAIL_*`` settings) to users who have an address."""

    def send(self, user: Any, message: str, url: str) -> None:
        if user.email:
            send_mail(str(settings.TONGXIN_SITE_NAME), f"{message}\n{url}", None, [user.email], fail_silently=False)


class LogSmsBackend:
    """An SMS channel for development: writes what would be sent to the log (replace with a gateway's backend)."""

    def send(self, user: Any, message: str, url: str) -> None:
        if user.phone:
            log.info("SMS to %s: %s", user.phone, message)


def deliver(payload: dict[str, Any]) -> None:
    """Send one queued notification through its channel (run by the worker after commit; an error is retried)."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=payload["user"], is_active=True).first()
    if user is not None:
        import_string(payload["backend"])().send(user, payload["message"], payload["url"])


def notify(
    users: Iterable[Any], kind: str, message: str, *, obj: models.Model | None = None, url: str = ""
) -> list[Notification]:
    """Tell each user (once, even if listed twice): an inbox row, then every configured channel."""
    seen: set[int] = set()
    targets = []
    for user in users:
        if user is not None and user.pk not in seen and user.is_active:
            seen.add(user.pk)
            targets.append(user)
    if not targets:
        return []
    if obj is not None and not url:
        url = obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else ""
    ct = ContentType.objects.get_for_model(obj, for_concrete_model=False) if obj is not None else None
    rows = Notification.objects.bulk_create(
        [
            Notification(
                user=u,
                kind=kind,
                message=message[:500],
                url=url,
                content_type=ct,
                object_id=str(obj.pk) if obj is not None else "",
            )
            for u in targets
        ]
    )
    link = settings.SITE_URL + url if url.startswith("/") else url  # other channels need the whole address
    # sent after commit by the worker: never for a write that rolled back
    outbox.queue(
        "tongxin.core.notify.deliver",
        [
            {"backend": path, "user": user.pk, "message": message, "url": link}
            for path in settings.NOTIFY_BACKENDS
            for user in targets
        ],
    )
    return rows


def unread_count(user: Any) -> int:
    """How many unread notifications the user has (the badge in the menu bar)."""
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
