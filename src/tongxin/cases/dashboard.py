"""The cases' part of the dashboards (:mod:`tongxin.core.dashboard`): cases, the on-time rate, open cases past
their time limit and satisfaction; cases per month with the on-time rate, open and overdue cases per grid; per
community the same figures, the worst on-time rate first."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from tongxin.core import dashboard as d

DASHBOARD = d.Part(
    figures=("cases.cases", "cases.on_time_rate", "cases.overdue_open", "cases.satisfaction"),
    charts=(
        d.monthly(
            "cases_by_month", _("每月事件诉求与按时办结率"), "cases.by_month", "cases.on_time_by_month",
            "cases.resolved_by_month", _("按时办结率"), wide=True,
        ),
        d.bars("cases_by_grid", _("各网格办理中与超期件数"), "cases.open_by_grid", "cases.overdue_by_grid",
               levels=("community",)),
        d.breakdown("cases_by_category", _("事件诉求分类"), "cases.by_category", type="bar"),
    ),
    compare=("cases.cases", "cases.on_time_rate", "cases.overdue_open", "cases.satisfaction"),
    compare_charts=(
        d.children("on_time_by_division", _("各区划按时办结率（低者在前）"), "cases.on_time_rate", ascending=True),
    ),
    order_by="cases.on_time_rate",
    order=20,
)  # fmt: skip
