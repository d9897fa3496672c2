"""Lookups of personal data: a search by a full ID number or phone (or their last digits) tells whether that
number belongs to someone, which is how a masked number is completed by trying each possibility (an official
recovered a masked phone with 7,040 searches in 7 minutes). Each such lookup is written to the access log
(with the query masked), limited per user and per client address over a sliding window, and the first lookup
refused in a window tells the administrators (in-app, and by the configured channels after commit).

Settings: ``PERSONAL_LOOKUP_LIMIT`` lookups per user and ``PERSONAL_LOOKUP_IP_LIMIT`` per address within
``PERSONAL_LOOKUP_WINDOW_MINUTES`` (env ``TONGXIN_LOOKUP_LIMIT``, ``TONGXIN_LOOKUP_IP_LIMIT``,
``TONGXIN_LOOKUP_WINDOW_MINUTES``). The per-user count is the access log itself (shared by every process); the
per-address count lives in the cache (Redis when configured).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.errors import HttpError

from tongxin.core import privacy
from tongxin.core.models import AccessLog, Actor


class Throttled(HttpError):
    """Too many lookups of personal data: 429 in the API; a page shows ``exc.message`` and searches on without
    the lookup."""

    def __init__(self, message: str):
        super().__init__(429, message)


def _window() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.PERSONAL_LOOKUP_WINDOW_MINUTES)


def client_ip(request: Any) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or behind a reverse proxy (``settings.BEHIND_PROXY``) the last entry
    of ``X-Forwarded-For``, the one the proxy appended (the entries before it are the client's to forge).
    None when there is no request or the value is not an IP address. The login and lookup throttles use it."""
    if request is None:
        return None
    address = request.META.get("REMOTE_ADDR") or ""
    if settings.BEHIND_PROXY:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        address = forwarded[-1] if forwarded else address
    try:
        validate_ipv46_address(address)
    except ValidationError:
        return None
    return address


def personal_lookup(request: Any, model: type[models.Model], fields: list[str], query: str, hits: int = 0) -> None:
    """Record one lookup of ``model``'s personal ``fields`` by ``query`` for the request's user, or raise
    :class:`Throttled` (the refusal is logged too) when the user or their address is over the limit."""
    user: Actor = request.user
    now = timezone.now()
    since = now - _window()
    recent = AccessLog.objects.filter(user=user, action=AccessLog.Action.LOOKUP, time__gte=since)
    used = recent.exclude(detail__startswith=REFUSED).count()
    ip = client_ip(request) or ""
    ip_key = f"tongxin:lookup:{ip}:{int(now.timestamp() // _window().total_seconds())}"
    ip_used = cache.get(ip_key, 0) if ip else 0
    over_user = used >= settings.PERSONAL_LOOKUP_LIMIT
    over_ip = ip_used >= settings.PERSONAL_LOOKUP_IP_LIMIT
    shown = privacy.mask(query) if any(ch.isdigit() for ch in query) else query
    if over_user or over_ip:
        first = not recent.filter(detail__startswith=REFUSED).exists()
        _log(user, model, fields, f"{REFUSED} {shown} {ip}".strip(), 0)
        if first:
            _alert(user, used if over_user else ip_used, ip)
        raise Throttled(
            _("按身份证号或电话查询过于频繁（%(n)s 分钟内已查询 %(used)s 次），请稍后再试；已记录并通知管理员。")
            % {"n": settings.PERSONAL_LOOKUP_WINDOW_MINUTES, "used": max(used, ip_used)}
        )
    if ip:
        cache.add(ip_key, 0, timeout=int(_window().total_seconds()) * 2)
        try:
            cache.incr(ip_key)
        except ValueError:  # expired between add and incr
            cache.set(ip_key, 1, timeout=int(_window().total_seconds()) * 2)
    _log(user, model, fields, f"{shown} {ip}".strip(), hits)


#: the start of the detail of a refused lookup in the access log
REFUSED = "超限已拒绝"


def _log(user: Actor, model: type[models.Model], fields: list[str], detail: str, hits: int) -> None:
    from tongxin.core import audit

    with audit.acting_as(user):
        audit.log_access(model, AccessLog.Action.LOOKUP, fields=fields, row_count=hits, detail=detail[:500])


def _alert(user: Actor, count: int, ip: str) -> None:
    """Tell the administrators (superusers and holders of the administrator role) about a burst of lookups."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    from tongxin.core import notify

    admins = get_user_model().objects.filter(
        Q(is_superuser=True) | Q(role_assignments__role__codename="administrator"), is_active=True
    )
    message = _("用户 %(u)s（地址 %(ip)s）在 %(n)s 分钟内按身份证号或电话查询 %(c)s 次，已被暂停查询，请核查。") % {
        "u": user.get_username(),
        "ip": ip or "—",
        "n": settings.PERSONAL_LOOKUP_WINDOW_MINUTES,
        "c": count,
    }
    notify.notify(admins.distinct(), "personal_lookup_burst", message, url="/core/access-logs/?action=lookup")
