"""The official calendar backed by the holiday table (seeded by a data migration), local holidays,
the ``load_holidays`` command and the festival dates."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from tongxin.core import calendar, festivals
from tongxin.core.models import Holiday, ObjectChange
from tongxin.org.models import Division

SH = ZoneInfo("Asia/Shanghai")
D = datetime.date


@pytest.fixture(autouse=True)
def _fresh_calendars():
    # Cached calendars are keyed by division pk; pks are reused after each test's rollback.
    calendar.invalidate()
    yield
    calendar.invalidate()


def group(community: Division, n: int = 1) -> Division:
    return Division.objects.create(
        code=f"{community.code}{n:03d}", name=f"第{n}居民小组", level="group", parent=community
    )


# --- national calendar from the seeded table ------------------------------------------------------


@pytest.mark.django_db
def test_national_rows_are_seeded_by_the_migration():
    assert Holiday.objects.filter(division__isnull=True, date=D(2026, 10, 1), is_workday=False).exists()
    assert Holiday.objects.filter(division__isnull=True, date=D(2026, 9, 20), is_workday=True).exists()


@pytest.mark.django_db
def test_adjusted_weekend_working_days_and_holidays_2026():
    assert D(2026, 9, 20).weekday() == 6 and calendar.is_workday(D(2026, 9, 20))
    assert D(2026, 10, 10).weekday() == 5 and calendar.is_workday(D(2026, 10, 10))
    assert not calendar.is_workday(D(2026, 10, 1))
    assert not calendar.is_workday(D(2026, 9, 25))  # 中秋 on a Friday
    assert calendar.is_workday(D(2026, 9, 24))  # an ordinary Thursday
    assert not calendar.is_workday(D(2026, 9, 19))  # an ordinary Saturday


@pytest.mark.django_db
def test_add_workdays_over_the_national_day_week():
    assert calendar.add_workdays(D(2026, 9, 28), 5) == D(2026, 10, 10)


@pytest.mark.django_db
def test_end_of_workday_after_hours_before_mid_autumn_moves_to_monday():
    moment = datetime.datetime(2026, 9, 24, 20, 0, tzinfo=SH)
    end = calendar.end_of_workday(moment)
    assert end == datetime.datetime(2026, 9, 28, 18, 0, tzinfo=SH)
    assert end.astimezone(SH).hour == 18


@pytest.mark.django_db
def test_end_of_workday_during_office_hours_is_today():
    moment = datetime.datetime(2026, 9, 24, 10, 0, tzinfo=SH)
    assert calendar.end_of_workday(moment) == datetime.datetime(2026, 9, 24, 18, 0, tzinfo=SH)


# --- local rows ------------------------------------------------------------------------------------


def test_local_holiday_applies_to_the_community_and_its_groups_only(world):
    day = D(2026, 8, 6)  # Thursday (火把节)
    assert day.weekday() == 3
    grp = group(world.a)
    Holiday.objects.create(date=day, is_workday=False, name="火把节", division=world.a)
    calendar.invalidate()
    assert not calendar.is_workday(day, world.a)
    assert not calendar.is_workday(day, grp)
    assert calendar.is_workday(day, world.b)
    assert calendar.is_workday(day, world.street)
    assert calendar.is_workday(day)


def test_local_adjusted_working_saturday_applies_to_the_subtree_only(world):
    day = D(2026, 8, 8)  # Saturday
    assert day.weekday() == 5
    grp = group(world.a)
    Holiday.objects.create(date=day, is_workday=True, name="火把节调休上班", division=world.a)
    calendar.invalidate()
    assert calendar.is_workday(day, world.a)
    assert calendar.is_workday(day, grp)
    assert not calendar.is_workday(day, world.b)
    assert not calendar.is_workday(day)


def test_local_row_at_a_street_covers_its_communities(world):
    day = D(2026, 8, 6)
    Holiday.objects.create(date=day, is_workday=False, name="街道活动日", division=world.street)
    calendar.invalidate()
    assert not calendar.is_workday(day, world.a)
    assert calendar.is_workday(day, world.b)  # another street


def test_local_deadline_arithmetic_skips_the_local_holiday(world):
    Holiday.objects.create(date=D(2026, 8, 6), is_workday=False, name="火把节", division=world.a)
    calendar.invalidate()
    # Wednesday 2026-08-05 + 1 working day: Friday for A, Thursday elsewhere.
    assert calendar.add_workdays(D(2026, 8, 5), 1, world.a) == D(2026, 8, 7)
    assert calendar.add_workdays(D(2026, 8, 5), 1, world.b) == D(2026, 8, 6)


def test_cache_is_invalidated_when_a_holiday_row_is_added(world):
    day = D(2026, 8, 6)
    assert calendar.calendar_for(world.a).is_workday(day)
    assert calendar.calendar_for(None).is_workday(day)
    Holiday.objects.create(date=day, is_workday=False, name="火把节", division=world.a)
    assert not calendar.calendar_for(world.a).is_workday(day)


def test_cache_is_invalidated_when_a_holiday_row_is_deleted(world):
    day = D(2026, 8, 6)
    row = Holiday.objects.create(date=day, is_workday=False, name="火把节", division=world.a)
    calendar.invalidate()
    assert not calendar.calendar_for(world.a).is_workday(day)
    row.delete()
    assert calendar.calendar_for(world.a).is_workday(day)


def test_cache_is_invalidated_by_load_holidays(world, tmp_path):
    day = D(2026, 8, 6)
    assert calendar.is_workday(day, world.a)
    path = tmp_path / "local.csv"
    path.write_text("date,is_workday,name,source\n2026-08-06,0,火把节,州政府通知\n", encoding="utf-8")
    call_command("load_holidays", str(path), "--division", world.a.code, stdout=_Null())
    assert not calendar.is_workday(day, world.a)
    assert calendar.is_workday(day, world.b)


# --- load_holidays command ------------------------------------------------------------------------

HOLIDAYS_2027 = """date,is_workday,name,source
2027-01-01,0,元旦,国务院办公厅关于2027年部分节假日安排的通知
2027-02-06,0,春节,国务院办公厅关于2027年部分节假日安排的通知
2027-02-07,0,春节,国务院办公厅关于2027年部分节假日安排的通知
2027-02-08,0,春节,国务院办公厅关于2027年部分节假日安排的通知
2027-02-20,1,春节调休上班,国务院办公厅关于2027年部分节假日安排的通知
"""


class _Null:
    def __init__(self):
        self.text = ""

    def write(self, s):
        self.text += s

    def flush(self):
        pass


def _write(tmp_path, text: str, name: str = "h.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.django_db
def test_load_holidays_2027_and_idempotent(tmp_path):
    path = _write(tmp_path, HOLIDAYS_2027)
    out = _Null()
    call_command("load_holidays", path, stdout=out)
    assert "'created': 5" in out.text and "'updated': 0" in out.text
    assert Holiday.objects.filter(date__year=2027, division__isnull=True).count() == 5
    assert not calendar.is_workday(D(2027, 1, 1))
    assert calendar.is_workday(D(2027, 2, 20))  # a Saturday
    changes = ObjectChange.objects.filter(
        content_type__model="holiday", action="create", object_repr__startswith="2027"
    )
    assert changes.count() == 5 and set(changes.values_list("source", flat=True)) == {"command"}
    before = ObjectChange.objects.count()
    again = _Null()
    call_command("load_holidays", path, stdout=again)
    assert "'created': 0" in again.text and "'updated': 0" in again.text
    assert ObjectChange.objects.count() == before
    assert calendar.load_holidays(path) == {"rows": 5, "created": 0, "updated": 0}


@pytest.mark.django_db
def test_load_holidays_updates_a_changed_row(tmp_path):
    call_command("load_holidays", _write(tmp_path, HOLIDAYS_2027), stdout=_Null())
    changed = HOLIDAYS_2027.replace("2027-01-01,0,元旦", "2027-01-01,0,元旦节")
    assert calendar.load_holidays(_write(tmp_path, changed, "h2.csv")) == {"rows": 5, "created": 0, "updated": 1}
    assert Holiday.objects.get(date=D(2027, 1, 1), division__isnull=True).name == "元旦节"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("bad_line", "row_number", "value"),
    [
        ("2027-13-01,0,坏日期,x", 4, "2027-13-01"),
        ("2027-05-01,maybe,劳动节,x", 4, "maybe"),
        ("2027-05-01,0,,x", 4, "名称"),
    ],
)
def test_load_holidays_bad_row_names_row_and_value_and_writes_nothing(tmp_path, bad_line, row_number, value):
    text = "date,is_workday,name,source\n2027-01-01,0,元旦,x\n2027-02-06,0,春节,x\n" + bad_line + "\n"
    before = Holiday.objects.count()
    changes = ObjectChange.objects.count()
    with pytest.raises(CommandError) as exc:
        call_command("load_holidays", _write(tmp_path, text), stdout=_Null())
    message = str(exc.value)
    assert f"第 {row_number} 行" in message
    assert value in message
    assert Holiday.objects.count() == before
    assert ObjectChange.objects.count() == changes


@pytest.mark.django_db
def test_load_holidays_unknown_division_and_missing_file(tmp_path):
    with pytest.raises(CommandError, match="999999999999"):
        call_command("load_holidays", _write(tmp_path, HOLIDAYS_2027), "--division", "999999999999")
    with pytest.raises(CommandError, match="文件不存在"):
        call_command("load_holidays", str(tmp_path / "missing.csv"))


# --- festivals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "year", "expected"),
    [
        ("火把节", 2026, D(2026, 8, 6)),
        ("火把节", 2027, D(2027, 7, 27)),
        ("torch", 2026, D(2026, 8, 6)),
        ("Torch Festival", 2027, D(2027, 7, 27)),
        ("中秋节", 2026, D(2026, 9, 25)),
        ("mid_autumn", 2026, D(2026, 9, 25)),
    ],
)
def test_festival_dates(name, year, expected):
    assert festivals.festival_date(name, year) == expected


def test_mid_autumn_matches_the_national_holiday_table_2026():
    # The national table names 2026-09-25 中秋节; the computed lunar date agrees.
    assert festivals.festival_date("中秋节", 2026) == D(2026, 9, 25)
    assert (festivals.by_name("中秋节"), D(2026, 9, 25)) in festivals.festivals_in(2026)


def test_festival_unknown_name_raises_key_error():
    with pytest.raises(KeyError):
        festivals.festival_date("不存在的节", 2026)
