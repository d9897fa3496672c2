"""Demo cases: a year of grid events, resident requests and disputes in the two demo communities.

城关社区 follows its article (seeds/003: "召开民情恳谈会12次，及时调处涉及民族因素矛盾纠纷10余起"): twelve
民情恳谈会 in the year with cases raised there, and a dozen disputes involving ethnic factors, all mediated.
桃源社区 (seeds/000) gets the grid members' 安全隐患 and 环境卫生 reports of an old urban neighbourhood.

Every case carries the steps the workflow services would have recorded (timeline rows and change-log
entries at the step times, by the demo user acting), its due time comes from
:func:`tongxin.cases.services.due_for`, resolution times are drawn in working time, and ``on_time``,
``work_minutes`` and the escalation level are what :func:`~tongxin.cases.services.resolve` and
:func:`~tongxin.cases.clock.tick` would have recorded. The year ends the day before today, plus a few
open cases of the last days for the directors' boards; whatever would happen after "now" is left out.

Deterministic (fixed seed, dates relative to today), idempotent (a community that has cases is left as
it is) and written in bulk (:mod:`tongxin.core.bulk`), with no per-row service calls.
"""

from tongxin.cases.demo.save import run

__all__ = ["run"]
