"""The scoping rules: what each role sees and may do on the division tree, and the rules of granting."""

from __future__ import annotations

import itertools

import pytest
from django.urls import reverse

from tongxin.core import scoping
from tongxin.core.models import Holiday, ObjectChange, User
from tongxin.org.forms import RoleAssignmentForm
from tongxin.org.models import Division, Grid, Role, RoleAssignment


@pytest.fixture
def more(world):
    """A second community under the same street as A, and a second grid in A."""
    a2 = Division.objects.create(code="530103002002", name="金星社区", level="community", parent=world.street)
    grid_a2 = Grid.objects.create(community=world.a, code="A02", name="A二网格")
    grid_a2b = Grid.objects.create(community=a2, code="J01", name="金星一网格")
    return type("More", (), {"a2": a2, "grid_a2": grid_a2, "grid_j": grid_a2b})


def fresh(user: User) -> User:
    """The same user without cached grants."""
    return User.objects.get(pk=user.pk)


def communities(user) -> set[str]:
    return set(scoping.restrict(Division.objects.filter(level="community"), user).values_list("code", flat=True))


def grids(user, action="view") -> set[str]:
    return set(scoping.restrict(Grid, user, action).values_list("code", flat=True))


# --- unit rules ---------------------------------------------------------------------------------------


def test_path_prefixes():
    assert scoping.path_prefixes("/530000/530100/530103/") == ["/530000/", "/530000/530100/", "/530000/530100/530103/"]
    assert scoping.path_prefixes("/") == []


@pytest.mark.parametrize(
    ("patterns", "perm", "allowed"),
    [
        (("*",), "org.add_grid", True),
        (("*.view_*",), "org.view_grid", True),
        (("*.view_*",), "org.add_grid", False),
        (("*.add_*", "!org.add_grid"), "org.add_grid", False),
        (("*.add_*", "!org.add_grid"), "org.add_division", True),
        (("!org.add_grid", "*.add_*"), "org.add_grid", False),  # an exclusion wins whatever its position
        (("*.view_*", "!org.*_roleassignment"), "org.view_roleassignment", False),
        (("activities.*",), "org.view_grid", False),
        ((), "org.view_grid", False),
    ],
)
def test_grant_allows_with_exclusions(patterns, perm, allowed):
    assert scoping.Grant(patterns, "/53/", None).allows(perm) is allowed


def test_perm_name():
    assert scoping.perm_name(Grid, "add") == "org.add_grid"
    assert scoping.perm_name(ObjectChange, "view") == "core.view_objectchange"


# --- who sees what -------------------------------------------------------------------------------------


def test_street_official_sees_the_communities_of_his_street_only(world, more):
    official = world.users["official"]
    assert communities(official) == {world.a.code, more.a2.code}
    assert grids(official) == {"A01", "A02", "J01"}
    assert not scoping.can(official, world.b, "view")
    assert not scoping.can(official, world.grid_b, "view")
    assert scoping.can(official, more.a2, "view")
    # an official views but does not edit grids
    assert grids(official, "change") == set()
    assert not scoping.has_perm(official, Grid, "add")


def test_grid_member_sees_only_his_grid(world, more):
    member = world.users["grid_member"]
    assert grids(member) == {"A01"}
    assert not scoping.can(member, more.grid_a2, "view")
    assert scoping.can(member, world.grid_a, "view")
    assert not scoping.has_perm(member, Grid, "change")


def test_grid_member_pages_show_only_his_grid(client, world, more):
    client.force_login(world.users["grid_member"])
    response = client.get(reverse("org:grid_list"))
    assert response.status_code == 200
    assert {g.code for g in response.context["table"].rows} == {"A01"}
    assert client.get(reverse("org:grid_detail", kwargs={"pk": more.grid_a2.pk})).status_code == 404
    assert client.get(reverse("org:grid_detail", kwargs={"pk": world.grid_a.pk})).status_code == 200
    headers = {"Authorization": f"Bearer {world.tokens['grid_member']}"}
    data = client.get("/api/v1/org/grids/", headers=headers).json()
    assert {r["code"] for r in data["results"]} == {"A01"}


def test_director_sees_his_community_only(world, more):
    director = world.users["director"]
    assert communities(director) == {world.a.code}
    assert grids(director) == {"A01", "A02"}
    assert grids(director, "change") == {"A01", "A02"}


def test_administrator_sees_everything(world, more):
    admin = world.users["admin"]
    assert scoping.scope_q(admin, Grid, "view") is None
    assert communities(admin) == set(Division.objects.filter(level="community").values_list("code", flat=True))
    assert grids(admin) == set(Grid.objects.values_list("code", flat=True))
    assert grids(admin, "delete") == grids(admin)
    assert scoping.has_perm(admin, Role, "change")
    assert scoping.restrict(Role, admin, "change").count() == Role.objects.count()


def test_superuser_without_assignment_sees_everything(world):
    boss = User.objects.create_user(username="boss", password="x-Strong-12345", is_superuser=True)
    assert grids(boss) == {"A01", "B01"}


def test_inactive_or_anonymous_users_see_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    assert grids(AnonymousUser()) == set()
    assert grids(None) == set()
    director = fresh(world.users["director"])
    director.is_active = False
    assert grids(director) == set()
    assert grids(world.users["nobody"]) == set()


def test_exclusion_pattern_worker_cannot_add_or_change_grids(client, world):
    worker = world.users["worker"]
    assert scoping.has_perm(worker, Grid, "view")
    assert not scoping.has_perm(worker, Grid, "add")
    assert not scoping.has_perm(worker, Grid, "change")
    assert scoping.has_perm(worker, Division, "view")
    assert not scoping.has_perm(worker, ObjectChange, "view")
    assert scoping.restrict(Grid, worker, "add").count() == 0
    assert not scoping.can(worker, world.grid_a, "change")
    client.force_login(worker)
    assert client.get(reverse("org:grid_add")).status_code == 403
    assert client.get(reverse("org:grid_edit", kwargs={"pk": world.grid_a.pk})).status_code == 403
    assert client.get(reverse("org:grid_detail", kwargs={"pk": world.grid_a.pk})).status_code == 200


def test_director_is_excluded_from_national_holidays_and_divisions(world):
    director = world.users["director"]
    assert not scoping.has_perm(director, Holiday, "add")
    assert not scoping.has_perm(director, Division, "change")
    assert scoping.has_perm(director, Grid, "delete")


ACTIONS = ("view", "add", "change", "delete", "export", "import")
USERS = ("admin", "official", "official_view", "director", "director_b", "worker", "grid_member", "host", "nobody")


@pytest.mark.parametrize("key", USERS)
def test_has_perm_can_and_restrict_agree(world, more, key):
    user = world.users[key]
    objects = list(Grid.objects.all()) + list(Division.objects.all())
    for obj, action in itertools.product(objects, ACTIONS):
        model = type(obj)
        in_restrict = scoping.restrict(model, user, action).filter(pk=obj.pk).exists()
        assert scoping.can(user, obj, action) == in_restrict, (key, obj, action)
        if in_restrict:
            assert scoping.has_perm(user, model, action), (key, obj, action)
    for model, action in itertools.product((Grid, Division), ACTIONS):
        if not scoping.has_perm(user, model, action):
            assert not scoping.restrict(model, user, action).exists(), (key, model, action)


def test_two_assignments_see_the_union(world, more):
    user = User.objects.create_user(username="two", password="x-Strong-12345")
    RoleAssignment.objects.create(user=user, role=world.roles["director"], division=world.a)
    assert grids(fresh(user)) == {"A01", "A02"}
    RoleAssignment.objects.create(user=user, role=world.roles["director"], division=world.b)
    user = fresh(user)
    assert communities(user) == {world.a.code, world.b.code}
    assert grids(user) == {"A01", "A02", "B01"}
    assert grids(user, "change") == {"A01", "A02", "B01"}
    assert more.a2.code not in communities(user)


def test_union_of_different_roles_keeps_each_roles_rights_where_granted(world, more):
    user = User.objects.create_user(username="mixed", password="x-Strong-12345")
    RoleAssignment.objects.create(user=user, role=world.roles["director"], division=world.a)
    RoleAssignment.objects.create(user=user, role=world.roles["official"], division=world.other_street)
    user = fresh(user)
    assert grids(user) == {"A01", "A02", "B01"}
    assert grids(user, "change") == {"A01", "A02"}  # the official role does not change grids in B
    assert scoping.can(user, world.grid_b, "view") and not scoping.can(user, world.grid_b, "change")


def test_grants_are_cached_per_user_object(world):
    user = fresh(world.users["nobody"])
    assert grids(user) == set()
    RoleAssignment.objects.create(user=user, role=world.roles["director"], division=world.a)
    assert grids(user) == set()  # cached on the object
    scoping.clear_cache(user)
    assert grids(user) == {"A01"}


def test_allowed_divisions(world, more):
    assert set(scoping.allowed_divisions(world.users["director"], Grid, "add").values_list("code", flat=True)) == {
        world.a.code
    }
    official = set(
        scoping.allowed_divisions(world.users["official"], Grid, "view", ("community",)).values_list("code", flat=True)
    )
    assert official == {world.a.code, more.a2.code}
    assert not scoping.allowed_divisions(world.users["worker"], Grid, "add").exists()


# --- granting roles ----------------------------------------------------------------------------------------


def test_role_assignment_form_refuses_administrator_at_a_community_naming_the_level(world):
    target = User.objects.create_user(username="target", password="x-Strong-12345")
    form = RoleAssignmentForm(
        data={"user": target.pk, "role": world.roles["administrator"].pk, "division": world.a.pk},
        user=world.users["admin"],
    )
    assert not form.is_valid()
    message = " ".join(form.errors["role"])
    assert "系统管理员" in message
    assert "不能授予" in message
    assert "社区/村" in message  # the level in words
    assert "community" not in message
    assert not RoleAssignment.objects.filter(user=target).exists()


def test_role_assignment_page_refuses_administrator_at_a_community(client, world):
    target = User.objects.create_user(username="target", password="x-Strong-12345")
    client.force_login(world.users["admin"])
    response = client.post(
        reverse("org:roleassignment_add"),
        {"user": target.pk, "role": world.roles["administrator"].pk, "division": world.a.pk},
    )
    assert response.status_code == 200
    assert "不能授予" in response.content.decode()
    assert not RoleAssignment.objects.filter(user=target).exists()
    # at the county level it is allowed
    response = client.post(
        reverse("org:roleassignment_add"),
        {"user": target.pk, "role": world.roles["administrator"].pk, "division": world.county.pk},
    )
    assert response.status_code == 302
    assert RoleAssignment.objects.filter(user=target, division=world.county).exists()


def test_role_assignment_api_refuses_grant_level(client, world):
    import json

    target = User.objects.create_user(username="target", password="x-Strong-12345")
    headers = {"Authorization": f"Bearer {world.tokens['admin']}"}
    response = client.post(
        "/api/v1/org/role-assignments/",
        json.dumps({"user": target.pk, "role": world.roles["grid_member"].pk, "division": world.a.pk}),
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 422
    assert "role" in response.json()["errors"]
    assert not RoleAssignment.objects.filter(user=target).exists()


def test_director_cannot_grant_in_another_community(client, world):
    target = User.objects.create_user(username="target", password="x-Strong-12345")
    client.force_login(world.users["director"])
    response = client.post(
        reverse("org:roleassignment_add"), {"user": target.pk, "role": world.roles["worker"].pk, "division": world.b.pk}
    )
    assert response.status_code in (200, 403)
    assert not RoleAssignment.objects.filter(user=target).exists()
    response = client.post(
        reverse("org:roleassignment_add"), {"user": target.pk, "role": world.roles["worker"].pk, "division": world.a.pk}
    )
    assert response.status_code == 302
    assert RoleAssignment.objects.filter(user=target, division=world.a).exists()


@pytest.mark.django_db
def test_no_filter_of_any_list_offers_a_choice_outside_the_users_scope(rf, world):
    """Every filterset restricts its choices of scoped models (communities, grids, categories …) by construction."""
    from tongxin.core.registry import registry
    from tongxin.org.models import Division, Grid

    request = rf.get("/")
    request.user = world.users["director"]
    checked = 0
    for vs in registry.all():
        if vs.filterset is None:
            continue
        fs = vs.filterset(data={}, queryset=vs.model._default_manager.none(), request=request)
        for name, f in fs.filters.items():
            qs = getattr(f, "queryset", None)
            if qs is None or qs.model not in (Division, Grid):
                continue
            checked += 1
            pks = set(qs.values_list("pk", flat=True))
            foreign = world.b.pk if qs.model is Division else world.grid_b.pk
            assert foreign not in pks, f"{vs.__name__}.{name} offers a row of another community"
    assert checked >= 5
