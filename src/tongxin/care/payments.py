"""The monthly payment list of a paying programme (补助发放名单): who is paid what in a month, exportable in the
layout banks take (序号, 姓名, 公民身份号码, 开户行, 银行账号, 金额).

A month's list holds the enrolments approved before the month began and not ended before it
(:meth:`Enrolment.paying_in`): benefits start the month after approval. The payee is the enrolled person, or the
head of the enrolled household. ID numbers and bank accounts are in clear in the export only on the rows the user
may reveal, and every export is logged (PIPL access log), like the register's.
"""

from __future__ import annotations

import datetime
import io
import re
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from tongxin.care.models import Enrolment, Programme
from tongxin.core import audit, privacy, scoping
from tongxin.core.models import AccessLog

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FLAG = f"{scoping.CAN_ATTR}_reveal"


def parse_month(text: str | None, today: datetime.date) -> datetime.date:
    """``2026-04`` as its first day; this month when empty. Raises ValueError naming the value."""
    text = (text or "").strip()
    if not text:
        return today.replace(day=1)
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", text)
    if not m or not 1 <= int(m[2]) <= 12:
        raise ValueError(_("月份“%(v)s”无效，应为 YYYY-MM，如 2026-04") % {"v": text})
    return datetime.date(int(m[1]), int(m[2]), 1)


def rows(user: Any, month: datetime.date, programme_code: str) -> QuerySet:
    """The enrolments the user may view on the month's list of the programme (by code, in every community)."""
    qs = Enrolment.objects.filter(Enrolment.paying_in(month), programme__code=programme_code)
    qs = scoping.restrict(qs, user, "view").select_related("community", "programme", "person", "household__head")
    return qs.order_by("community__code", "household__number", "person__name", "pk")


def payee(enrolment: Enrolment) -> Any:
    """Who is paid: the person, or the household's head."""
    return enrolment.person or (enrolment.household.head if enrolment.household_id else None)


def amount(enrolment: Enrolment) -> Decimal | None:
    """The month's amount: the one recorded at approval, else the programme's standard."""
    return enrolment.monthly_amount if enrolment.monthly_amount is not None else enrolment.benefit()


HEADER = ("序号", "姓名", "公民身份号码", "开户行", "银行账号", "金额（元）", "保障人数", "项目", "社区/村", "户号")


def workbook(qs: QuerySet, month: datetime.date) -> tuple[bytes, int, int]:
    """The bank layout as XLSX; (bytes, rows, rows in clear). ID numbers and accounts stay text."""
    from openpyxl import Workbook

    from tongxin.core.export import write_sheet

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=f"{month:%Y-%m}")
    clear = 0

    def lines():
        nonlocal clear
        for n, e in enumerate(qs.iterator(chunk_size=2000), start=1):
            who = payee(e)
            reveal = getattr(e, FLAG, False)
            clear += bool(reveal)
            id_number = (who.id_number if reveal else privacy.masked(who, "id_number", who.id_number)) if who else ""
            account = e.bank_account if reveal else privacy.masked(e, "bank_account", e.bank_account)
            value = amount(e)
            yield (n, str(who or ""), id_number, e.bank_name, account, float(value) if value is not None else None,
                   e.persons_covered, str(e.programme), e.community.name,
                   e.household.number if e.household_id else "")  # fmt: skip

    count = write_sheet(ws, HEADER, lines())
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), count, clear


@login_required
def payments(request: HttpRequest) -> HttpResponse:
    """The payment list page (month and programme chosen), with its totals and the bank-layout export."""
    from django.contrib import messages

    if not scoping.has_perm(request.user, Enrolment, "view"):
        raise PermissionDenied
    today = timezone.localdate()
    try:
        month = parse_month(request.GET.get("month"), today)
    except ValueError as exc:
        messages.error(request, str(exc))
        month = today.replace(day=1)
    paying = list(Programme.objects.filter(pays_benefit=True, community__isnull=True).order_by("sort"))
    code = request.GET.get("programme") or (paying[0].code if paying else "")
    qs = rows(request.user, month, code)
    if request.GET.get("export") == "xlsx":
        if not scoping.has_perm(request.user, Enrolment, "export"):
            raise PermissionDenied
        flagged = scoping.annotate_can(qs, request.user, "reveal")
        body, count, clear = workbook(flagged, month)
        detail = _("补助发放名单 %(m)s（%(c)s 行明文，其余脱敏）") % {"m": f"{month:%Y-%m}", "c": clear}
        audit.log_access(Enrolment, AccessLog.Action.EXPORT, fields=["id_number", "bank_account"] if clear else [],
                         row_count=count, detail=detail)  # fmt: skip
        name = f"补助发放名单-{code}-{month:%Y-%m}.xlsx"
        response = HttpResponse(body, content_type=XLSX_TYPE)
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
        return response
    totals = qs.aggregate(persons=Sum("persons_covered"), recorded=Sum("monthly_amount"))
    page = list(qs[:500])
    listed = [{"e": e, "payee": payee(e), "amount": amount(e)} for e in page]
    context = {
        "month": month, "programmes": paying, "code": code, "rows": listed, "count": qs.count(),
        "persons": totals["persons"] or 0, "total": sum((r["amount"] or 0) for r in listed) if len(page) < 500
        else totals["recorded"], "may_export": scoping.has_perm(request.user, Enrolment, "export"),
    }  # fmt: skip
    return render(request, "care/payments.html", context)
