"""The Builder: one community's year of cases, planned step by step (no database writes)."""

from __future__ import annotations

import datetime
import decimal
import math
import random
import re
from collections import defaultdict
from typing import Any

from django.db import models

from tongxin.cases import services
from tongxin.cases.demo.board import BoardPlans
from tongxin.cases.demo.data import (
    ESTATE_SPOTS,
    FOLLOW_COMMENTS,
    GENERIC_RESOLUTION,
    GIVEN,
    GROUP_PLACES,
    HAN,
    INDOOR,
    PLACES,
    PRIORITY_UP,
    REJECT_REASONS,
    SEED,
    SRC,
    SURNAMES,
    TEMPLATES,
    Event,
    Plan,
    Profile,
    Resident,
    S,
)
from tongxin.cases.demo.disputes import DisputePlans
from tongxin.cases.models import Case, Category, FollowUp, Meeting
from tongxin.core import festivals
from tongxin.core.calendar import calendar_for
from tongxin.core.models import Holiday
from tongxin.core.workcalendar import WorkCalendar
from tongxin.org.models import Division, Grid, RoleAssignment


class Builder(DisputePlans, BoardPlans):
    """Plans a year of cases for one community."""

    def __init__(self, community: Division, profile: Profile, now: datetime.datetime) -> None:
        """Load what the community has: categories, grids, demo users, residents, compounds, festivals."""
        self.community = community
        self.p = profile
        self.now = now
        self.rng = random.Random(f"{SEED}-{community.code}")
        self.cal: WorkCalendar = calendar_for(community)
        self.tz = self.cal.tz
        self.today = now.astimezone(self.tz).date()
        self.cats = {c.code: c for c in services.categories_for(community)}
        self.grids = list(Grid.objects.filter(community=community).order_by("code"))
        self.users = self._users()
        self.residents = self._residents()
        self.adults = self.residents or []
        self.minorities = [r for r in self.adults if r.ethnicity not in ("", HAN)]
        self.han = [r for r in self.adults if r.ethnicity == HAN]
        self.estates = self._estates()
        self.festive = self._festive_days()
        self.plans: list[Plan] = []
        self.meetings: list[Meeting] = []
        self.late_debt: dict[str, float] = defaultdict(float)

    # -- what the community has

    def _users(self) -> dict[str, Any]:
        """The demo users acting in the community: director, worker and the grid members by grid."""
        rows = RoleAssignment.objects.filter(division=self.community).select_related("role", "user", "grid")
        found: dict[str, Any] = {"grid_members": {}}
        for ra in rows.order_by("pk"):
            code = ra.role.codename
            if code == "grid_member" and ra.grid_id:
                found["grid_members"].setdefault(ra.grid_id, ra.user)
            elif ra.grid_id is None and code in ("director", "worker"):
                found.setdefault(code, ra.user)
        found.setdefault("director", found.get("worker"))
        found.setdefault("worker", found["director"])
        return found

    def _residents(self) -> list[Resident]:
        """Adult living residents from the register (empty when the register was not loaded)."""
        from tongxin.registry.models import Person

        born_before = self.today.replace(year=self.today.year - 18)
        rows = (
            Person.objects.filter(community=self.community, life_status=Person.LifeStatus.LIVING)
            .filter(models.Q(birth_date__isnull=True) | models.Q(birth_date__lte=born_before))
            .order_by("pk")
            .values_list("pk", "name", "current_address", "ethnicity", "grid_id", "group__code")
        )
        name = self.community.name
        out = []
        for pk, person_name, address, ethnicity, grid_id, group_code in rows:
            cut = address.find(name)
            address = address[cut + len(name) :] if cut >= 0 else ""  # living elsewhere: no local address
            group = int(group_code[-3:]) if group_code and group_code[-3:].isdigit() else None
            out.append(Resident(pk, person_name, address, ethnicity or "", grid_id, group))
        return out

    def _estates(self) -> list[str]:
        """The community's compounds from the register, then the profile's estates."""
        from tongxin.registry.models import Compound

        names = list(Compound.objects.filter(community=self.community).order_by("name").values_list("name", flat=True))
        return names + [e for e in self.p.estates if e not in names]

    def _festive_days(self) -> set[datetime.date]:
        """Days around festivals and public holidays, when streets and bins fill up."""
        start = self.today - datetime.timedelta(days=400)
        days: set[datetime.date] = set()
        for year in range(start.year, self.today.year + 1):
            for fest, day in festivals.festivals_in(year):
                span = (-7, 8) if fest.key == "spring_festival" else (-2, 4)
                days.update(day + datetime.timedelta(days=k) for k in range(*span))
        holidays = Holiday.objects.filter(division__isnull=True, is_workday=False, date__gte=start)
        for day in holidays.values_list("date", flat=True):
            days.update(day + datetime.timedelta(days=k) for k in range(-1, 3))
        return days

    # -- small draws

    def at(self, day: datetime.date, hour: float) -> datetime.datetime:
        """An aware time of ``day`` at ``hour`` (decimal hours), whole minutes."""
        minutes = int(hour * 60)
        return datetime.datetime.combine(day, datetime.time(minutes // 60, minutes % 60), tzinfo=self.tz)

    def office_time(self, day: datetime.date) -> datetime.datetime:
        """A time in office hours (more in the morning)."""
        if self.rng.random() < 0.55:
            return self.at(day, self.rng.uniform(9.0, 11.95))
        return self.at(day, self.rng.uniform(14.5, 17.9))

    def report_time(self, day: datetime.date, source: str) -> datetime.datetime:
        """When a case of ``source`` is reported on ``day``: office hours mostly, some evenings."""
        rng = self.rng
        if not self.cal.is_workday(day):
            return self.at(day, rng.uniform(9.5, 17.5) if source == SRC.PATROL else rng.uniform(8.0, 21.5))
        if source in (SRC.PATROL, SRC.WALK_IN) or (source == SRC.HOTLINE and rng.random() < 0.85):
            return self.office_time(day)
        r = rng.random()
        if r < 0.72:
            return self.office_time(day)
        if r < 0.93:
            return self.at(day, rng.uniform(18.0, 22.5))
        if r < 0.98:
            return self.at(day, rng.uniform(7.0, 8.95))
        return self.at(day, rng.uniform(12.0, 14.4))

    def hours_after(self, start: datetime.datetime, hours: float) -> datetime.datetime:
        """``start`` plus working hours, to the minute."""
        t = self.cal.add_working_hours(start, max(hours, 1 / 60))
        return t.replace(second=0, microsecond=0) if t.second or t.microsecond else t

    def phone(self) -> str:
        """A made-up mobile number."""
        prefix = self.rng.choice(("139", "138", "137", "158", "159", "187", "188", "151", "182", "189"))
        return f"{prefix}{self.rng.randrange(10**8):08d}"

    def made_up(self) -> Resident:
        """A reporter who is not in the register (or when there is no register)."""
        name = self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)
        return Resident(None, name, "", "", None, None)

    def resident(self) -> Resident:
        """A registered adult resident, or a made-up one."""
        return self.rng.choice(self.adults) if self.adults else self.made_up()

    def location(self, who: Resident | None = None, code: str = "") -> tuple[str, str]:
        """(spot, address): a short place name for titles and the full address, of a kind that suits the
        category (flats for property and fire cases, anywhere for streets and bins), often the reporter's home."""
        rng = self.rng
        kinds = PLACES.get(code, ("group", "estate", "road", "landmark"))
        if who is not None and who.address and rng.random() < 0.7:
            match = re.match(r"^(.+?(小区|花园|家园|苑|宿舍|新村|组|路|街|巷))", who.address)
            if code != "property" or "栋" in who.address:
                return (match.group(1) if match else who.address[:6]), who.address
        if not self.p.groups:
            kinds = tuple(k for k in kinds if k != "group") or ("estate",)
        kind = rng.choices(kinds, [{"group": 30, "estate": 30, "road": 27, "landmark": 13}[k] for k in kinds])[0]
        indoor = code in INDOOR
        if kind == "group":
            group = rng.randint(1, self.p.groups)
            where = f"{rng.randint(1, 120)}号" if indoor else rng.choice(GROUP_PLACES)
            return f"{group}组", f"{group}组{where}"
        if kind == "estate":
            estate, n = rng.choice(self.estates), rng.randint(1, 12)
            where = f"{n}栋{rng.randint(1, 4)}单元" if indoor else rng.choice(ESTATE_SPOTS).format(n=n)
            return estate, f"{estate}{where}"
        if kind == "road":
            road = rng.choice(self.p.roads)
            return road, f"{road}{rng.randint(1, 180)}号"
        landmark = rng.choice(self.p.landmarks)
        return landmark, landmark

    def coords(self) -> tuple[decimal.Decimal, decimal.Decimal]:
        """A point near the community's centre (WGS-84, six decimals)."""
        lat, lon = self.p.center
        lat += self.rng.uniform(-0.0045, 0.0045)
        lon += self.rng.uniform(-0.0055, 0.0055)
        return decimal.Decimal(f"{lat:.6f}"), decimal.Decimal(f"{lon:.6f}")

    def grid_of(self, who: Resident | None) -> Grid | None:
        """The resident's grid, or one of the community's grids."""
        if who is not None and who.grid_id:
            for grid in self.grids:
                if grid.pk == who.grid_id:
                    return grid
        return self.rng.choice(self.grids) if self.grids else None

    def handler(self, grid: Grid | None) -> Any:
        """Who works on a case: the grid's member for half of the grid's cases, else the community worker."""
        member = self.users["grid_members"].get(grid.pk) if grid is not None else None
        if member is not None and self.rng.random() < 0.5:
            return member
        return self.users["worker"]

    def category_weights(self, day: datetime.date) -> tuple[list[str], list[float]]:
        """The day's category mix: more sanitation around festivals, drains and walls in the rainy season,
        fire and gas in winter, family disputes at Spring Festival, insurance questions in autumn."""
        festive = day in self.festive
        codes_, weights = [], []
        for code, weight in self.p.weights.items():
            if code not in self.cats:
                continue
            if festive and code.startswith("sanitation"):
                weight *= 2.0
            if day.month in (6, 7, 8, 9) and code in ("facilities", "safety-building"):
                weight *= 1.7
            if day.month in (12, 1, 2) and code in ("safety-fire", "safety-gas"):
                weight *= 1.6
            if festive and day.month in (1, 2) and code in ("neighbour", "family"):
                weight *= 1.5
            if day.month in (9, 10, 11, 12) and code == "policy":
                weight *= 1.4
            codes_.append(code)
            weights.append(weight)
        return codes_, weights

    def poisson(self, mean: float) -> int:
        """A Poisson draw (Knuth; the means here are small)."""
        limit, k, prod = math.exp(-mean), 0, self.rng.random()
        while prod > limit:
            k += 1
            prod *= self.rng.random()
        return k

    # -- the year

    def build(self) -> list[Plan]:
        """Plan the meetings, the year of cases, the disputes and the open cases of the last days."""
        first = self.today - datetime.timedelta(days=365)
        days = [first + datetime.timedelta(days=k) for k in range(365)]
        self.plan_meetings(days)
        weights = []
        for day in days:
            w = 1.0 if self.cal.is_workday(day) else 0.3
            if self.cal.is_workday(day) and day.weekday() == 0:
                w *= 1.15
            if day in self.festive:
                w *= 1.15
            if day.month in (6, 7, 8):
                w *= 1.08
            weights.append(w)
        total = sum(weights)
        for day, w in zip(days, weights, strict=True):
            for _ in range(self.poisson(self.p.per_year * w / total)):
                codes_, cat_weights = self.category_weights(day)
                code = self.rng.choices(codes_, cat_weights)[0]
                self.add(self.normal(day, code))
        self.plan_ethnic_disputes(days)
        self.plan_board()
        self.plans.sort(key=lambda p: p.case.reported_at)
        self.merge_duplicates()
        for plan in self.plans:
            self.escalations(plan)
        return self.plans

    def add(self, plan: Plan | None) -> None:
        """Keep a plan."""
        if plan is not None:
            self.plans.append(plan)

    def source_for(self, kind: str, workday: bool) -> str:
        """Where a case of ``kind`` comes from."""
        mix = {
            "event": ((SRC.PATROL, 55), (SRC.PHONE, 12), (SRC.WALK_IN, 8), (SRC.ONLINE, 10), (SRC.HOTLINE, 15)),
            "request": ((SRC.WALK_IN, 40), (SRC.PHONE, 25), (SRC.ONLINE, 13), (SRC.HOTLINE, 22)),
            "dispute": ((SRC.WALK_IN, 55), (SRC.PHONE, 20), (SRC.PATROL, 15), (SRC.HOTLINE, 10)),
        }[str(kind)]
        source = self.rng.choices([m[0] for m in mix], [m[1] for m in mix])[0]
        if not workday and (source == SRC.WALK_IN or (source == SRC.PATROL and self.rng.random() < 0.5)):
            source = SRC.PHONE
        return source

    def new_case(
        self,
        category: Category,
        reported_at: datetime.datetime,
        source: str,
        *,
        who: Resident | None = None,
        spot_place: tuple[str, str] | None = None,
        title: str = "",
        description: str = "",
        grid: Grid | None = None,
        meeting: Meeting | None = None,
        board: bool = False,
    ) -> Plan:
        """A case in its reported state with the report step, the reporter chosen by source."""
        rng = self.rng
        kind = category.kind
        if source == SRC.PATROL:
            who = None
        elif who is None:
            who = self.resident() if (source != SRC.HOTLINE or rng.random() < 0.6) else self.made_up()
        spot, place = spot_place or self.location(who, category.code)
        if grid is None:
            grid = self.grid_of(who)
        resolution = GENERIC_RESOLUTION
        if not title:
            title, description, resolution = self.texts(category, spot, place, who)
        reporter_user = None
        if source == SRC.PATROL:
            reporter_user = self.users["grid_members"].get(grid.pk) if grid is not None else None
            reporter_user = reporter_user or self.users["worker"]
            description = f"巡查发现：{description}"
        elif source in (SRC.WALK_IN, SRC.PHONE, SRC.HOTLINE):
            reporter_user = self.users["worker"]
        elif source == SRC.MEETING:
            reporter_user = self.users["director"]
        fields: dict[str, Any] = {}
        if who is not None:
            if who.pk is not None and source != SRC.HOTLINE:
                fields["reporter_person_id"] = who.pk
            else:
                fields["reporter_name"] = who.name
                fields["reporter_phone"] = self.phone()
        if source == SRC.HOTLINE:
            fields["external_ref"] = (
                f"{self.p.hotline_prefix}{reported_at.astimezone(self.tz):%Y%m%d}{rng.randrange(1, 3000):05d}"
            )
            fields["anonymous"] = rng.random() < 0.15
            description = f"12345热线转办：{description}"
        if (source == SRC.PATROL and rng.random() < 0.55) or (source != SRC.PATROL and rng.random() < 0.15):
            fields["latitude"], fields["longitude"] = self.coords()
        priority = category.priority
        if rng.random() < 0.04:
            priority = PRIORITY_UP[priority]
        case = Case(
            kind=kind,
            source=source,
            category=category,
            community=self.community,
            grid=grid,
            title=title[:100],
            description=description,
            reporter_user=reporter_user,
            address=place[:200],
            priority=priority,
            status=S.REPORTED,
            reported_at=reported_at,
            due_at=services.due_for(category, self.community, reported_at),
            meeting=meeting,
            **fields,
        )
        report = Event(reported_at, "report", reporter_user, description[:200])
        return Plan(case=case, events=[report], board=board, resolution=resolution)

    def texts(self, category: Category, spot: str, place: str, who: Resident | None) -> tuple[str, str, str]:
        """A title, a one-sentence description and the matching result for a case of ``category``."""
        templates = TEMPLATES.get(category.code) or TEMPLATES.get(getattr(category.parent, "code", "")) or ()
        if not templates:
            text = f"{place}存在{category.name}方面的问题，请社区协调处理。"
            return f"{spot}{category.name}问题", text, GENERIC_RESOLUTION
        values = {
            "spot": spot,
            "place": place,
            "n": self.rng.randint(2, 6),
            "name": who.name if who is not None else "居民",
            "training": self.p.training,
        }
        return tuple(t.format(**values) for t in self.rng.choice(templates))  # type: ignore[return-value]

    # -- outcomes

    def resolve_hours(self, case: Case) -> float:
        """Working hours until the case is resolved: most on time, some late, a few very late.

        Whether a case is late is decided by error diffusion (a running "late debt" with a jittered
        threshold), so that each community's on-time rate stays near its target (same-day categories
        ~88.5 %, within-week ~92.5 %) on whatever day the demo runs, while late cases still fall irregularly
        and more often on reports that come in just before closing time."""
        rng = self.rng
        category = case.category
        available = self.cal.working_time_between(case.reported_at, case.due_at).total_seconds() / 3600
        same_day = category.is_same_day
        key, target = ("same_day", 0.885) if same_day else ("week", 0.925)
        self.late_debt[key] += 1 - target
        late = self.late_debt[key] >= rng.uniform(0.5, 1.5) or available <= 0.05
        if same_day and available < 1 and rng.random() > 0.35 + 0.65 * available:
            late = True  # reported just before closing time
        if late:
            self.late_debt[key] -= 1
            hours = available + 0.1 + rng.expovariate(1 / 2.5)
            return hours + rng.uniform(6.5, 30) if rng.random() < 0.18 else hours
        if category.code == "policy":
            return min(available * 0.95, rng.uniform(0.1, 1.2))
        if same_day:
            return max(min(0.15, available * 0.5), available * rng.betavariate(1.4, 2.2) * 0.97)
        return max(0.3, available * rng.betavariate(1.6, 2.6) * 0.98)

    def workflow(self, plan: Plan, hours: float, resolution: str, assignee: Any = None) -> datetime.datetime:
        """Plan accept, assign, start, progress, resolve, close and follow-up; returns the resolve time."""
        rng, case = self.rng, plan.case
        director = self.users["director"]
        assignee = assignee or self.handler(case.grid)
        start = case.reported_at
        accept_h = min(hours * 0.2, rng.uniform(0.03, 0.4))
        assign_h = accept_h + min(hours * 0.1, rng.uniform(0.02, 0.25))
        begin_h = assign_h + min(hours * 0.15, rng.uniform(0.03, 0.5))
        if rng.random() < 0.6:
            t = self.hours_after(start, accept_h)
            plan.events.append(Event(t, "accept", director, "", {"status": S.ACCEPTED, "accepted_at": t}))
            assign_changes: dict[str, Any] = {}
        else:
            assign_changes = {"accepted_at": None}
        t = self.hours_after(start, assign_h)
        if "accepted_at" in assign_changes:
            assign_changes["accepted_at"] = t
        assign_changes.update({"status": S.ASSIGNED, "assignee": assignee, "assigned_at": t})
        plan.events.append(Event(t, "assign", director, rng.choice(("", "请尽快处理", "请按时限办结")), assign_changes))
        if hours > 0.5 and rng.random() < 0.75:
            t = self.hours_after(start, begin_h)
            plan.events.append(Event(t, "start", assignee, "", {"status": S.IN_PROGRESS}))
        if hours > 8 and rng.random() < 0.5:
            t = self.hours_after(start, hours * rng.uniform(0.5, 0.85))
            note = rng.choice(("已联系责任单位，正在协调处理", "已现场查看，等待责任单位处理", "已上报街道协调"))
            plan.events.append(Event(t, "progress", assignee, note))
        resolved = self.hours_after(start, hours)
        worked = self.cal.working_time_between(case.reported_at, resolved)
        plan.events.append(
            Event(
                resolved,
                "resolve",
                assignee,
                resolution,
                {
                    "status": S.RESOLVED,
                    "resolved_at": resolved,
                    "resolution": resolution,
                    "on_time": resolved <= case.due_at,
                    "work_minutes": max(0, int(worked.total_seconds() // 60)),
                },
            )
        )
        plan.end = resolved
        last = resolved
        if rng.random() < 0.8:
            last = self.hours_after(resolved, rng.uniform(0.3, 12))
            note = rng.choice(("核实无误", "经回访核实，同意关闭", ""))
            plan.events.append(Event(last, "close", director, note, {"status": S.CLOSED, "closed_at": last}))
        if rng.random() < 0.6:
            self.follow_up(plan, self.hours_after(last, rng.uniform(1, 20)))
        return resolved

    def follow_up(self, plan: Plan, when: datetime.datetime) -> None:
        """A follow-up call or visit with the reporter's satisfaction (lower when the case was late)."""
        rng = self.rng
        resolve = next(e for e in plan.events if e.step == "resolve")
        weights = (62, 28, 7, 2, 1) if resolve.changes["on_time"] else (35, 35, 18, 8, 4)
        satisfaction = rng.choices((5, 4, 3, 2, 1), weights)[0]
        comments = rng.choice(FOLLOW_COMMENTS[satisfaction])
        by = self.users["worker"] if rng.random() < 0.7 else self.users["director"]
        method = rng.choices((FollowUp.Method.PHONE, FollowUp.Method.VISIT, FollowUp.Method.ONLINE), (70, 20, 10))[0]
        plan.follow = FollowUp(
            case=plan.case, time=when, method=method, satisfaction=satisfaction, comments=comments, by=by
        )
        text = f"满意度 {satisfaction}" + (f"：{comments}" if comments else "")
        plan.events.append(Event(when, "follow_up", by, text, {"satisfaction": satisfaction}))

    def normal(self, day: datetime.date, code: str) -> Plan:
        """A case of the year: reported, then worked on, resolved (or rejected) as usual."""
        category = self.cats[code]
        if category.kind == Case.Kind.DISPUTE:
            return self.dispute_case(day, category)
        source = self.source_for(category.kind, self.cal.is_workday(day))
        plan = self.new_case(category, self.report_time(day, source), source)
        if self.rng.random() < 0.035:
            when = self.hours_after(plan.case.reported_at, self.rng.uniform(0.2, 4))
            reason = self.rng.choice(REJECT_REASONS)
            changes = {"status": S.REJECTED, "closed_at": when}
            plan.events.append(Event(when, "reject", self.users["director"], reason, changes))
            plan.end, plan.rejected = when, True
            return plan
        hours = self.resolve_hours(plan.case)
        self.workflow(plan, hours, plan.resolution)
        return plan

    # -- disputes
