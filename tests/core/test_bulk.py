"""core.bulk: COPY (PostgreSQL) / executemany (SQLite) inserts behave like bulk_create."""

import datetime
import sys
import uuid

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection

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


def test_insert_dicts_writes_rows_of_values_and_record_created_logs_them(world):
    from tongxin.core import audit

    rows = []
    for i, name in enumerate(["曾丽", "张伟"]):
        values = {"community_id": world.a.pk, "name": name, "sex": "2", "birth_date": datetime.date(1980, 1, 2 + i)}
        values["id_number"] = "11010519491231002X" if i == 0 else ""
        derived, _extra = Person.lookup_values(values["id_number"], "", name)
        rows.append({**values, **derived})
    with audit.audit_context(source=ObjectChange.Source.IMPORT) as ctx:
        bulk.insert_dicts(Person, rows)
        assert audit.record_created(Person, [(r, r["name"]) for r in rows]) == 2
    first = Person.objects.get(pk=rows[0]["id"])
    assert first.id_number == "11010519491231002X" and first.life_status == "living" and first.created
    assert Person.objects.filter(id_hash=rows[0]["id_hash"]).count() == 1
    entry = ObjectChange.objects.get(request_id=ctx.request_id, object_id=str(first.pk))
    assert entry.action == ObjectChange.Action.CREATE and entry.community_id == world.a.pk
    assert entry.postchange_data["id_number"] != "11010519491231002X"  # masked, as serialize() masks it
    assert entry.postchange_data == audit.finish(None, audit.serialize(first, m2m=False))[1]
    assert entry.postchange_data["id_number"] == "***"  # nothing of an ID number in the change log


def test_writer_writes_in_order_with_reserved_keys_and_raises_its_errors(world):
    with bulk.Writer() as writer:
        reserved = writer.ids(Household, 3)
        more = writer.ids(Household, 2)
        assert len(set(reserved + more)) == 5
        bulk.insert_dicts(
            Household, [{"id": pk, "community_id": world.a.pk, "number": f"W{pk}"} for pk in reserved], writer=writer
        )
        fresh = [{"community_id": world.a.pk, "number": "W-fresh"}]
        bulk.insert_dicts(Household, fresh, writer=writer)
        assert fresh[0]["id"] not in reserved  # a key at once, before the row is written
        # a read in the writer's turn sees the writes submitted before it, through the transaction's connection
        # (the test's own transaction: another connection would see none of these rows)
        counted = writer.call(lambda: Household.objects.filter(number__startswith="W").count())
        assert counted.result() == 4
        writer.wait()
        assert set(Household.objects.filter(number__startswith="W").values_list("pk", flat=True)) == {
            *reserved,
            fresh[0]["id"],
        }

    def fail():
        raise ValueError("boom")

    try:
        with bulk.Writer() as writer:
            writer.submit(fail)
            writer.wait()
    except ValueError as exc:
        assert str(exc) == "boom"
    else:  # pragma: no cover - the error must reach the caller
        raise AssertionError("the writer's error was lost")

    with bulk.Writer() as writer:  # a read's own error goes to its future; the writes go on
        failed = writer.call(fail)
        with pytest.raises(ValueError, match="boom"):
            failed.result()
        assert writer.call(lambda: 42).result() == 42

    with pytest.raises(ValueError, match="boom"), bulk.Writer() as writer:  # after a failed write, reads get its error
        writer.submit(fail)
        after = writer.call(lambda: 42)
        with pytest.raises(ValueError, match="boom"):
            after.result()


def test_update_writes_the_fields_given_and_the_time_of_the_write(world):
    import time_machine

    households = [Household(community=world.a, number=f"U{i}") for i in range(2)]
    bulk.insert(households)
    people = [
        Person(community=world.a, name=f"甲{i}", sex="1", birth_date=datetime.date(1980, 1, 1 + i), notes="留")
        for i in range(3)
    ]
    bulk.insert(people)
    before = {p.pk: p.last_updated for p in Person.objects.filter(pk__in=[p.pk for p in people])}
    people[0].phone, people[0].household = "13912345678", households[0]
    people[1].birth_date, people[1].notes = datetime.date(1981, 5, 6), "改了也不写"
    with time_machine.travel(datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC), tick=False):
        bulk.update(people[:2], ["phone", "household", "birth_date"])
    first, second, third = (Person.objects.get(pk=p.pk) for p in people)
    assert first.phone == "13912345678" and first.household_id == households[0].pk
    with connection.cursor() as cursor:  # encrypted like any other write
        cursor.execute("SELECT phone FROM registry_person WHERE id = %s", [first.pk])
        assert "13912345678" not in cursor.fetchone()[0]
    assert second.birth_date == datetime.date(1981, 5, 6) and second.notes == "留"  # notes: not a field given
    assert first.last_updated.year == second.last_updated.year == 2030  # auto_now, as save() sets it
    assert third.last_updated == before[third.pk] and third.birth_date == datetime.date(1980, 1, 3)
    # through a writer, twice in one transaction (the temporary table is made afresh each time)
    with bulk.Writer() as writer:
        first.name, second.name = "乙0", "乙1"
        bulk.update([first, second], ["name"], writer=writer)
        third.household = households[1]
        bulk.update([third], ["household"], writer=writer)
        writer.wait()
        assert set(Person.objects.filter(pk__in=[p.pk for p in people]).values_list("name", "household_id")) == {
            ("乙0", households[0].pk),
            ("乙1", None),
            ("甲2", households[1].pk),
        }


def test_writer_hands_the_gil_over_more_often_while_its_thread_runs(world):
    before = sys.getswitchinterval()
    with bulk.Writer() as outer:
        inside = sys.getswitchinterval()
        with bulk.Writer():
            pass
        still = sys.getswitchinterval()  # an inner writer's end does not put it back while the outer one runs
    assert sys.getswitchinterval() == before
    if outer.threaded:  # PostgreSQL
        assert inside == still == min(bulk.SWITCH_INTERVAL, before)
    else:
        assert inside == still == before


def test_a_database_error_of_a_read_stops_the_writes_after_it(world):
    written: list[int] = []

    def bad() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT no_such_column FROM registry_household")

    with pytest.raises(DatabaseError) as raised, bulk.Writer() as writer:
        failed = writer.call(bad)
        with pytest.raises(DatabaseError) as first:
            failed.result()
        writer.submit(written.append, 1)  # the transaction is aborted: skipped, and the read's error raised
        writer.wait()
    assert raised.value is first.value  # the caller sees the cause, not a later "transaction is aborted"
    assert written == []


def test_matching_finds_the_keys_whose_value_a_row_holds(world, tmp_path):
    households = [Household(community=world.a, number=n) for n in ("H1", "H2", "H3")]
    bulk.insert(households)
    pairs = tmp_path / "pairs"
    pairs.write_bytes(b"".join(f"{k}\t{v}\n".encode() for k, v in [(7, "H2"), (8, "nobody"), (9, "H3"), (10, "H2")]))
    with pairs.open("rb") as f:
        assert sorted(bulk.matching(Household, "number", f)) == [7, 9, 10]
    # the temporary table is gone: the same transaction may match again, and a blank value never matches
    Household.objects.filter(number="H1").update(number="")
    pairs.write_bytes(b"1\tH1\n2\tH3\n")
    with pairs.open("rb") as f:
        assert list(bulk.matching(Household, "number", f)) == [2]
    with pairs.open("wb"):
        pass
    with pairs.open("rb") as f:
        assert list(bulk.matching(Household, "number", f)) == []
    # a key whose value several rows hold comes once
    Household.objects.create(community=world.b, number="H3")
    pairs.write_bytes(b"5\tH3\n")
    with pairs.open("rb") as f:
        assert list(bulk.matching(Household, "number", f)) == [5]


def _temp_table_exists() -> bool:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT to_regclass('pg_temp.tongxin_bulk_match') IS NOT NULL")
        else:
            cursor.execute("SELECT count(*) > 0 FROM sqlite_temp_master WHERE name = 'tongxin_bulk_match'")
        return bool(cursor.fetchone()[0])


def test_matching_drops_its_table_when_its_keys_are_not_all_read(world, tmp_path):
    bulk.insert([Household(community=world.a, number=n) for n in ("H1", "H2")])
    pairs = tmp_path / "pairs"
    pairs.write_bytes(b"1\tH1\n2\tH2\n")
    with pairs.open("rb") as f:
        keys = bulk.matching(Household, "number", f)
        assert next(keys) in (1, 2)
        assert _temp_table_exists()
        keys.close()
    assert not _temp_table_exists()
