"""Best-effort queries give up when they run over their time budget, on both databases."""

from django.db import connection

from tongxin.core import budget
from tongxin.core.models import Holiday


def slow() -> list:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_sleep(0.5)")
        else:
            count = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000000)"
            cursor.execute(count + " SELECT max(i) FROM n")
        return cursor.fetchall()


def test_a_slow_query_gives_up_and_the_connection_stays_usable(db):
    assert budget.within(20, slow) is None
    assert budget.within(2000, lambda: list(Holiday.objects.values_list("pk", flat=True)[:1])) is not None
    assert Holiday.objects.exists()  # the connection (and the transaction) still work
