"""Nobody locks themself out, and the platform keeps an administrator (issue 16, finding 11): one's own role
assignment is neither deleted nor changed by oneself, and the last administrator is neither removed, demoted nor
deactivated — through the API and the pages alike, each refusal in Chinese and nothing written."""

from __future__ import annotations

import json

import pytest
from django.contrib.messages import get_messages

from tongxin.core.models import ApiToken, User
from tongxin.org.models import Role, RoleAssignment


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def own(world, key: str) -> RoleAssignment:
    return RoleAssignment.objects.get(user=world.users[key])


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def manager(world):
    """A user who manages accounts and role assignments everywhere without being an administrator: the one who
    could take the last administrator's role away."""
    role = Role.objects.create(codename="org_manager", name="组织管理员", permissions=["org.*", "core.*_user"])
    user = User.objects.create_user(username="manager", password="pw-Strong-12345", name="组织管理")
    RoleAssignment.objects.create(user=user, role=role)
    return user, ApiToken.issue(user, "test")[1]


def test_a_director_cannot_delete_their_own_role_assignment_through_the_api(client, world):
    mine = own(world, "director")
    response = client.delete(f"/api/v1/org/role-assignments/{mine.pk}/", **bearer(world.tokens["director"]))
    assert response.status_code == 409
    assert "不能删除自己的角色授权" in response.json()["detail"]
    assert str(mine) in response.json()["detail"]
    assert RoleAssignment.objects.filter(pk=mine.pk).exists()
    assert client.get("/api/v1/org/role-assignments/", **bearer(world.tokens["director"])).status_code == 200


def test_a_director_still_deletes_another_users_assignment_in_their_community(client, world):
    other = own(world, "worker")
    response = client.delete(f"/api/v1/org/role-assignments/{other.pk}/", **bearer(world.tokens["director"]))
    assert response.status_code == 204
    assert not RoleAssignment.objects.filter(pk=other.pk).exists()


def test_a_director_cannot_delete_their_own_role_assignment_on_the_page(client, world):
    mine = own(world, "director")
    client.force_login(world.users["director"])
    response = client.post(f"/org/role-assignments/{mine.pk}/delete/")
    assert response.status_code == 302
    assert any("不能删除自己的角色授权" in m for m in messages_of(response))
    assert RoleAssignment.objects.filter(pk=mine.pk).exists()


def test_a_bulk_delete_holding_ones_own_assignment_deletes_nothing(client, world):
    mine, other = own(world, "director"), own(world, "worker")
    client.force_login(world.users["director"])
    response = client.post("/org/role-assignments/delete/", {"pk": [other.pk, mine.pk], "_confirm": "1"})
    assert response.status_code == 302
    assert any("未删除任何对象" in m and "不能删除自己的角色授权" in m for m in messages_of(response))
    assert RoleAssignment.objects.filter(pk__in=[mine.pk, other.pk]).count() == 2


def test_a_director_cannot_demote_their_own_assignment(client, world):
    mine = own(world, "director")
    response = client.patch(
        f"/api/v1/org/role-assignments/{mine.pk}/",
        json.dumps({"role": world.roles["worker"].pk}),
        content_type="application/json",
        **bearer(world.tokens["director"]),
    )
    assert response.status_code == 422
    assert "不能修改自己的角色授权" in response.json()["errors"]["role"][0]
    mine.refresh_from_db()
    assert mine.role.codename == "director"
    client.force_login(world.users["director"])
    data = {"user": world.users["director"].pk, "role": world.roles["worker"].pk, "division": world.a.pk}
    page = client.post(f"/org/role-assignments/{mine.pk}/edit/", data)
    assert "不能修改自己的角色授权" in str(page.context["form"].errors["role"])
    mine.refresh_from_db()
    assert mine.role.codename == "director"


def test_the_last_administrators_role_is_neither_removed_nor_demoted(client, world, manager):
    _user, token = manager
    admin_role = own(world, "admin")
    response = client.delete(f"/api/v1/org/role-assignments/{admin_role.pk}/", **bearer(token))
    assert response.status_code == 409
    assert "最后一位系统管理员" in response.json()["detail"]
    response = client.patch(
        f"/api/v1/org/role-assignments/{admin_role.pk}/",
        json.dumps({"role": world.roles["official"].pk, "division": world.county.pk}),
        content_type="application/json",
        **bearer(token),
    )
    assert response.status_code == 422
    assert "最后一位系统管理员" in response.json()["errors"]["role"][0]
    admin_role.refresh_from_db()
    assert admin_role.role.codename == "administrator"


def test_an_administrator_may_go_once_another_has_the_role(client, world, manager):
    _user, token = manager
    admin_role = own(world, "admin")
    RoleAssignment.objects.create(user=world.users["official"], role=world.roles["administrator"])
    response = client.delete(f"/api/v1/org/role-assignments/{admin_role.pk}/", **bearer(token))
    assert response.status_code == 204


def test_the_last_administrator_is_not_deactivated_and_nobody_deactivates_themself(client, world, manager):
    user, _token = manager
    client.force_login(user)
    admin = world.users["admin"]
    data = {"username": admin.username, "name": admin.name, "phone": "", "is_active": ""}
    page = client.post(f"/core/users/{admin.pk}/edit/", data)
    assert "最后一位系统管理员" in str(page.context["form"].errors["is_active"])
    admin.refresh_from_db()
    assert admin.is_active
    page = client.post(f"/core/users/{user.pk}/edit/", {"username": "manager", "name": "组织管理", "is_active": ""})
    assert "不能停用自己的账户" in str(page.context["form"].errors["is_active"])
    user.refresh_from_db()
    assert user.is_active
