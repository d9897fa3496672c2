"""Filters with thousands of choices (a county's groups, grids, party branches; a case list's meetings and
assignees) are text inputs with scoped suggestions, not <select>s listing every choice (issue 17: a 610 KB list
page spent 1.35 s rendering 9,063 <option>s). The query parameter stays the choice's key, so links keep working;
without JavaScript a typed name or code that one choice matches works too."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.registry.helpers import pid
from tongxin.cases.models import Category, Meeting
from tongxin.core import forms as core_forms
from tongxin.org.models import Grid
from tongxin.registry.models import Person

PERSONS = reverse("registry:person_list")


def client_for(world, key: str) -> Client:
    client = Client()
    client.force_login(world.users[key])
    return client


def many_grids(community, n: int, prefix: str = "G") -> list[Grid]:
    """``n`` more grids in ``community``, named 第N网格 with codes G001…"""
    return Grid.objects.bulk_create(
        [Grid(community=community, code=f"{prefix}{i:03d}", name=f"{community.name}第{i}网格") for i in range(1, n + 1)]
    )


def select_options(html: str, name: str) -> int:
    """How many <option>s the <select name=...> of the page has (0 without such a select)."""
    match = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    return match.group(1).count("<option") if match else 0


@pytest.fixture
def residents(world):
    grids = many_grids(world.a, 150)
    people = [
        Person.objects.create(community=world.a, grid=grids[i], name=f"居民{i}", id_number=pid("1980-01-01", 2 * i + 1))
        for i in range(3)
    ]
    return grids, people


def test_a_filter_with_many_choices_is_a_suggestion_input_not_a_select(world, residents):
    html = client_for(world, "official").get(PERSONS).content.decode()
    assert 'data-suggest="grid"' in html and 'list="id_grid-choices"' in html
    assert select_options(html, "grid") == 0
    assert html.count("第1") < 5  # the 150 grid names are not in the page


def test_a_filter_with_few_choices_stays_a_select(world, residents):
    html = client_for(world, "director_b").get(PERSONS).content.decode()  # community B: one grid
    assert select_options(html, "grid") == 2  # 全部 + B一网格
    assert 'data-suggest="grid"' not in html


def test_the_page_does_not_grow_with_the_choices(world, residents):
    client = client_for(world, "official")
    client.get(PERSONS)
    with CaptureQueriesContext(connection) as before:
        small = len(client.get(PERSONS).content)
    many_grids(world.a, 900, prefix="H")
    with CaptureQueriesContext(connection) as after:
        large = len(client.get(PERSONS).content)
    assert len(after) == len(before)
    assert abs(large - small) < 200  # 900 more grids: the same page, the same queries


def test_a_link_with_the_key_still_filters_and_shows_the_choice(world, residents):
    grids, people = residents
    response = client_for(world, "official").get(PERSONS, {"grid": grids[1].pk})
    html = response.content.decode()
    assert [p.name for p in response.context["table"].rows] == [people[1].name]
    assert f'value="{grids[1].pk}"' in html and f"桃源社区 · {grids[1].name}" in html


def test_a_typed_name_that_one_choice_matches_filters_without_javascript(world, residents):
    _grids, people = residents
    response = client_for(world, "official").get(PERSONS, {"grid": "桃源社区第2网格"})
    assert [p.name for p in response.context["table"].rows] == [people[1].name]
    assert not response.context["filterset"].form.errors


def test_a_typed_name_that_several_choices_match_is_refused_with_examples(world, residents):
    response = client_for(world, "official").get(PERSONS, {"grid": "第1"})
    errors = response.context["filterset"].form.errors["grid"][0]
    assert "匹配多项" in errors and "桃源社区 · 桃源社区第1网格" in errors
    assert response.context["page"].paginator.count == 3  # an invalid filter leaves the list unfiltered


def test_suggestions_are_scoped_and_at_most_twenty(world, residents):
    many_grids(world.b, 5, prefix="B")
    data = client_for(world, "official").get(PERSONS, {"suggest": "grid", "q": "网格"}).json()["results"]
    assert len(data) == core_forms.SUGGEST_LIMIT
    assert all(item["label"].startswith("桃源社区 · ") for item in data)  # never community B's (another street)
    b_grid = client_for(world, "director_b").get(PERSONS, {"suggest": "grid", "q": "第1"}).json()["results"]
    assert [item["label"] for item in b_grid] == ["其他社区 · 其他社区第1网格"]


def test_suggestions_match_every_word_in_the_name_or_the_community(world, residents):
    grids, _people = residents
    results = client_for(world, "official").get(PERSONS, {"suggest": "grid", "q": "桃源 第150"}).json()["results"]
    assert results == [{"value": str(grids[149].pk), "label": f"桃源社区 · {grids[149].name}"}]


def test_suggestions_of_an_unknown_filter_are_not_found(world, residents):
    client = client_for(world, "official")
    assert client.get(PERSONS, {"suggest": "sex", "q": "1"}).status_code == 404
    assert client.get(PERSONS, {"suggest": "nothing", "q": "1"}).status_code == 404


def test_suggestions_need_the_right_to_see_the_list(world, residents):
    response = client_for(world, "nobody").get(PERSONS, {"suggest": "grid", "q": "网格"})
    assert response.status_code == 403


def test_the_case_list_offers_its_meetings_by_suggestion(world):
    Meeting.objects.bulk_create(
        [Meeting(community=world.a, date="2026-01-01", topic=f"第{i}次民情恳谈会") for i in range(1, 121)]
    )
    client = client_for(world, "director")
    cases = reverse("cases:case_list")
    html = client.get(cases).content.decode()
    assert 'data-suggest="meeting"' in html and select_options(html, "meeting") == 0
    found = client.get(cases, {"suggest": "meeting", "q": "第120次"}).json()["results"]
    assert [item["label"] for item in found] == ["桃源社区 · 2026-01-01 第120次民情恳谈会"]
    assert Category.objects.exists()  # the default categories: a select of its own, small
