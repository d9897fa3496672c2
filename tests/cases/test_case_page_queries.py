"""The case page's timeline reads the steps of the case and of the cases merged into it by their keys (issue 17: the
query ``case = X OR case.merged_into = X`` joined every step of the county with its case before filtering)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.cases.helpers import report
from tongxin.cases import services


def timeline_query(queries) -> str:
    """The SQL of the page's query of the timeline's steps."""
    return next(q["sql"] for q in queries if 'FROM "cases_casestep"' in q["sql"] and "ORDER BY" in q["sql"])


def test_the_timeline_shows_merged_steps_and_reads_them_by_key(client, world):
    main = report(world, description="楼下垃圾堆放三天无人清运")
    duplicates = [report(world, description=f"垃圾没人清运{i}") for i in range(3)]
    director = world.users["director"]
    services.merge(director, duplicates[0], main)
    client.force_login(director)
    client.get(main.get_absolute_url())
    with CaptureQueriesContext(connection) as one:
        page = client.get(main.get_absolute_url()).content.decode()
    assert duplicates[0].number in page
    where = timeline_query(one.captured_queries).split(" WHERE ", 1)[1]
    assert "merged_into" not in where and '"case_id" IN (' in where
    for dup in duplicates[1:]:
        services.merge(director, dup, main)
    with CaptureQueriesContext(connection) as three:
        page = client.get(main.get_absolute_url()).content.decode()
    assert all(dup.number in page for dup in duplicates)
    assert len(three) == len(one)  # more merged cases, the same queries
