"""Shared fixtures: a small division tree with two communities and users holding roles in A only."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tongxin.core.models import ApiToken, User
from tongxin.org.models import Division, Grid, Role, RoleAssignment


@pytest.fixture(autouse=True)
def _fast_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LANGUAGE_CODE = "zh-hans"
    from tongxin.core import calendar

    calendar.invalidate()  # each test's rolled-back holiday rows must not linger in the process's calendars
    from django.core.cache import cache

    cache.clear()  # nor cached figures, versions or throttle counts of another test's rows
    yield


def division(code: str, name: str, level: str, parent: Division | None = None) -> Division:
    return Division.objects.create(code=code, name=name, level=level, parent=parent)


@pytest.fixture
def world(db):
    """Province → city → county → street → communities A (桃源) and B (另一社区), each with a grid."""
    yn = division("530000", "云南省", "province")
    km = division("530100", "昆明市", "city", yn)
    pl = division("530103", "盘龙区", "county", km)
    gl = division("530103002", "鼓楼街道", "street", pl)
    other_street = division("530103003", "东华街道", "street", pl)
    a = division("530103002001", "桃源社区", "community", gl)
    b = division("530103003001", "其他社区", "community", other_street)
    grid_a = Grid.objects.create(community=a, code="A01", name="A一网格")
    grid_b = Grid.objects.create(community=b, code="B01", name="B一网格")
    roles = {r.codename: r for r in Role.objects.all()}
    viewer_role = Role.objects.create(codename="viewer", name="只读", permissions=["*.view_*"])
    users, tokens = {}, {}

    def make_user(key, role=None, division=None, grid=None, superuser=False):
        user = User.objects.create_user(username=key, password="pw-Strong-12345", name=key, is_superuser=superuser)
        if role is not None:
            RoleAssignment.objects.create(user=user, role=role, division=division, grid=grid)
        users[key] = user
        tokens[key] = ApiToken.issue(user, "test")[1]
        return user

    make_user("admin", roles["administrator"])
    make_user("official", roles["official"], gl)
    make_user("official_view", viewer_role, a)
    make_user("director", roles["director"], a)
    make_user("director_b", roles["director"], b)
    make_user("worker", roles["worker"], a)
    make_user("grid_member", roles["grid_member"], grid=grid_a)
    make_user("host", roles["host"], a)
    make_user("nobody")
    grid_a.members.add(users["grid_member"])
    return SimpleNamespace(
        yn=yn,
        km=km,
        county=pl,
        street=gl,
        other_street=other_street,
        a=a,
        b=b,
        grid_a=grid_a,
        grid_b=grid_b,
        users=users,
        tokens=tokens,
        roles=roles,
    )
