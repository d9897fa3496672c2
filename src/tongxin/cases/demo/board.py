"""The demo's duplicates, escalations and the open cases of the last days for the directors' boards."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.conf import settings

from tongxin.cases.demo.data import (
    DISPUTES,
    MINUTE,
    SESSION_NOTES,
    SRC,
    Event,
    Plan,
    S,
)
from tongxin.cases.models import Case, Dispute, MediationSession


class BoardPlans:
    """The Builder's merges, escalations and board cases."""

    def merge_duplicates(self) -> None:
        """About 2 % of the cases are a second report of a problem that is already reported and still open:
        another resident calls, writes in or goes through the hotline, and the director merges it."""
        rng = self.rng
        for target in list(self.plans):
            case = target.case
            if (
                target.board
                or target.rejected
                or target.end is None
                or case.kind != Case.Kind.EVENT
                or case.source == SRC.MEETING
                or rng.random() >= 0.055
            ):
                continue
            open_hours = self.cal.working_time_between(case.reported_at, target.end).total_seconds() / 3600
            if open_hours < 0.5:
                continue
            second = self.hours_after(case.reported_at, rng.uniform(0.1, min(3.0, open_hours * 0.6)))
            merge_at = self.hours_after(second, rng.uniform(0.05, 0.5))
            if merge_at >= target.end or merge_at > self.now:
                continue
            problem = re.sub(r"^(巡查发现|12345热线转办|民情恳谈会上居民代表反映)：", "", case.description)
            duplicate = self.new_case(
                case.category,
                second,
                rng.choice((SRC.PHONE, SRC.PHONE, SRC.HOTLINE, SRC.ONLINE)),
                spot_place=(case.title, case.address),
                title=case.title,
                description=f"又有居民反映：{problem}",
            )
            self.make_duplicate(duplicate, target, merge_at)
            self.plans.append(duplicate)
        self.plans.sort(key=lambda p: p.case.reported_at)

    def make_duplicate(self, plan: Plan, target: Plan, merge_at: datetime.datetime) -> None:
        """Make ``plan`` a second report of ``target``'s problem, merged into it by the director."""
        case, original = plan.case, target.case
        case.latitude, case.longitude, case.grid = original.latitude, original.longitude, original.grid
        director = self.users["director"]
        note = f"与事件“{original.title}”为同一问题，并入处理"
        plan.events.append(Event(merge_at, "merge", director, note, {"status": S.MERGED, "closed_at": merge_at}))
        plan.end, plan.merge_into = merge_at, target
        plan.merged_in = Event(merge_at, "merged_in", director, "", {})
        target.events.append(plan.merged_in)

    def escalations(self, plan: Plan) -> None:
        """The clock's escalations of a case still running after its due time (what ``tick`` would do)."""
        due = plan.case.due_at
        first = due + MINUTE
        if plan.end is not None and plan.end <= first:
            return
        label = Case.Level.COMMUNITY.label
        text = f"已超过办结时限（{due.astimezone(self.tz):%m-%d %H:%M}），"
        changes = {"level": Case.Level.COMMUNITY, "escalated_at": first}
        plan.events.append(Event(first, "escalate", None, text + str(label), changes))
        street = self.cal.add_working_hours(due, settings.CASE_STREET_ESCALATION_HOURS) + MINUTE
        if plan.end is None or plan.end > street:
            changes = {"level": Case.Level.STREET, "escalated_at": street}
            plan.events.append(Event(street, "escalate", None, text + str(Case.Level.STREET.label), changes))

    # -- the directors' board

    def plan_board(self) -> None:
        """Open cases of the last days: a few due today, some overdue and escalated, one suspended, some
        in progress, and one dispute in mediation."""
        cal, n = self.cal, self.p.board
        now_local = self.now.astimezone(self.tz)
        same_day = [c for c in ("sanitation-waste", "safety-fire", "sanitation", "sanitation-occupy") if c in self.cats]
        week = [c for c in ("facilities", "property", "livelihood", "safety-building") if c in self.cats]
        if not same_day or not week:
            return
        self.board_due_today(n, same_day, now_local)
        last_workday = cal.previous_workday(self.today)
        before = cal.previous_workday(last_workday)
        self.board_overdue(n, same_day, last_workday, before)
        if "property" in self.cats:
            self.board_suspended(before)
        self.board_in_progress(n, week, before, last_workday, now_local)
        if "neighbour" in self.cats:
            self.board_dispute(before)

    def board_due_today(self, n: int, same_day: list[str], now_local: datetime.datetime) -> None:
        """Same-day cases due today (or on the next working day when today is a day off): last evening and
        this morning; every second one accepted, and some of those assigned."""
        rng, worker = self.rng, self.users["worker"]
        yesterday = self.today - datetime.timedelta(days=1)
        times = [self.at(yesterday, 18.6 + 1.1 * k) for k in range(max(1, n // 2))]
        if now_local.hour >= 9 and self.cal.is_workday(self.today):
            latest = max(9.05, now_local.hour + now_local.minute / 60 - 0.2)
            times += [self.at(self.today, rng.uniform(9.0, latest)) for _ in range(n - len(times))]
        for k, t in enumerate(sorted(times)):
            t = min(t, now_local - datetime.timedelta(minutes=5))
            plan = self.board_case(rng.choice(same_day), t, SRC.PHONE if t.hour >= 18 else SRC.PATROL)
            if k % 2:
                self.open_steps(plan, worker if k % 3 else None, start=False)

    def board_overdue(self, n: int, same_day: list[str], last_workday: datetime.date, before: datetime.date) -> None:
        """Overdue: same-day cases of the last working days, started but never resolved."""
        rng = self.rng
        for day in [last_workday] * (n - 2) + [before]:
            plan = self.board_case(rng.choice(same_day), self.at(day, rng.uniform(9.2, 11.5)), SRC.PATROL)
            self.open_steps(plan, self.handler(plan.case.grid), start=True)

    def board_suspended(self, before: datetime.date) -> None:
        """A suspended case: a lift out of service, waiting for a spare part."""
        rng, worker = self.rng, self.users["worker"]
        estate, building = rng.choice(self.estates), rng.randint(1, 12)
        plan = self.board_case(
            "property",
            self.at(before, rng.uniform(9.2, 10.5)),
            SRC.WALK_IN,
            spot_place=(estate, f"{estate}{building}栋{rng.randint(1, 3)}单元"),
            title=f"{estate}{building}栋电梯停运",
            description=f"{estate}{building}栋电梯停运三天，楼上多位老人无法下楼，物业称需更换配件。",
        )
        self.open_steps(plan, worker, start=True)
        when = self.hours_after(plan.case.reported_at, 3)
        reason = "电梯主板损坏，维保单位已下单更换配件，等待厂家配件到货（预计一周）"
        status = plan.events[-1].changes.get("status", S.ASSIGNED)
        changes = {"status": S.SUSPENDED, "suspended_at": when, "suspended_status": status}
        plan.events.append(Event(when, "suspend", worker, reason, changes))
        plan.end = when

    def board_in_progress(
        self,
        n: int,
        week: list[str],
        before: datetime.date,
        last_workday: datetime.date,
        now_local: datetime.datetime,
    ) -> None:
        """Cases with a week's time limit in progress, reported on the last two working days or today (a time
        drawn for today that is not yet past moves to the last working day's afternoon)."""
        rng, worker = self.rng, self.users["worker"]
        for k in range(n - 1):
            day = [before, last_workday, self.today][k % 3]
            t = self.at(day, rng.uniform(9.1, 11.0))
            if t >= now_local:
                t = self.at(last_workday, rng.uniform(14.6, 17.0))
            code = rng.choice(week)
            sources = (SRC.WALK_IN, SRC.PHONE) if self.cats[code].kind != Case.Kind.EVENT else (SRC.PATROL, SRC.PHONE)
            plan = self.board_case(code, t, rng.choice(sources))
            self.open_steps(plan, self.handler(plan.case.grid), start=True)
            if k == 0:
                note = "已现场查看，等待责任单位处理"
                plan.events.append(Event(self.hours_after(plan.case.reported_at, 2.5), "progress", worker, note))

    def board_dispute(self, day: datetime.date) -> None:
        """A neighbours' dispute in mediation, reported on ``day``: one session so far."""
        rng = self.rng
        director, worker = self.users["director"], self.users["worker"]
        a, b = self.parties(False)
        spot, place = self.location(a, "neighbour")
        title, text, _agreement = DISPUTES["neighbour"][0]
        values = {"a": a.name, "b": b.name, "place": place}
        plan = self.board_case(
            "neighbour",
            self.at(day, rng.uniform(9.3, 10.5)),
            SRC.WALK_IN,
            who=a,
            spot_place=(spot, place),
            title=title,
            description=text.format(**values),
        )
        plan.persons = [r.pk for r in (a, b) if r.pk is not None]
        plan.mediators = [u for u in dict.fromkeys((director, worker)) if u is not None]
        plan.dispute = Dispute(
            case=plan.case,
            community=self.community,
            parties_text="\n".join(r.name for r in (a, b) if r.pk is None),
        )
        self.open_steps(plan, worker, start=True)
        plan.sessions.append(
            MediationSession(
                community=self.community,
                time=self.hours_after(plan.case.reported_at, 4),
                place=self.p.mediation_room,
                participants=f"{worker.display_name if worker else ''}；当事人：{a.name}、{b.name}",
                notes=SESSION_NOTES[0],
                outcome=MediationSession.Outcome.CONTINUE,
            )
        )

    def board_case(self, code: str, reported: datetime.datetime, source: str, **kwargs: Any) -> Plan:
        """An open case of the last days."""
        plan = self.new_case(self.cats[code], reported, source, board=True, **kwargs)
        self.add(plan)
        return plan

    def open_steps(self, plan: Plan, assignee: Any, *, start: bool) -> None:
        """Accept and assign (and start) an open case, or only accept it when nobody is assigned yet."""
        director, t0 = self.users["director"], plan.case.reported_at
        accepted = self.hours_after(t0, self.rng.uniform(0.05, 0.3))
        plan.events.append(Event(accepted, "accept", director, "", {"status": S.ACCEPTED, "accepted_at": accepted}))
        if assignee is None:
            return
        assigned = self.hours_after(t0, self.rng.uniform(0.35, 0.6))
        changes = {"status": S.ASSIGNED, "assignee": assignee, "assigned_at": assigned}
        plan.events.append(Event(assigned, "assign", director, "请按时限办结", changes))
        if start:
            began = self.hours_after(t0, self.rng.uniform(0.7, 1.2))
            plan.events.append(Event(began, "start", assignee, "", {"status": S.IN_PROGRESS}))


# -- numbering, replay and writing ----------------------------------------------------------------------
