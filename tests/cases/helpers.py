"""Shared helpers of the case tests."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from tongxin.cases import services
from tongxin.cases.models import Category

TZ = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime.datetime:
    """An aware Beijing time from ``YYYY-MM-DD HH:MM``."""
    return datetime.datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=TZ)


def category(code: str) -> Category:
    return Category.objects.get(code=code, community__isnull=True)


def report(world, user_key="grid_member", code="sanitation", **extra):
    """Report a case in community A's grid as ``user_key``."""
    fields = {
        "community": world.a,
        "grid": world.grid_a,
        "category": category(code),
        "description": extra.pop("description", "楼下垃圾堆放三天无人清运"),
        "address": extra.pop("address", "桃源社区3栋门口"),
    }
    fields.update(extra)
    return services.report(world.users[user_key], **fields)
