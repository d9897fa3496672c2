"""Health checks (issue 18): imported from the clinic's spreadsheet (residents found by ID number, unmatched rows
refused with their row and the masked ID, a wrong name refused), abnormal results raise a warning, health data is
visible only with its own permission, and the coverage of residents aged 65+ is an indicator."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from openpyxl import Workbook

from tests.care.helpers import enrol, person
from tests.cases.helpers import at
from tests.registry.helpers import pid
from tongxin.care import warnings
from tongxin.care.importers import HealthCheckImporter
from tongxin.care.models import Enrolment, HealthCheck, Warning
from tongxin.core import indicators

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def elders(world):
    """Three residents of A aged 70 (two with ID numbers), one of B."""
    out = []
    for i, name in enumerate(("王大爷", "李奶奶", "赵爷爷")):
        p = person(world.a, name, grid=world.grid_a, birth_date=D(1956, 1, 1 + i))
        if i < 2:
            p.id_number = pid(f"1956-01-0{1 + i}", 11 + 2 * i)
            p.save()
        out.append(p)
    b = person(world.b, "钱奶奶", birth_date=D(1950, 1, 1))
    b.id_number = pid("1950-01-01", 21)
    b.save()
    return [*out, b]


def sheet(tmp_path, rows):
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "身份证号", "体检日期", "收缩压", "舒张压", "空腹血糖", "体检机构"])
    for row in rows:
        ws.append(row)
    path = tmp_path / "体检.xlsx"
    wb.save(path)
    return path


def test_the_clinics_sheet_imports_by_id_number_and_names_what_it_cannot(world, elders, tmp_path):
    wang, li, _zhao, qian = elders
    path = sheet(tmp_path, [
        ["王大爷", wang.id_number, "2026-05-10", 150, 95, 6.1, "桃源社区卫生服务站"],
        ["李奶奶", li.id_number.lower(), "2026-05-11", 120, 80, 5.2, "桃源社区卫生服务站"],
        ["钱奶奶", qian.id_number, "2026-05-11", 120, 80, 5.2, ""],  # community B: not the director's
        ["孙爷爷", "530424195001019999", "2026-05-11", 120, 80, 5.2, ""],  # not in the register
        ["张三", li.id_number, "2026-05-12", 120, 80, 5.2, ""],  # the name is not the ID number's
    ])  # fmt: skip
    result = HealthCheckImporter(world.users["director"]).process(path, commit=True)
    assert result["summary"]["created"] == 2 and result["summary"]["rejected"] == 3
    problems = {p["row"]: " ".join(p["errors"]) for p in result["problems"]}
    assert "找不到" in problems[4] and "530424***********" in problems[5] and "9999" not in problems[5]
    assert "张三" in problems[6]
    checked = {c.person.name: c for c in HealthCheck.objects.all()}
    assert checked["王大爷"].abnormal and not checked["李奶奶"].abnormal
    assert checked["王大爷"].community == world.a


def test_an_abnormal_check_warns_who_answers_for_the_person(world, elders):
    wang = elders[0]
    enrolment = enrol(world, "left_behind_elderly", status=Enrolment.Status.ACTIVE, approved_on=D(2026, 1, 5),
                      responsible=world.users["worker"])  # fmt: skip
    enrolment.person = wang
    enrolment.save()
    HealthCheck.objects.create(community=world.a, person=wang, checked_on=D(2026, 5, 10), systolic=165, diastolic=98)
    with time_machine.travel(at("2026-05-12 10:00"), tick=False):
        counts = warnings.tick(at("2026-05-12 10:00"))
    assert counts["health"] == 1
    warning = Warning.objects.get(kind="health")
    assert warning.assignee == world.users["worker"] and "165" not in warning.message  # no values in the task


def test_health_data_only_with_its_permission(client, world, elders):
    HealthCheck.objects.create(community=world.a, person=elders[0], checked_on=D(2026, 5, 10), systolic=165)
    for key, sees in (("director", True), ("worker", True), ("grid_member", False), ("official", False)):
        client.force_login(world.users[key])
        html = client.get("/care/health-checks/").content.decode()
        assert ("王大爷" in html) == sees, key


def test_the_coverage_of_residents_aged_65_and_over(world, elders):
    HealthCheck.objects.create(community=world.a, person=elders[0], checked_on=D(2026, 5, 10))
    HealthCheck.objects.create(community=world.a, person=elders[1], checked_on=D(2025, 5, 10))  # last year
    with time_machine.travel(at("2026-11-30 10:00"), tick=False):
        found = indicators.by_key(indicators.evaluate(
            ["care.health_checks_65plus", "care.health_check_rate_65plus"], world.a, "2026", world.users["official"]
        ))  # fmt: skip
    assert found["care.health_checks_65plus"]["value"] == 1
    rate = found["care.health_check_rate_65plus"]
    assert (rate["numerator_value"], rate["denominator_value"], rate["value"]) == (1, 3, 33.3)
