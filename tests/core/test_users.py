"""User accounts: scoped pages, creation with a first role, passwords, audit without secrets."""

import itertools

from tongxin.core.models import ObjectChange, User
from tongxin.core.testing import ModelTestCase
from tongxin.core.views.users import UserViewSet
from tongxin.org.models import RoleAssignment

_seq = itertools.count(1)
PASSWORD = "Qingshui-River-2026"


class TestUser(ModelTestCase):
    viewset = UserViewSet

    def make(self, world, community):
        n = next(_seq)
        user = User.objects.create_user(username=f"acct{n}", password=PASSWORD, name=f"账号{n}")
        RoleAssignment.objects.create(user=user, role=world.roles["worker"], division=community)
        return user

    def valid_data(self, world, community):
        n = next(_seq)
        return {
            "username": f"new{n}",
            "name": "新同事",
            "phone": "13800000000",
            "is_active": "on",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "role": world.roles["worker"].pk,
            "division": community.pk,
        }


def test_new_account_gets_its_first_role_and_can_log_in(client, world):
    client.force_login(world.users["director"])
    data = TestUser().valid_data(world, world.a)
    assert client.post("/core/users/add/", data).status_code == 302
    user = User.objects.get(username=data["username"])
    assert user.check_password(PASSWORD)
    assert list(user.role_assignments.values_list("role__codename", "division_id")) == [("worker", world.a.pk)]
    change = ObjectChange.objects.get(object_id=str(user.pk), content_type__model="user", action="create")
    assert change.community_id == world.a.pk  # the director sees it in the change log
    assert "password" not in change.postchange_data
    assert change.postchange_data["phone"] != "13800000000"  # personal data is masked in the log
    client.logout()
    assert client.post("/login/", {"username": data["username"], "password": PASSWORD}).status_code == 302


def test_grid_member_account_is_granted_at_the_grid_and_joins_it(client, world):
    client.force_login(world.users["director"])
    data = {
        **TestUser().valid_data(world, world.a),
        "role": world.roles["grid_member"].pk,
        "division": "",
        "grid": world.grid_a.pk,
    }
    assert client.post("/core/users/add/", data).status_code == 302
    user = User.objects.get(username=data["username"])
    assert user.role_assignments.get().grid == world.grid_a
    assert world.grid_a.members.filter(pk=user.pk).exists()


def test_bad_account_data_is_reported_per_field_and_nothing_is_created(client, world):
    client.force_login(world.users["director"])
    before = User.objects.count()
    data = {**TestUser().valid_data(world, world.a), "password2": "different-Pass-1"}
    form = client.post("/core/users/add/", data).context["form"]
    assert "两次输入的密码不一致" in form.errors["password2"][0]
    data = {**TestUser().valid_data(world, world.a), "password1": "123", "password2": "123"}
    assert "password1" in client.post("/core/users/add/", data).context["form"].errors
    data = {**TestUser().valid_data(world, world.a), "role": world.roles["administrator"].pk}
    assert "role" in client.post("/core/users/add/", data).context["form"].errors
    data = {**TestUser().valid_data(world, world.a), "division": ""}
    assert "division" in client.post("/core/users/add/", data).context["form"].errors
    assert User.objects.count() == before


def test_editing_keeps_the_password_unless_a_new_one_is_typed(client, world):
    target = TestUser().make(world, world.a)
    client.force_login(world.users["director"])
    data = {"username": target.username, "name": "改名", "phone": "", "is_active": "on"}
    assert client.post(f"/core/users/{target.pk}/edit/", data).status_code == 302
    target.refresh_from_db()
    assert target.name == "改名" and target.check_password(PASSWORD)
    new = "Another-Strong-Pass-9"
    data.update(password1=new, password2=new, is_active="")
    assert client.post(f"/core/users/{target.pk}/edit/", data).status_code == 302
    target.refresh_from_db()
    assert target.check_password(new) and not target.is_active
    logged = ObjectChange.objects.filter(object_id=str(target.pk), content_type__model="user", action="update")
    assert all("password" not in (c.postchange_data or {}) for c in logged)


def test_unassigned_accounts_are_visible_to_directors_but_not_editable(client, world):
    stray = User.objects.create_user(username="stray", password=PASSWORD)
    client.force_login(world.users["director"])
    rows = list(client.get("/core/users/", {"unassigned": "true"}).context["table"].rows)
    assert stray in rows
    assert client.get(f"/core/users/{stray.pk}/edit/").status_code == 404


def test_grid_members_see_only_their_grid_colleagues(client, world):
    client.force_login(world.users["grid_member"])
    rows = list(client.get("/core/users/", {"per_page": 500}).context["table"].rows)
    assert rows == [world.users["grid_member"]]


def test_logging_in_writes_no_change_log_entry(client, world):
    before = ObjectChange.objects.count()
    client.post("/login/", {"username": "director", "password": "pw-Strong-12345"})
    assert ObjectChange.objects.count() == before
