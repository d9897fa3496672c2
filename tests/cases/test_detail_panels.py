"""A person's page lists the cases they reported or are involved in, a household's page its members' cases
(issue 17, defect 12): the cases module adds the panels through core.hooks ``detail_panels``; only the cases
the user may view, the latest few, with a link to the case list filtered the same way."""

from __future__ import annotations

import re

import pytest

from tongxin.registry.models import Household, Person

from .helpers import at, report


@pytest.fixture
def family(world):
    """A household of community A (grid A) with two members, and a neighbour."""
    home = Household.objects.create(community=world.a, grid=world.grid_a, number="0101", address="幸福路1号")
    mother = Person.objects.create(community=world.a, grid=world.grid_a, household=home, name="王芳")
    son = Person.objects.create(community=world.a, grid=world.grid_a, household=home, name="王小明")
    neighbour = Person.objects.create(community=world.a, grid=world.grid_a, name="李四")
    return {"home": home, "mother": mother, "son": son, "neighbour": neighbour}


def panel(client, world, url, panel_id, key="director"):
    """The panel's case links (in order), its count badge and its 全部 link, from the page."""
    client.force_login(world.users[key])
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    match = re.search(rf'<div class="card mt-3 tx-detail-panel" id="{panel_id}">(.*?)</ul>', html, re.S)
    if match is None:
        return None
    body = match.group(1)
    count = re.search(r'<span class="badge text-bg-secondary">(\d+)</span>', body).group(1)
    more = re.search(r'<a class="small" href="([^"]+)">', body)
    return re.findall(r'<a href="/cases/cases/(\d+)/"', body), int(count), more.group(1) if more else None


def case_list(client, world, url, key="director"):
    """The pks of the case list at ``url`` (the panel's 全部 link)."""
    client.force_login(world.users[key])
    response = client.get(url)
    assert response.status_code == 200
    return [c.pk for c in response.context["table"].rows]


def test_a_persons_page_lists_the_cases_they_reported_or_are_involved_in(client, world, family):
    reported = report(world, reporter_person=family["mother"], reported_at=at("2026-03-02 09:00"))
    involved = report(world, persons=[family["mother"], family["neighbour"]], reported_at=at("2026-03-01 09:00"))
    other = report(world, reporter_person=family["neighbour"])
    pks, count, more = panel(client, world, family["mother"].get_absolute_url(), "person-cases")
    assert pks == [str(reported.pk), str(involved.pk)]  # the latest first
    assert count == 2
    assert set(case_list(client, world, more)) == {reported.pk, involved.pk}
    assert other.pk not in case_list(client, world, more)
    page = client.get(family["mother"].get_absolute_url()).content.decode()
    assert "反映人" in page and "涉及" in page


def test_a_households_page_lists_its_members_cases(client, world, family):
    by_mother = report(world, reporter_person=family["mother"], reported_at=at("2026-03-01 09:00"))
    about_son = report(world, persons=[family["son"]], reported_at=at("2026-03-02 09:00"))
    report(world, reporter_person=family["neighbour"])
    pks, count, more = panel(client, world, family["home"].get_absolute_url(), "household-cases")
    assert pks == [str(about_son.pk), str(by_mother.pk)]
    assert count == 2
    assert set(case_list(client, world, more)) == {by_mother.pk, about_son.pk}


def test_a_person_without_cases_gets_an_empty_panel(client, world, family):
    pks, count, more = panel(client, world, family["son"].get_absolute_url(), "person-cases")
    assert (pks, count, more) == ([], 0, None)
    assert "暂无相关事件" in client.get(family["son"].get_absolute_url()).content.decode()


def test_an_anonymous_report_is_not_shown_as_the_reporters(client, world, family):
    anonymous = report(world, reporter_person=family["mother"], anonymous=True)
    assert panel(client, world, family["mother"].get_absolute_url(), "person-cases")[:2] == ([], 0)
    assert panel(client, world, family["home"].get_absolute_url(), "household-cases")[:2] == ([], 0)
    assert anonymous.pk not in case_list(client, world, f"/cases/cases/?person={family['mother'].pk}")


def test_only_the_cases_the_user_may_view_are_listed(client, world, family):
    in_grid = report(world, reporter_person=family["mother"])
    # a case of the community outside any grid: the director sees it, the grid member of grid A does not
    outside = report(world, user_key="director", grid=None, reporter_person=family["mother"])
    url = family["mother"].get_absolute_url()
    assert set(panel(client, world, url, "person-cases")[0]) == {str(in_grid.pk), str(outside.pk)}
    pks, count, more = panel(client, world, url, "person-cases", key="grid_member")
    assert (pks, count) == ([str(in_grid.pk)], 1)
    assert case_list(client, world, more, key="grid_member") == [in_grid.pk]


def test_the_panel_shows_the_latest_ten_and_links_to_all(client, world, family):
    cases = [
        report(world, reporter_person=family["mother"], reported_at=at(f"2026-03-{day:02d} 09:00"))
        for day in range(1, 13)
    ]
    pks, count, more = panel(client, world, family["mother"].get_absolute_url(), "person-cases")
    assert pks == [str(c.pk) for c in reversed(cases)][:10]
    assert count == 12
    assert "共 12 条" in client.get(family["mother"].get_absolute_url()).content.decode()
    assert len(case_list(client, world, more)) == 12


def test_other_detail_pages_get_no_case_panel(client, world, family):
    client.force_login(world.users["director"])
    response = client.get(f"/org/divisions/{world.a.pk}/")
    assert response.status_code == 200
    assert "tx-detail-panel" not in response.content.decode()
