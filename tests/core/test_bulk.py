"""core.bulk: COPY (PostgreSQL) / executemany (SQLite) inserts behave like bulk_create."""

import datetime
import uuid

from django.contrib.contenttypes.models import ContentType
from django.db import connection

from tongxin.core import bulk
from tongxin.core.models import ObjectChange
from tongxin.registry.models import Household, Person


def test_insert_assigns_keys_defaults_and_encrypts(world):
    households = [Household(community=world.a, number=f"B{i}") for i in range(3)]
    bulk.insert(households)
    assert all(h.pk for h in households) and len({h.pk for h in households}) == 3
    people = [
        Person(community=world.a, name="甲", id_number="11010519491231002X", household=households[0], sex="2"),
        Person(community=world.a, name="乙", phone="13912345678", birth_date=datetime.date(1990, 1, 2), sex="1"),
    ]
    for p in people:
        p.derive()
    bulk.insert(people)
    first, second = (Person.objects.get(pk=p.pk) for p in people)
    assert first.id_number == "11010519491231002X" and first.household_id == households[0].pk
    assert second.phone == "13912345678" and second.birth_date == datetime.date(1990, 1, 2)
    assert first.created is not None and first.life_status == "living"
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM registry_person WHERE id = %s", [first.pk])
        assert "11010519491231002X" not in cursor.fetchone()[0]
    # later inserts continue after the highest key, also after a delete
    households[2].delete()
    more = [Household(community=world.a, number="B9")]
    bulk.insert(more)
    assert more[0].pk > households[1].pk + 1


def test_insert_values_writes_json_uuid_and_times(world):
    ct = ContentType.objects.get_for_model(Person)
    batch = uuid.uuid4()
    now = datetime.datetime(2026, 11, 1, 8, 0, tzinfo=datetime.UTC)
    bulk.insert_values(
        ObjectChange,
        ["time", "request_id", "source", "action", "content_type_id", "object_id", "object_repr", "postchange_data"],
        [(now, batch, "import", "create", ct.pk, "1", "甲", {"name": "甲", "n": 1})],
    )
    change = ObjectChange.objects.get(request_id=batch)
    assert change.time == now and change.postchange_data == {"name": "甲", "n": 1}
    assert change.object_repr == "甲" and change.content_type == ct
