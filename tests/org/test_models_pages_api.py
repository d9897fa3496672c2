"""Generic page/API tests for the organisation models (scoping, permissions, audit, query counts)."""

import itertools

from tongxin.core.models import ObjectChange, User
from tongxin.core.testing import ModelTestCase
from tongxin.org.models import Division, Grid, RoleAssignment
from tongxin.org.views import DivisionViewSet, GridViewSet, RoleAssignmentViewSet

_seq = itertools.count(1)


class TestDivision(ModelTestCase):
    viewset = DivisionViewSet

    def make(self, world, community):
        n = next(_seq)
        return Division.objects.create(
            code=f"{community.code}{n:03d}", name=f"第{n}居民小组", level="group", parent=community
        )


class TestGrid(ModelTestCase):
    viewset = GridViewSet
    bulk_edit = ("description", "已于本月完成网格调整")

    def make(self, world, community):
        n = next(_seq)
        return Grid.objects.create(community=community, code=f"G{n:03d}", name=f"网格{n}")

    def valid_data(self, world, community):
        n = next(_seq)
        return {"community": community.pk, "code": f"N{n}", "name": f"新网格{n}", "description": "试点"}


class TestRoleAssignment(ModelTestCase):
    viewset = RoleAssignmentViewSet

    def make(self, world, community):
        n = next(_seq)
        user = User.objects.create_user(username=f"u{n}", password="x-Strong-12345")
        return RoleAssignment.objects.create(user=user, role=world.roles["worker"], division=community)

    def valid_data(self, world, community):
        n = next(_seq)
        user = User.objects.create_user(username=f"new{n}", password="x-Strong-12345")
        return {"user": user.pk, "role": world.roles["worker"].pk, "division": community.pk}


def test_grid_bulk_edit_changes_only_rows_in_scope_and_is_audited(client, world):
    mine, foreign = world.grid_a, world.grid_b
    client.force_login(world.users["director"])
    response = client.post("/org/grids/edit/", {"pk": [mine.pk, foreign.pk], "description": "已核查", "_apply": "1"})
    assert response.status_code == 302
    mine.refresh_from_db()
    foreign.refresh_from_db()
    assert mine.description == "已核查"
    assert foreign.description == ""
    change = ObjectChange.objects.filter(object_id=str(mine.pk), action="update").latest("time")
    assert change.prechange_data["description"] == "" and change.postchange_data["description"] == "已核查"


def test_boolean_filters_offer_all_yes_no_not_unknown(client, world):
    client.force_login(world.users["director"])
    page = client.get("/org/grids/").content.decode()
    assert "未知" not in page
    red = client.get("/org/grids/").context["filterset"].form["red"]
    assert [str(label) for _v, label in red.field.widget.choices] == ["全部", "是", "否"]
