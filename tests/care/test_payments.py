"""The monthly payment list (issue 18, acceptance): a 低保 household approved in March is paid from April, an exit
in May ends it after May; the bank-layout export keeps ID numbers and accounts as text, in clear only for who may
reveal, and is logged."""

from __future__ import annotations

import datetime
import io

import pytest
from openpyxl import load_workbook

from tests.care.helpers import enrol, programme
from tests.registry.helpers import pid
from tongxin.care.models import Enrolment
from tongxin.core.models import AccessLog

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def on_dibao(world):
    dibao = programme("dibao")
    dibao.amount = 800
    dibao.save()
    e = enrol(world, "dibao", status=Enrolment.Status.ACTIVE, approved_on=D(2026, 3, 13), persons_covered=3,
              monthly_amount=2400, bank_name="农村信用社", bank_account="6222021234567890123")  # fmt: skip
    head = e.household.head
    head.id_number, head.name = pid("1970-05-01", 11), "付大山"
    head.save()
    left = enrol(world, "dibao", status=Enrolment.Status.EXITED, approved_on=D(2025, 12, 1), ended_on=D(2026, 5, 18),
                 persons_covered=2, monthly_amount=1600)  # fmt: skip
    enrol(world, "dibao", status=Enrolment.Status.SUSPENDED, approved_on=D(2025, 12, 1), monthly_amount=800)
    enrol(world, "dibao", community=world.b, status=Enrolment.Status.ACTIVE, approved_on=D(2025, 1, 1))
    return {"e": e, "left": left, "head": head}


def page(client, world, key, **params):
    client.force_login(world.users[key])
    return client.get("/care/payments/", {"programme": "dibao", **params})


def test_benefits_start_the_month_after_approval_and_end_with_the_exit(client, world, on_dibao):
    march = page(client, world, "director", month="2026-03").content.decode()
    assert 'id="total-count">1<' in march  # only the household that left in May (approved 2025-12)
    april = page(client, world, "director", month="2026-04").content.decode()
    assert 'id="total-count">2<' in april and 'id="payments-total">4000' in april
    june = page(client, world, "director", month="2026-06").content.decode()
    assert 'id="total-count">1<' in june and 'id="payments-persons">3<' in june
    assert on_dibao["head"].name in june


def test_the_bank_export_is_text_in_clear_for_who_may_reveal_and_logged(client, world, on_dibao):
    response = page(client, world, "director", month="2026-04", export="xlsx")
    assert response.status_code == 200 and "2026-04" in response["Content-Disposition"]
    ws = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in ws[1]]
    assert header[:6] == ["序号", "姓名", "公民身份号码", "开户行", "银行账号", "金额（元）"]
    row = next(r for r in ws.iter_rows(min_row=2) if r[1].value == on_dibao["head"].name)
    assert row[2].value == on_dibao["head"].id_number and row[2].data_type == "s"
    assert row[4].value == "6222021234567890123" and row[4].data_type == "s"
    assert row[5].value == 2400
    log = AccessLog.objects.get(action="export")
    assert log.row_count == 2 and "bank_account" in log.fields and "2 行明文" in log.detail


def test_the_list_is_refused_or_masked_for_who_may_not(client, world, on_dibao):
    assert page(client, world, "official", month="2026-04").content.decode().count("<tr><td>") == 0
    masked = page(client, world, "care_viewer", month="2026-04", export="xlsx")  # may export, not reveal
    ws = load_workbook(io.BytesIO(masked.content)).active
    row = next(r for r in ws.iter_rows(min_row=2) if r[1].value == on_dibao["head"].name)
    assert row[2].value != on_dibao["head"].id_number and "*" in row[2].value and "*" in row[4].value
    assert "0 行明文" in AccessLog.objects.get(action="export").detail
    assert page(client, world, "grid_member", month="2026-04", export="xlsx").status_code == 403
    bad = page(client, world, "director", month="2026-13")
    assert "月份“2026-13”无效" in bad.content.decode()
    client.force_login(world.users["director_b"])
    other = client.get("/care/payments/", {"programme": "dibao", "month": "2026-04"}).content.decode()
    assert on_dibao["head"].name not in other and 'id="total-count">1<' in other
