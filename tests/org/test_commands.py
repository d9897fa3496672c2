"""The organisation commands: ``load_divisions`` (statistical division codes) and ``demo``."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from tongxin.core.models import ObjectChange, User
from tongxin.org.models import Division, Grid, RoleAssignment

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in (Division, Grid, User, RoleAssignment, ObjectChange)}


# --- load_divisions ------------------------------------------------------------------------------------


def test_load_divisions_panlong():
    run("load_divisions", "--county", "530103")
    county = Division.objects.get(code="530103")
    assert (county.name, county.level) == ("盘龙区", "county")
    assert county.parent.code == "530100" and county.parent.name == "昆明市" and county.parent.level == "city"
    assert county.parent.parent.code == "530000" and county.parent.parent.name == "云南省"
    assert county.parent.parent.level == "province" and county.parent.parent.parent is None
    assert county.path == "/530000/530100/530103/"
    streets = Division.objects.filter(parent=county)
    assert streets.count() == 12
    assert set(streets.values_list("level", flat=True)) == {"street"}
    below = county.descendants().filter(level="community")
    assert below.count() == 105
    assert all(d.parent.level == "street" and d.path.startswith(county.path) for d in below.select_related("parent"))
    # nothing else: no other county of Kunming, no groups
    assert Division.objects.filter(level="county").count() == 1
    assert Division.objects.filter(level="city").count() == 1
    assert Division.objects.count() == 3 + 12 + 105
    assert not Division.objects.filter(level="group").exists()
    assert Division.objects.get(code="530103002").name == "鼓楼街道"
    assert all(d.source for d in Division.objects.all())


def test_load_divisions_huaning_ningzhou():
    run("load_divisions", "--county", "530424")
    ningzhou = Division.objects.get(code="530424001")
    assert ningzhou.name == "宁州街道" and ningzhou.level == "street"
    assert ningzhou.parent.code == "530424"
    assert ningzhou.children.filter(level="community").count() == 27
    chengguan = Division.objects.get(code="530424001002")
    assert chengguan.name == "城关社区" and chengguan.level == "community" and chengguan.parent == ningzhou
    assert chengguan.full_name.endswith("宁州街道城关社区")
    assert Division.objects.get(code="530400").level == "city"  # 玉溪市


def test_load_divisions_is_idempotent():
    first = run("load_divisions", "--county", "530103")
    assert "'created': 120" in first
    before = counts()
    second = run("load_divisions", "--county", "530103")
    assert "'created': 0" in second and "'updated': 0" in second
    assert counts() == before


def test_load_divisions_repairs_a_changed_name():
    run("load_divisions", "--county", "530103")
    Division.objects.filter(code="530103002").update(name="旧名")
    out = run("load_divisions", "--county", "530103")
    assert "'created': 0" in out and "'updated': 1" in out
    assert Division.objects.get(code="530103002").name == "鼓楼街道"


def test_load_divisions_several_codes_share_ancestors():
    run("load_divisions", "--county", "530103", "--county", "530424")
    assert Division.objects.filter(code="530000").count() == 1
    assert set(Division.objects.filter(level="city").values_list("code", flat=True)) == {"530100", "530400"}


@pytest.mark.parametrize("code", ["539999", "123", "530103999999"])
def test_load_divisions_unknown_code_is_a_command_error(code):
    with pytest.raises(CommandError) as exc:
        run("load_divisions", "--county", code)
    assert code in str(exc.value)
    assert not Division.objects.exists()


# --- demo ---------------------------------------------------------------------------------------------


def test_demo_is_idempotent():
    run("demo")
    before = counts()
    assert before["Division"] > 0 and before["Grid"] == 10 and before["User"] == 10
    out = run("demo")
    assert "'created': 0" in out and "'updated': 0" in out
    assert counts() == before


def test_demo_content():
    out = run("demo")
    chengguan = Division.objects.get(code="530424001002")
    groups = Division.objects.filter(parent=chengguan, level="group")
    assert groups.count() == 10
    assert set(groups.values_list("code", flat=True)) == {f"530424001002{n:03d}" for n in range(1, 11)}
    assert groups.get(code="530424001002001").name == "第一居民小组"
    assert groups.get(code="530424001002010").name == "第十居民小组"
    taoyuan = Division.objects.get(code="530103002001")
    assert Division.objects.filter(parent=taoyuan, level="group").count() == 6
    assert Grid.objects.filter(community=taoyuan).count() == 4
    assert Grid.objects.filter(community=chengguan).count() == 6
    red = Grid.objects.get(community=chengguan, code="CG01")
    assert red.is_red_grid and red.party_member.username == "director_chengguan"
    assert list(red.members.values_list("username", flat=True)) == ["grid_chengguan"]
    director = User.objects.get(username="director_taoyuan")
    assert director.check_password("Tongxin@2026")
    assert RoleAssignment.objects.get(user=director).division == taoyuan
    grid_user = RoleAssignment.objects.get(user__username="grid_chengguan")
    assert grid_user.grid == red and grid_user.division == chengguan
    admin = RoleAssignment.objects.get(user__username="admin")
    assert admin.division is None and admin.grid is None
    assert "director_taoyuan" in out and "Tongxin@2026" in out


def test_demo_logins_work(client):
    run("demo")
    response = client.post("/login/", {"username": "director_chengguan", "password": "Tongxin@2026"})
    assert response.status_code == 302
    grids = client.get("/org/grids/", {"per_page": 100})
    assert {g.code for g in grids.context["table"].rows} == {f"CG{i:02d}" for i in range(1, 7)}
