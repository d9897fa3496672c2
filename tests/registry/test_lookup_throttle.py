"""Searching by ID number or phone is a lookup of personal data (issue 16, finding 2): each is logged with the
query masked, limited per user and per address, and a burst is told to the administrators."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone

from tongxin.core.models import AccessLog, Notification
from tongxin.registry.models import Person

from .helpers import pid

PHONE = "13912345678"
LIST = "/registry/persons/"


@pytest.fixture
def resident(world, settings):
    settings.PERSONAL_LOOKUP_LIMIT = 3
    settings.PERSONAL_LOOKUP_IP_LIMIT = 5
    settings.PERSONAL_LOOKUP_WINDOW_MINUTES = 10
    from django.core.cache import cache

    cache.clear()
    return Person.objects.create(
        community=world.a,
        grid=world.grid_a,
        name="张伟",
        id_number=pid("1980-01-02", 13),
        sex="1",
        birth_date=datetime.date(1980, 1, 2),
        phone=PHONE,
    )


def names(response) -> list[str]:
    return [p.name for p in response.context["table"].rows]


def test_a_lookup_by_phone_is_logged_with_the_query_masked(client, world, resident):
    client.force_login(world.users["official"])
    assert names(client.get(LIST, {"q": PHONE})) == ["张伟"]
    entry = AccessLog.objects.get(action="lookup")
    assert entry.user == world.users["official"] and entry.fields == "phone"
    assert PHONE not in entry.detail and "139****5678" in entry.detail
    client.get(LIST, {"q": resident.id_number})
    entry = AccessLog.objects.filter(action="lookup").order_by("-pk").first()
    assert entry.fields == "id_number" and resident.id_number not in entry.detail


def test_a_search_by_name_is_not_a_lookup(client, world, resident):
    client.force_login(world.users["official"])
    assert names(client.get(LIST, {"q": "张伟"})) == ["张伟"]
    assert not AccessLog.objects.filter(action="lookup").exists()


def test_over_the_limit_the_lookup_is_refused_logged_and_the_administrators_told_once(client, world, resident):
    client.force_login(world.users["official"])
    for n in range(3):
        assert names(client.get(LIST, {"q": f"1391234{n:04d}"})) == []  # trying completions of a masked phone
    refused = client.get(LIST, {"q": PHONE})
    assert names(refused) == []  # the number is not looked up: its owner is not found
    assert "过于频繁" in refused.content.decode()
    assert names(client.get(LIST, {"q": "张伟"})) == ["张伟"]  # searching by name goes on
    client.get(LIST, {"q": PHONE})
    assert AccessLog.objects.filter(action="lookup", detail__startswith="超限已拒绝").count() == 2
    told = Notification.objects.filter(kind="personal_lookup_burst")
    assert [n.user for n in told] == [world.users["admin"]]  # once, to the administrator
    assert "official" in told.get().message
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=11)):
        assert names(client.get(LIST, {"q": PHONE})) == ["张伟"]  # the window has passed


def test_the_api_answers_429_over_the_limit(client, world, resident):
    headers = {"Authorization": f"Bearer {world.tokens['official']}"}
    for _n in range(3):
        assert client.get("/api/v1/registry/persons/", {"q": PHONE}, headers=headers).status_code == 200
    response = client.get("/api/v1/registry/persons/", {"q": PHONE}, headers=headers)
    assert response.status_code == 429 and "过于频繁" in response.json()["detail"]


def test_the_limit_per_address_holds_across_users(client, world, resident):
    for key in ("official", "director", "worker"):
        client.force_login(world.users[key])
        for _n in range(2):
            client.get(LIST, {"q": PHONE}, REMOTE_ADDR="10.0.0.9")
    client.force_login(world.users["grid_member"])
    refused = client.get(LIST, {"q": PHONE}, REMOTE_ADDR="10.0.0.9")
    assert "过于频繁" in refused.content.decode() and names(refused) == []
    assert names(client.get(LIST, {"q": PHONE}, REMOTE_ADDR="10.0.0.10")) == ["张伟"]
