"""The register import's precheck: a file of mostly new persons has its ID numbers matched against the register
in one join before the write, and a chunk of new numbers only is written without a query of its own. A person
registered by someone else after that join is found by the unique index when their row is written, and the
write is done again with every row looked up."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tongxin.core import bulk
from tongxin.org.models import Division
from tongxin.registry import register
from tongxin.registry.models import Household, Person
from tongxin.registry.register import RegisterImporter

from .helpers import WF, base_rows, pid, register_in_b, write

ZQ = pid("1990-09-09", 53)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 3, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield


def rows() -> list[list[str]]:
    """The base register and 赵强, the head of a third household in a ninth group, with an unreadable phone."""
    return [*base_rows(), ["0003", "赵强", ZQ, "男", "汉族", "", "户主", "第九居民小组", "12345", "桃源路3号"]]


def person_lookups(queries) -> list[str]:
    """The queries that looked persons up by their ID numbers' hashes (``= ANY`` on PostgreSQL, ``IN`` elsewhere)."""
    wheres = ('"registry_person"."id_hash" = ANY', '"registry_person"."id_hash" IN (')
    return [q["sql"] for q in queries if any(w in q["sql"] for w in wheres)]


def test_only_the_chunk_with_a_registered_number_queries_persons(world, tmp_path, monkeypatch):
    register_in_b(world)
    monkeypatch.setattr(register.common, "CHUNK", 1)
    with CaptureQueriesContext(connection) as ctx:
        result = RegisterImporter(None, world.a).process(write(tmp_path, "r.csv", rows()), commit=True)
    assert result["summary"]["created"] == 4 and result["summary"]["updated"] == 1
    lookups = person_lookups(ctx.captured_queries)
    assert len(lookups) == 1, lookups  # 张伟's chunk; the four new numbers' chunks ask nothing
    assert any("tongxin_bulk_match" in q["sql"] for q in ctx.captured_queries)


def test_a_community_re_importing_its_register_looks_every_chunk_up(world, tmp_path, monkeypatch):
    path = write(tmp_path, "r.csv", rows())
    RegisterImporter(None, world.a).process(path, commit=True)
    monkeypatch.setattr(register.common, "CHUNK", 1)
    with CaptureQueriesContext(connection) as ctx:
        result = RegisterImporter(None, world.a).process(path, commit=True)
    assert result["summary"]["unchanged"] == 5
    assert not any("tongxin_bulk_match" in q["sql"] for q in ctx.captured_queries)  # no precheck: all are known
    assert len(person_lookups(ctx.captured_queries)) == 5


@pytest.mark.parametrize("commit", [True, False], ids=["commit", "dry-run"])
def test_a_person_registered_after_the_precheck_is_found_when_written(world, tmp_path, monkeypatch, commit):
    """The precheck ran before 张伟 was registered elsewhere (as if by another user meanwhile): writing him as a
    new person hits the unique index, and the import is done again with lookups, counting each row once."""
    register_in_b(world)
    prechecks, writes = [], []
    real_write = RegisterImporter._write

    def before_the_registration(model, column, pairs, using=None):
        prechecks.append(pairs.read())
        return iter(())

    def counted(self, *args, **kwargs):
        writes.append(1)
        return real_write(self, *args, **kwargs)

    monkeypatch.setattr(bulk, "matching", before_the_registration)
    monkeypatch.setattr(RegisterImporter, "_write", counted)
    result = RegisterImporter(None, world.a).process(write(tmp_path, "r.csv", rows()), commit=commit)
    assert len(prechecks) == 1 and prechecks[0].count(b"\n") == 5
    summary = result["summary"]
    assert summary["warnings"] == 1 and summary["households_created"] == 3
    assert [p["row"] for p in result["problems"]] == [6]  # the unreadable phone, once
    assert result["groups_created"] == ["第一居民小组", "第二居民小组", "第九居民小组"]  # each once
    if commit:
        assert (summary["rows"], summary["created"], summary["updated"], summary["rejected"]) == (5, 4, 1, 0)
        assert len(writes) == 2  # the first write was refused by the unique index and rolled back
        assert Person.objects.filter(name="张伟").count() == 1
        assert Person.objects.get(name="张伟").community == world.a
        groups = Division.objects.filter(parent=world.a, level=Division.Level.GROUP)
        codes = sorted(groups.values_list("code", flat=True))
        assert codes == ["530103002001001", "530103002001002", "530103002001009"]
        assert Person.objects.filter(community=world.a).count() == 5
    else:  # a dry run writes nothing: it meets no index, and counts as the precheck found (a preview)
        assert (summary["rows"], summary["created"], summary["updated"], summary["rejected"]) == (5, 5, 0, 0)
        assert len(writes) == 1
        assert not Person.objects.filter(community=world.a).exists()


@pytest.mark.parametrize("follows", ["progress", "update"])
def test_the_conflict_is_recognised_whatever_query_follows_it(world, tmp_path, monkeypatch, follows):
    """On PostgreSQL the refused row fails in the writer's thread; the importing thread's next query then fails
    with "current transaction is aborted". The writer reports its own error, so the import still retries: after
    a progress report that writes to the database (as a background job's does), or the update of a person whose
    row follows."""
    register_in_b(world)
    data = rows()
    if follows == "update":  # 王芳 is registered in this community already, with another phone
        h = Household.objects.create(community=world.a, number="0002")
        Person.objects.create(community=world.a, name="王芳", id_number=WF, household=h, relationship="02")
        data = [data[0], data[1], data[4], data[2], data[3], data[5]]
    monkeypatch.setattr(bulk, "matching", lambda *args, **kwargs: iter(()))
    monkeypatch.setattr(register.common, "CHUNK", 1)
    reports = []
    importer = RegisterImporter(None, world.a)

    def progress(done, total=None):
        reports.append(done)
        importer._writer._queue.join()  # the writes submitted so far are done (or failed): no race with them
        Person.objects.filter(pk=-1).update(notes="")  # a query of the importing thread

    result = importer.process(write(tmp_path, "r.csv", data), commit=True, progress=progress)
    summary = result["summary"]
    assert summary["rejected"] == 0
    assert summary["updated"] == (2 if follows == "update" else 1)
    assert summary["created"] == (3 if follows == "update" else 4)
    assert reports and Person.objects.filter(name="张伟").count() == 1
    assert Person.objects.filter(community=world.a).count() == 5
