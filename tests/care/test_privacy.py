"""Being enrolled in a programme is sensitive (issue 18, privacy): an official without the sensitive permission, a
director of another community and a grid member of another grid see no enrolment through pages, API or exports;
the grid member of the person's grid sees them (they visit them); a visit's findings are masked without it."""

from __future__ import annotations

import pytest

from tests.care.helpers import enrol, person
from tongxin.care.models import Visit
from tongxin.org.models import Grid

pytestmark = pytest.mark.django_db


def pages(client, world, key, enrolment):
    client.force_login(world.users[key])
    listing = client.get("/care/enrolments/").content.decode()
    detail = client.get(enrolment.get_absolute_url())
    export = client.get("/care/enrolments/", {"export": "csv"})
    exported = b"".join(export.streaming_content).decode("utf-8-sig") if export.status_code == 200 else ""
    headers = {"Authorization": f"Bearer {world.tokens[key]}"}
    api = client.get("/api/v1/care/enrolments/", headers=headers)
    one = client.get(f"/api/v1/care/enrolments/{enrolment.pk}/", headers=headers)
    return listing, detail.status_code, exported, api, one.status_code


@pytest.mark.parametrize("key", ["official", "director_b", "grid_b"])
def test_who_may_not_see_sensitive_care_data_sees_no_enrolment(client, world, key):
    if key == "grid_b":
        other = Grid.objects.create(community=world.a, code="A02", name="A二网格")
        from tongxin.core.models import ApiToken, User
        from tongxin.org.models import RoleAssignment

        user = User.objects.create_user(username="grid_b", password="pw-Strong-12345", name="另一网格员")
        RoleAssignment.objects.create(user=user, role=world.roles["grid_member"], grid=other)
        world.users[key], world.tokens[key] = user, ApiToken.issue(user, "test")[1]
    enrolment = enrol(world, "left_behind_elderly", notes="儿子在广东务工，老人患糖尿病")
    name = enrolment.person.name
    listing, detail, exported, api, one = pages(client, world, key, enrolment)
    assert name not in listing and "糖尿病" not in listing
    assert detail in (403, 404) and one in (403, 404)
    assert name not in exported and "糖尿病" not in exported
    assert api.status_code in (200, 403) and name not in api.content.decode()


def test_the_grid_member_of_the_persons_grid_and_the_director_see_the_enrolment(client, world):
    enrolment = enrol(world, "left_behind_elderly", notes="儿子在广东务工")
    for key in ("grid_member", "director", "worker"):
        listing, detail, _exported, _api, one = pages(client, world, key, enrolment)
        assert enrolment.person.name in listing and detail == 200 and one == 200, key


def test_a_visits_findings_are_masked_without_the_sensitive_permission(client, world):
    p = person(world.a, grid=world.grid_a)
    visit = Visit.objects.create(community=world.a, grid=world.grid_a, person=p, findings="血糖 15.2，需复查",
                                 needs="帮助预约体检")  # fmt: skip
    client.force_login(world.users["grid_member"])
    html = client.get(visit.get_absolute_url()).content.decode()
    assert "帮助预约体检" in html and "15.2" not in html  # what the visit needs, not the health result
    client.force_login(world.users["director"])
    assert "15.2" not in client.get(visit.get_absolute_url()).content.decode()  # hidden until revealed
    revealed = client.post(f"/care/visits/{visit.pk}/reveal/").content.decode()
    assert "15.2" in revealed


def test_the_change_log_hides_sensitive_rows_from_who_may_not_see_them(client, world):
    import datetime

    from tongxin.care.models import HealthCheck

    enrolment = enrol(world, "dibao")
    checked = person(world.a, "体检人")
    health = HealthCheck.objects.create(community=world.a, person=checked, checked_on=datetime.date(2026, 5, 1),
                                        systolic=171)  # fmt: skip
    client.force_login(world.users["official"])  # views the street's change log, holds no sensitive permission
    log = client.get("/core/object-changes/", {"per_page": 200}).content.decode()
    home = client.get("/").content.decode()
    for text in (log, home):
        assert str(enrolment) not in text and str(health) not in text
    assert "体检人" in log  # the resident's own record is no secret; that they were checked is
    client.force_login(world.users["director"])
    log = client.get("/core/object-changes/", {"per_page": 200}).content.decode()
    assert str(enrolment) in log and str(health) in log
