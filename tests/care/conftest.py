"""Fixtures of the care tests: a user who may view (and see sensitive care data) in community A but not write."""

from __future__ import annotations

import pytest

from tongxin.core.models import ApiToken, User
from tongxin.org.models import Role, RoleAssignment


@pytest.fixture(autouse=True)
def care_viewer(world):
    """``care_viewer``: view, export and the sensitive permission in community A, no reveal nor writes."""
    role = Role.objects.create(
        codename="care_viewer", name="关爱只读", permissions=["*.view_*", "*.export_*", "care.sensitive_*"]
    )
    user = User.objects.create_user(username="care_viewer", password="pw-Strong-12345", name="关爱只读")
    RoleAssignment.objects.create(user=user, role=role, division=world.a)
    world.users["care_viewer"] = user
    world.tokens["care_viewer"] = ApiToken.issue(user, "test")[1]
    return user
