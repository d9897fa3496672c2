"""The care module's part of the dashboards (:mod:`tongxin.core.dashboard`): households on 低保, left-behind
elders and the visits missed; per division below, the visits missed."""

from __future__ import annotations

from tongxin.core import dashboard as d

DASHBOARD = d.Part(
    figures=("care.dibao_households", "care.left_behind_elderly", "care.visits_overdue"),
    compare=("care.visits_overdue",),
    order=30,
)
