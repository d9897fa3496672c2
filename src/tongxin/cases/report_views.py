"""The timeliness report pages (办结时效报表): the page with its GET form (division in the user's scope,
period preset or custom dates) and the XLSX download of the same figures."""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import quote

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongxin.cases import report
from tongxin.cases.models import Case
from tongxin.core import scoping
from tongxin.core.export import XLSX_TYPE
from tongxin.org.models import Division

PRESETS = (
    ("this_month", gettext_lazy("本月")),
    ("last_month", gettext_lazy("上月")),
    ("this_quarter", gettext_lazy("本季度")),
    ("this_year", gettext_lazy("本年")),
    ("last_12_months", gettext_lazy("近12个月")),
    ("custom", gettext_lazy("自定义")),
)
DEFAULT_PRESET = "this_month"


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` moved by ``months`` calendar months (the day clamped to the month's length)."""
    import calendar

    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def last_12_months(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The twelve months up to yesterday: (yesterday − 12 months + 1 day, yesterday)."""
    end = today - datetime.timedelta(days=1)
    return add_months(end, -12) + datetime.timedelta(days=1), end


def preset_period(preset: str, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The (start, end) dates of a period preset as of ``today``."""
    if preset == "last_month":
        end = today.replace(day=1) - datetime.timedelta(days=1)
        return end.replace(day=1), end
    if preset == "this_quarter":
        return datetime.date(today.year, (today.month - 1) // 3 * 3 + 1, 1), today
    if preset == "this_year":
        return datetime.date(today.year, 1, 1), today
    if preset == "last_12_months":
        return last_12_months(today)
    return today.replace(day=1), today


def divisions_for(user: Any) -> QuerySet:
    """The counties, streets and communities whose cases ``user`` may view (a grid member gets the grid's
    community; the report there is limited to what they may see)."""
    return scoping.report_divisions(user, Case)


class NamedDateField(forms.DateField):
    """A date field whose error names the field and the value that was typed."""

    def to_python(self, value: Any) -> datetime.date | None:
        """Parse YYYY-MM-DD; the error says which field and which text."""
        try:
            return super().to_python(value)
        except ValidationError:
            raise ValidationError(
                _("%(field)s“%(value)s”不是有效的日期，请按 YYYY-MM-DD 填写，例如 2026-01-31")
                % {"field": self.label, "value": value},
                code="invalid",
            ) from None


class TimelinessForm(forms.Form):
    """The report's choices: the division (within the user's scope) and the period."""

    division = forms.ChoiceField(
        label=gettext_lazy("区划"),
        required=False,
        error_messages={"invalid_choice": gettext_lazy("区划“%(value)s”不存在或不在您的管辖范围内")},
    )
    period = forms.ChoiceField(
        label=gettext_lazy("期间"),
        choices=PRESETS,
        required=False,
        error_messages={"invalid_choice": gettext_lazy("期间“%(value)s”无效，请从列表中选择")},
    )
    start = NamedDateField(label=gettext_lazy("开始日期"), required=False, input_formats=["%Y-%m-%d"])
    end = NamedDateField(label=gettext_lazy("结束日期"), required=False, input_formats=["%Y-%m-%d"])

    def __init__(self, *args: Any, divisions: list[Division], today: datetime.date, **kwargs: Any) -> None:
        """``divisions``: the choices (already limited to the user's scope); ``today`` anchors the presets."""
        super().__init__(*args, **kwargs)
        self.divisions = {d.code: d for d in divisions}
        self.today = today
        indent = {"county": "", "street": "\u3000", "community": "\u3000\u3000"}
        self.fields["division"].choices = [
            (d.code, f"{indent.get(d.level, '')}{d.name}（{d.get_level_display()}）") for d in divisions
        ]
        for name in ("start", "end"):
            self.fields[name].widget = forms.DateInput(
                attrs={"type": "date", "class": "form-control form-control-sm"}, format="%Y-%m-%d"
            )
        for name in ("division", "period"):
            self.fields[name].widget.attrs["class"] = "form-select form-select-sm"

    def full_clean(self) -> None:
        """Validate, then mark the widgets of the fields in error (Bootstrap's ``is-invalid``)."""
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()

    def clean(self) -> dict[str, Any]:
        """Resolve the division (default: the widest in scope) and the period (dates typed → custom)."""
        data = super().clean()
        code = data.get("division") or ""
        if "division" not in self.errors:
            division = self.divisions.get(code) if code else next(iter(self.divisions.values()), None)
            if division is None:
                raise ValidationError(_("您的管辖范围内没有可统计的区划"))
            data["division_obj"] = division
        start, end = data.get("start"), data.get("end")
        if "start" in self.errors or "end" in self.errors or "period" in self.errors:
            return data
        if start or end or data.get("period") == "custom":
            data["period"] = "custom"
            if start is None:
                self.add_error("start", _("自定义期间请填写开始日期"))
            if end is None:
                self.add_error("end", _("自定义期间请填写结束日期"))
            if start and end and start > end:
                self.add_error(
                    "end",
                    _("结束日期“%(end)s”早于开始日期“%(start)s”")
                    % {"start": start.isoformat(), "end": end.isoformat()},
                )
        else:
            data["period"] = data.get("period") or DEFAULT_PRESET
            data["start"], data["end"] = preset_period(data["period"], self.today)
        return data


def _report(request: HttpRequest) -> tuple[TimelinessForm, dict[str, Any] | None]:
    """The bound form and, when it is valid, the report's figures (within the user's scope)."""
    if not scoping.has_perm(request.user, Case, "view"):
        raise PermissionDenied
    divisions = list(divisions_for(request.user)[:500])
    form = TimelinessForm(request.GET, divisions=divisions, today=timezone.localdate())
    if not form.is_valid():
        return form, None
    d = form.cleaned_data
    return form, report.timeliness(request.user, d["division_obj"], d["start"], d["end"])


def _sections(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The breakdown tables of the page: title, naming columns and rows."""
    tier_names = {k: data[k]["name"] for k in report.TIERS}
    rollup = bool(data["by_community"])

    def rows(items: list[dict[str, Any]], *cells: Any) -> list[dict[str, Any]]:
        return [{"cells": [cell(r) for cell in cells], "row": r} for r in items]

    grid_heads = [_("社区"), _("网格")] if rollup else [_("网格")]
    grid_cells = [lambda r: r["community"], lambda r: r["name"]] if rollup else [lambda r: r["name"]]
    return [
        {
            "key": "category",
            "title": _("按分类"),
            "heads": [_("分类"), _("上级分类"), _("时限类别")],
            "rows": rows(
                data["by_category"], lambda r: r["name"], lambda r: r["parent"], lambda r: tier_names[r["tier"]]
            ),
        },
        {
            "key": "community",
            "title": _("按社区"),
            "heads": [_("社区")],
            "rows": rows(data["by_community"], lambda r: r["name"]),
        },
        {"key": "grid", "title": _("按网格"), "heads": grid_heads, "rows": rows(data["by_grid"], *grid_cells)},
        {
            "key": "assignee",
            "title": _("按承办人"),
            "heads": [_("承办人")],
            "rows": rows(data["by_assignee"], lambda r: r["name"]),
        },
    ]


def _render(request: HttpRequest, form: TimelinessForm, data: dict[str, Any] | None, status: int = 200) -> HttpResponse:
    """The page: the form, and the cards and tables when the form was valid."""
    context: dict[str, Any] = {
        "form": form,
        "data": data,
        "can_export": scoping.has_perm(request.user, Case, "export"),
        "query": request.GET.urlencode(),
    }
    if data is not None:
        context["tiers"] = [{"key": key, **data[key]} for key in report.TIERS]
        context["sections"] = _sections(data)
        context["generated"] = data["generated_at"].replace("T", " ")[:19]
    return render(request, "cases/timeliness.html", context, status=status)


@login_required
def timeliness(request: HttpRequest) -> HttpResponse:
    """The timeliness report page (办结时效报表) of a division in the user's scope."""
    form, data = _report(request)
    return _render(request, form, data, status=200 if data is not None or not request.GET else 400)


@login_required
def timeliness_xlsx(request: HttpRequest) -> HttpResponse:
    """The same figures as an XLSX download (needs the export permission)."""
    if not scoping.has_perm(request.user, Case, "export"):
        raise PermissionDenied
    form, data = _report(request)
    if data is None:
        return _render(request, form, None, status=400)
    name = _("办结时效报表-%(d)s-%(s)s至%(e)s.xlsx") % {
        "d": data["division"]["name"],
        "s": data["period"]["start"],
        "e": data["period"]["end"],
    }
    response = HttpResponse(report.timeliness_xlsx(data), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f"attachment; filename=\"timeliness.xlsx\"; filename*=UTF-8''{quote(name)}"
    return response


urlpatterns = [
    path("timeliness/", timeliness, name="timeliness"),
    path("timeliness.xlsx", timeliness_xlsx, name="timeliness_xlsx"),
]
