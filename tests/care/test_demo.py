"""``tongxin.care.demo`` reproduces 桃源社区's care figures of its article (seeds/000): 17 low-income minority
households with 51 persons on 低保, 5 households with medical aid, 20 persons with daily-life care, the holiday
visits before 春节 and 中秋 — read back through the indicators, deterministic and idempotent.

The register demo is too slow for a unit test: the organisation demo is loaded and 桃源社区 gets households of
minority heads and elderly residents enough to choose from."""

from __future__ import annotations

import datetime
import io

import pytest
import time_machine

from tongxin.care import demo
from tongxin.care.models import Enrolment, Visit
from tongxin.core import indicators
from tongxin.org import demo as org_demo
from tongxin.org.models import Division, Grid
from tongxin.registry.models import Household, Membership, Person

pytestmark = pytest.mark.django_db
TZ = datetime.timezone(datetime.timedelta(hours=8))
NOW = datetime.datetime(2026, 11, 10, 10, 0, tzinfo=TZ)


def add_register() -> None:
    """30 households of 2–4 members with a minority head (ethnicity 07 彝族 …), and 30 residents aged 80."""
    taoyuan = Division.objects.get(code=org_demo.TAOYUAN)
    grid = Grid.objects.get(community=taoyuan, code="TY02")
    for i in range(30):
        h = Household.objects.create(community=taoyuan, grid=grid, number=f"D{i:04d}")
        for j in range(2 + i % 3):
            p = Person.objects.create(community=taoyuan, grid=grid, household=h, name=f"户{i}员{j}",
                                      ethnicity="07" if i % 2 else "03", relationship="02" if j else "01")  # fmt: skip
            Membership.objects.create(community=taoyuan, household=h, person=p, relationship=p.relationship)
            if not j:
                h.head = p
                h.save()
    for i in range(30):
        Person.objects.create(community=taoyuan, grid=grid, name=f"老人{i}", birth_date=datetime.date(1946, 1, 1))


def test_the_demo_reproduces_the_articles_care_figures_and_runs_once():
    with time_machine.travel(NOW, tick=False):
        org_demo.run(io.StringIO())
        add_register()
        out = io.StringIO()
        assert demo.run(out) == []
        made = (Enrolment.objects.count(), Visit.objects.count())
        demo.run(io.StringIO())
        assert (Enrolment.objects.count(), Visit.objects.count()) == made  # a second run adds nothing
        taoyuan = Division.objects.get(code=org_demo.TAOYUAN)
        found = indicators.by_key(indicators.evaluate(None, taoyuan, "2026", indicators.SystemActor(), now=NOW))
    assert "低保 17 户 51 人" in out.getvalue()
    assert found["care.dibao_households"]["value"] == 17
    assert found["care.dibao_persons"]["value"] == 51
    assert found["care.medical_aid_households"]["value"] == 5
    assert found["care.daily_care_persons"]["value"] == 20
    assert found["care.holiday_visit_households"]["value"] == 17  # 春节 and 中秋 2026, every 低保 household
    dibao = Enrolment.objects.filter(programme__code="dibao")
    assert all(e.household.head.ethnicity not in ("", "01") for e in dibao)
    done, due = found["care.visits_done"]["value"], found["care.visits_due"]["value"]
    assert 0.8 < done / due < 1  # most windows visited, a few missed
