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

from __future__ import annotations

import datetime
import decimal
import enum
import json
import math
import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from tongxin.cases import services
from tongxin.cases.models import Case, CaseStep, Category, Dispute, FollowUp, MediationSession, Meeting
from tongxin.core import audit, bulk, codes, festivals
from tongxin.core.calendar import calendar_for
from tongxin.core.models import Holiday, ObjectChange
from tongxin.core.workcalendar import WorkCalendar
from tongxin.org.models import Division, Grid, RoleAssignment

SEED = "tongxin-cases-demo-2026"
S = Case.Status
SRC = Case.Source
MINUTE = datetime.timedelta(minutes=1)
HAN = "01"

# -- the communities ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """How one demo community's year of cases looks."""

    code: str
    per_year: int
    center: tuple[float, float]  # latitude, longitude (WGS-84)
    weights: dict[str, float]
    groups: int  # resident groups named as places ("3组"); 0 for a purely urban community
    estates: tuple[str, ...]
    roads: tuple[str, ...]
    landmarks: tuple[str, ...]
    hotline_prefix: str
    training: str
    court: str
    police: str
    mediation_room: str
    meeting_places: tuple[str, ...]
    topics: tuple[tuple[int, str, str, tuple[str, ...]], ...]  # month, topic, minutes, category codes
    ethnic_disputes: int
    board: int  # scale of the open cases of the last days


def _frozen(value: Any) -> Any:
    """JSON's lists as the tuples the builder keeps (dicts stay dicts)."""
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return {k: _frozen(v) for k, v in value.items()}
    return value


#: the demo's words: community profiles, case texts, disputes, mediation notes, names (cases/data/demo.json)
DATA = _frozen(json.loads((Path(__file__).parent / "data" / "demo.json").read_text(encoding="utf-8")))
PROFILES = {p["code"]: Profile(**p) for p in DATA["profiles"]}
#: per category: title, description and the matching result ({spot} a short place, {place} the address)
TEMPLATES: dict[str, tuple[tuple[str, str, str], ...]] = DATA["templates"]
#: where a category's problems are: home addresses and estates for flats, anywhere for streets and bins
PLACES: dict[str, tuple[str, ...]] = DATA["places"]
#: categories whose problems are inside a home or building (the address is a flat, not a street corner)
INDOOR = frozenset(DATA["indoor"])
ESTATE_SPOTS = DATA["estate_spots"]
GENERIC_RESOLUTION = DATA["generic_resolution"]
#: dispute templates: title, description (with {a}/{b} the parties and {place}), agreement
DISPUTES: dict[str, tuple[tuple[str, str, str], ...]] = DATA["disputes"]
CHENGGUAN_DISPUTES = DATA["chengguan_disputes"]
ETHNIC_DISPUTES = DATA["ethnic_disputes"]
SESSION_NOTES = DATA["session_notes"]
ETHNIC_SESSION_NOTE = DATA["ethnic_session_note"]
AGREED_NOTE = DATA["agreed_note"]
FAILED_NOTE = DATA["failed_note"]
REJECT_REASONS = DATA["reject_reasons"]
FOLLOW_COMMENTS = {int(k): v for k, v in DATA["follow_comments"].items()}
SURNAMES = DATA["surnames"]
GIVEN = DATA["given"]
GROUP_PLACES = DATA["group_places"]
PRIORITY_UP = {"low": "normal", "normal": "high", "high": "urgent", "urgent": "urgent"}


# -- plans: a case and the steps it will go through ---------------------------------------------------


@dataclass
class Event:
    """One planned workflow step of a case: when, which step, by whom, with which field changes."""

    time: datetime.datetime
    step: str
    actor: Any
    note: str = ""
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass
class Plan:
    """A case (built in its reported state) with the steps planned for it and its side rows."""

    case: Case
    events: list[Event]
    end: datetime.datetime | None = None  # when the clock stops (resolved, rejected, merged, suspended)
    board: bool = False
    resolution: str = ""  # the result text that goes with the problem
    rejected: bool = False
    merge_into: Plan | None = None
    merged_in: Event | None = None  # the step added to the case it was merged into
    persons: list[int] = field(default_factory=list)
    dispute: Dispute | None = None
    sessions: list[MediationSession] = field(default_factory=list)
    mediators: list[Any] = field(default_factory=list)
    outcome: dict[str, Any] = field(default_factory=dict)  # the dispute's fields once resolved
    follow: FollowUp | None = None
    log: list[tuple] = field(default_factory=list)  # change-log entries after replay
    merge_entry: dict | None = None


@dataclass
class Resident:
    """What the demo needs of a registry person (or of a made-up reporter when the register is empty)."""

    pk: int | None
    name: str
    address: str
    ethnicity: str
    grid_id: int | None
    group: int | None


# -- the generator ------------------------------------------------------------------------------------


class Builder:
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

    def parties(self, ethnic: bool) -> tuple[Resident, Resident]:
        """Two parties: for an ethnic dispute one from a minority and one Han (or two minorities)."""
        rng = self.rng
        if ethnic and self.minorities:
            a = rng.choice(self.minorities)
            pool = self.han or self.minorities
            b = rng.choice(pool)
            if b.pk == a.pk and len(self.minorities) > 1:
                b = rng.choice([m for m in self.minorities if m.pk != a.pk])
            return a, b
        if ethnic:
            a, b = self.made_up(), self.made_up()
            a.ethnicity, b.ethnicity = rng.choice(("07", "03", "06", "14")), HAN
            return a, b
        a, b = self.resident(), self.resident()
        if a.pk is not None and a.pk == b.pk:
            b = self.made_up()
        return a, b

    def dispute_case(
        self,
        day: datetime.date,
        category: Category,
        *,
        ethnic: bool = False,
        template: tuple[str, str, str] | None = None,
        result: str | None = None,
        reported: datetime.datetime | None = None,
        source: str | None = None,
    ) -> Plan:
        """A dispute: reported, mediated in one to three sessions, and its result recorded."""
        rng = self.rng
        a, b = self.parties(ethnic)
        spot, place = self.location(a, category.code)
        if template is None:
            pool = DISPUTES[category.code]
            if category.code == "neighbour" and self.p.code == "530424001002":
                pool = pool + CHENGGUAN_DISPUTES
            template = rng.choice(pool)
        eth = codes.table("ethnicity")
        values = {
            "a": a.name,
            "b": b.name,
            "ea": eth.name_of(a.ethnicity) or "少数民族",
            "eb": eth.name_of(b.ethnicity) or "汉族",
            "place": place if category.code == "neighbour" else "",
        }
        title, text, agreement = (t.format(**values) for t in template)
        if source is None:
            source = self.source_for(Case.Kind.DISPUTE, self.cal.is_workday(day))
            if ethnic:
                source = rng.choice((SRC.WALK_IN, SRC.WALK_IN, SRC.PATROL, SRC.PHONE))
        reported = reported or self.report_time(day, source)
        plan = self.new_case(category, reported, source, who=a, spot_place=(spot, place), title=title, description=text)
        case = plan.case
        case.involves_ethnic = ethnic
        plan.persons = [r.pk for r in (a, b) if r.pk is not None]
        mediator = self.users["worker"] if rng.random() < 0.6 else self.users["director"]
        plan.mediators = [u for u in dict.fromkeys((self.users["director"], self.users["worker"])) if u is not None]
        plan.dispute = Dispute(
            case=case,
            community=self.community,
            parties_text="\n".join(r.name for r in (a, b) if r.pk is None),
            mediators_text="少数民族代表、乡贤、居民小组长" if ethnic else rng.choice(("居民小组长", "党员代表", "")),
        )
        if result is None:
            result = rng.choices(
                (Dispute.Result.MEDIATED, Dispute.Result.FAILED, Dispute.Result.COURT, Dispute.Result.OTHER),
                (72, 10, 8, 10),
            )[0]
        hours = self.resolve_hours(case)
        if ethnic:  # taken seriously: mediated over several days, within the time limit
            hours = (
                self.cal.working_time_between(reported, case.due_at).total_seconds() / 3600 * rng.uniform(0.35, 0.85)
            )
        n_sessions = rng.choice((1, 2, 2, 3)) if result != Dispute.Result.OTHER else 1
        fractions = sorted(rng.uniform(0.35, 0.95) for _ in range(n_sessions))
        participants = "、".join(u.display_name for u in plan.mediators) + f"；当事人：{a.name}、{b.name}"
        if ethnic:
            participants += "；少数民族代表、乡贤"
        for i, f in enumerate(fractions):
            last = i == n_sessions - 1
            if last and result == Dispute.Result.MEDIATED:
                notes, outcome = AGREED_NOTE, MediationSession.Outcome.AGREED
            elif last and result in (Dispute.Result.FAILED, Dispute.Result.COURT):
                notes, outcome = FAILED_NOTE, MediationSession.Outcome.FAILED
            else:
                notes = ETHNIC_SESSION_NOTE if ethnic and i == 0 else SESSION_NOTES[i % len(SESSION_NOTES)]
                outcome = MediationSession.Outcome.CONTINUE
            plan.sessions.append(
                MediationSession(
                    community=self.community,
                    time=self.hours_after(reported, hours * f),
                    place=self.p.mediation_room,
                    participants=participants,
                    notes=notes,
                    outcome=outcome,
                )
            )
        if result == Dispute.Result.MEDIATED:
            resolution = f"经调解，双方自愿达成协议：{agreement}"
            outcome_fields = {"agreement": agreement}
        elif result == Dispute.Result.FAILED:
            resolution = "经多次调解双方未能达成一致，已告知当事人可通过诉讼途径解决。"
            outcome_fields = {}
        elif result == Dispute.Result.COURT:
            resolution = f"调解不成，已引导当事人向{self.p.court}起诉，社区配合提供情况说明。"
            outcome_fields = {"transferred_to": self.p.court}
        else:
            partner = rng.choice((self.p.police, "司法所", "劳动保障监察大队"))
            resolution = f"经初步了解，该纠纷需由{partner}处理，已移交并告知当事人。"
            outcome_fields = {"transferred_to": partner}
        resolved = self.workflow(plan, hours, resolution, assignee=mediator)
        plan.outcome = {"result": result, "result_date": resolved.astimezone(self.tz).date(), **outcome_fields}
        return plan

    def plan_ethnic_disputes(self, days: list[datetime.date]) -> None:
        """The disputes involving ethnic factors, spread over the year and all mediated."""
        n = self.p.ethnic_disputes
        if not n or "neighbour" not in self.cats:
            return
        usable = [d for d in days if self.cal.is_workday(d) and d <= self.today - datetime.timedelta(days=21)]
        templates = list(ETHNIC_DISPUTES)
        self.rng.shuffle(templates)
        for i in range(n):
            segment = usable[i * len(usable) // n : (i + 1) * len(usable) // n]
            day = self.rng.choice(segment)
            template = templates[i % len(templates)]
            code = "family" if template[0] == "婚姻家庭纠纷" and "family" in self.cats else "neighbour"
            plan = self.dispute_case(
                day, self.cats[code], ethnic=True, template=template, result=Dispute.Result.MEDIATED
            )
            self.add(plan)

    # -- meetings

    def plan_meetings(self, days: list[datetime.date]) -> None:
        """The 民情恳谈会 of the year (one a month in 城关社区, one a quarter in 桃源社区), saved first so
        the cases raised there can point at them."""
        rng = self.rng
        n = len(self.p.topics)
        unused = list(self.p.topics)
        director = self.users["director"]
        host = director.display_name if director is not None else ""
        raised_at: list[tuple[Meeting, int, tuple[str, ...]]] = []
        for i in range(n):
            segment = days[i * len(days) // n : (i + 1) * len(days) // n]
            candidates = [d for d in segment if self.cal.is_workday(d) and d.weekday() in (1, 3)] or segment
            middle = len(candidates) // 2
            day = candidates[middle + rng.randint(-1, 1)] if len(candidates) > 2 else candidates[0]
            topic = min(unused, key=lambda t: min(abs(t[0] - day.month), 12 - abs(t[0] - day.month)))
            unused.remove(topic)
            _month, title, summary, categories = topic
            raised = rng.randint(2, 4)
            named = list(dict.fromkeys(rng.choice(self.adults).name for _ in range(4))) if self.adults else []
            attendees = "社区两委成员、党员代表、少数民族代表、居民小组长、乡贤、驻社区单位代表、居民代表"
            if named:
                attendees += "（" + "、".join(named) + "等）"
            minutes = (
                f"{host}主持会议。{summary}与会人员围绕“{title}”提出意见建议{raised + rng.randint(3, 9)}条，"
                f"现场答复{rng.randint(2, 6)}条，其余{raised}条由社区登记为事件跟踪办理，办理结果在下次会议上通报。"
            )
            meeting = Meeting(
                community=self.community,
                date=day,
                place=rng.choice(self.p.meeting_places),
                topic=title,
                host=host,
                attendees=attendees,
                attendee_count=rng.randint(28, 65),
                minutes=minutes,
            )
            self.meetings.append(meeting)
            raised_at.append((meeting, raised, categories))
        bulk.insert(self.meetings)
        for meeting, raised, categories in raised_at:
            for k in range(raised):
                code = categories[k % len(categories)]
                if code in self.cats:
                    self.add(self.meeting_case(meeting, self.cats[code], k))

    def meeting_case(self, meeting: Meeting, category: Category, k: int) -> Plan:
        """A case raised at a meeting, registered by the director right after it."""
        reported = self.at(meeting.date, 17.0 + k * 0.15 + self.rng.uniform(0, 0.1))
        who = self.resident()
        if category.kind == Case.Kind.DISPUTE:
            plan = self.dispute_case(meeting.date, category, reported=reported, source=SRC.MEETING)
            plan.case.meeting = meeting
            return plan
        spot, place = self.location(who, category.code)
        title, text, resolution = self.texts(category, spot, place, who)
        plan = self.new_case(
            category,
            reported,
            SRC.MEETING,
            who=who,
            spot_place=(spot, place),
            title=title,
            description=f"民情恳谈会上居民代表反映：{text}",
            meeting=meeting,
        )
        self.workflow(plan, self.resolve_hours(plan.case), resolution)
        return plan

    # -- duplicates and the clock

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
        rng, cal, n = self.rng, self.cal, self.p.board
        now_local = self.now.astimezone(self.tz)
        yesterday = self.today - datetime.timedelta(days=1)
        same_day = [c for c in ("sanitation-waste", "safety-fire", "sanitation", "sanitation-occupy") if c in self.cats]
        week = [c for c in ("facilities", "property", "livelihood", "safety-building") if c in self.cats]
        director, worker = self.users["director"], self.users["worker"]
        if not same_day or not week:
            return
        # due today (or on the next working day when today is a day off): last evening and this morning
        times = [self.at(yesterday, 18.6 + 1.1 * k) for k in range(max(1, n // 2))]
        if now_local.hour >= 9 and cal.is_workday(self.today):
            latest = max(9.05, now_local.hour + now_local.minute / 60 - 0.2)
            times += [self.at(self.today, rng.uniform(9.0, latest)) for _ in range(n - len(times))]
        for k, t in enumerate(sorted(times)):
            t = min(t, now_local - datetime.timedelta(minutes=5))
            plan = self.board_case(rng.choice(same_day), t, SRC.PHONE if t.hour >= 18 else SRC.PATROL)
            if k % 2:
                self.open_steps(plan, worker if k % 3 else None, start=False)
        # overdue: same-day cases of the last working days, never resolved
        last_workday = cal.previous_workday(self.today)
        before = cal.previous_workday(last_workday)
        for day in [last_workday] * (n - 2) + [before]:
            plan = self.board_case(rng.choice(same_day), self.at(day, rng.uniform(9.2, 11.5)), SRC.PATROL)
            self.open_steps(plan, self.handler(plan.case.grid), start=True)
        # suspended: waiting for a spare part
        if "property" in self.cats:
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
        # in progress within the week
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
        # a dispute in mediation: one session so far
        if "neighbour" in self.cats:
            day = before
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


def assign_numbers(plans: list[Plan], tz: Any) -> None:
    """Give every case its number: the report date and the next sequence of that day (as ``next_number``),
    continuing after the numbers already in the database."""
    if not plans:
        return
    dates = {p.case.reported_at.astimezone(tz).date() for p in plans}
    low, high = f"{min(dates):%Y%m%d}", f"{max(dates):%Y%m%d}"
    used: Counter[str] = Counter()
    for number in Case.objects.filter(number__gte=low, number__lt=f"{high}~").values_list("number", flat=True):
        prefix, seq = number[:8], number[8:]
        if seq.isdigit():
            used[prefix] = max(used[prefix], int(seq))
    for plan in sorted(plans, key=lambda p: p.case.reported_at):
        prefix = f"{plan.case.reported_at.astimezone(tz):%Y%m%d}"
        used[prefix] += 1
        plan.case.number = f"{prefix}{used[prefix]:05d}"


def _plain(value: Any) -> Any:
    """Choices members as their plain values (the bulk writer hands values to the driver as they are)."""
    return value.value if isinstance(value, enum.Enum) else value


def plain_fields(obj: models.Model) -> models.Model:
    """Replace choices members in an object's fields by their plain values."""
    for f in obj._meta.concrete_fields:
        value = getattr(obj, f.attname)
        if isinstance(value, enum.Enum):
            setattr(obj, f.attname, value.value)
    return obj


def _json(value: Any) -> Any:
    """A field value as the change log stores it."""
    value = _plain(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


NO_STATUS_NOTE = ("report", "escalate", "remind")


def replay(plan: Plan, now: datetime.datetime) -> list[CaseStep]:
    """Apply the planned steps up to ``now`` to the case: its final fields, its timeline rows and its
    change-log entries with the state before and after each step (as the services would have saved)."""
    case = plain_fields(plan.case)
    events = sorted((e for e in plan.events if e.time <= now), key=lambda e: e.time)
    snap = audit.serialize(case, m2m=False)
    steps = []
    for event in events:
        before, from_status = snap, case.status if event.step != "report" else ""
        snap = dict(snap)
        for name, value in event.changes.items():
            value = _plain(value)
            setattr(case, name, value)  # a relation by its object: sets the id too
            snap[name] = _json(value)
        if event.step not in NO_STATUS_NOTE:
            case.status_note = event.note[:500]
            snap["status_note"] = case.status_note
        if event.step == "merge":
            plan.merge_entry = snap
        actor = event.actor
        steps.append(
            CaseStep(
                case=case,
                time=event.time,
                step=event.step,
                actor=actor,
                actor_name=actor.display_name if actor is not None else "",
                from_status=from_status,
                to_status=case.status,
                assignee_id=case.assignee_id,
                note=event.note,
            )
        )
        if event.step == "report":
            entry = (case, event.time, ObjectChange.Action.CREATE, "report", actor, None, snap, "")
        else:
            entry = (case, event.time, ObjectChange.Action.WORKFLOW, event.step, actor, before, snap, event.note)
        plan.log.append(entry)
    if case.status not in (S.RESOLVED, S.CLOSED) or (plan.follow is not None and plan.follow.time > now):
        plan.follow = None
    return steps


def save(builders: list[Builder], now: datetime.datetime) -> None:
    """Number, replay and insert everything the builders planned, with their change log."""
    plans = [plan for b in builders for plan in b.plans]
    if not plans:
        return
    assign_numbers(plans, builders[0].tz)
    for plan in plans:
        if plan.merged_in is not None:
            plan.merged_in.note = f"事件 {plan.case.number} 并入本事件"
    steps: list[CaseStep] = []
    for plan in plans:
        steps += replay(plan, now)
    cases = [p.case for p in plans]
    bulk.insert(cases)
    merged = []
    for plan in plans:
        if plan.merge_into is not None and plan.case.status == S.MERGED:
            plan.case.merged_into_id = plan.merge_into.case.pk
            if plan.merge_entry is not None:
                plan.merge_entry["merged_into"] = plan.merge_into.case.pk
            merged.append(plan.case)
    if merged:
        Case.objects.bulk_update(merged, ["merged_into"])
    for step in steps:
        step.case = step.case  # now that the case has its key (setting case_id would drop the cached case)
    bulk.insert(steps)
    log: list[tuple] = []
    for plan in plans:
        log += plan.log
    write_disputes(plans, now, log)
    follows = [p.follow for p in plans if p.follow is not None]
    for follow in follows:
        follow.case = follow.case
        plain_fields(follow)
    bulk.insert(follows)
    log += [(f, f.time, ObjectChange.Action.CREATE, "", f.by, None, audit.serialize(f, m2m=False), "") for f in follows]
    through = Case.persons.through
    through.objects.bulk_create(
        [through(case_id=p.case.pk, person_id=pk) for p in plans for pk in dict.fromkeys(p.persons)]
    )
    for b in builders:
        director = b.users["director"]
        for m in b.meetings:
            when = datetime.datetime.combine(m.date, datetime.time(16, 45), tzinfo=b.tz)  # before its cases
            log.append((m, when, ObjectChange.Action.CREATE, "", director, None, audit.serialize(m, m2m=False), ""))
    audit.record_history(log)


def write_disputes(plans: list[Plan], now: datetime.datetime, log: list[tuple]) -> None:
    """Insert the disputes (with their result once the case is resolved), their sessions, parties and
    mediators, and their change-log entries."""
    disputes, sessions, parties, mediators = [], [], [], []
    for plan in plans:
        dispute = plan.dispute
        if dispute is None:
            continue
        dispute.case = plan.case
        case = plan.case
        reporter = case.reporter_user
        pending = audit.serialize(plain_fields(dispute), m2m=False)
        resolver = None
        if case.status in (S.RESOLVED, S.CLOSED) and plan.outcome:
            for name, value in plan.outcome.items():
                setattr(dispute, name, value)
            resolver = next(e for e in plan.events if e.step == "resolve")
        plain_fields(dispute)
        disputes.append((plan, dispute, pending, reporter, resolver))
    bulk.insert([d for _p, d, *_ in disputes])
    through_parties, through_mediators = Dispute.parties.through, Dispute.mediators.through
    for plan, dispute, pending, reporter, resolver in disputes:
        log.append((dispute, plan.case.reported_at, ObjectChange.Action.CREATE, "", reporter, None, pending, ""))
        if resolver is not None:
            post = audit.serialize(dispute, m2m=False)
            log.append((dispute, resolver.time, ObjectChange.Action.UPDATE, "", resolver.actor, pending, post, ""))
        for session in plan.sessions:
            plain_fields(session)
            if session.time <= now:
                session.dispute = dispute
                sessions.append((session, resolver.actor if resolver else plan.case.assignee))
        parties += [through_parties(dispute_id=dispute.pk, person_id=pk) for pk in dict.fromkeys(plan.persons)]
        mediators += [through_mediators(dispute_id=dispute.pk, user_id=u.pk) for u in plan.mediators]
    bulk.insert([s for s, _ in sessions])
    for session, actor in sessions:
        log.append(
            (
                session,
                session.time,
                ObjectChange.Action.CREATE,
                "",
                actor,
                None,
                audit.serialize(session, m2m=False),
                "",
            )
        )
    through_parties.objects.bulk_create(parties)
    through_mediators.objects.bulk_create(mediators)


def summary(builder: Builder) -> str:
    """One line per community: cases, on-time rate, meetings, disputes."""
    cases = [p.case for p in builder.plans]
    done = [c for c in cases if c.on_time is not None]
    rate = 100 * sum(1 for c in done if c.on_time) / len(done) if done else 0
    disputes = [p for p in builder.plans if p.dispute is not None]
    mediated = [p for p in disputes if p.dispute.result == Dispute.Result.MEDIATED]
    ethnic = [p for p in mediated if p.case.involves_ethnic]
    open_ = sum(1 for c in cases if c.status in Case.OPEN_STATUSES)
    return (
        f"{builder.community.name}：{len(cases):,} 件事件（按时办结率 {rate:.1f}%，在办 {open_} 件），"
        f"{len(builder.meetings)} 次民情恳谈会，{len(disputes)} 起矛盾纠纷（调解成功 {len(mediated)} 起，"
        f"其中涉及民族因素 {len(ethnic)} 起）"
    )


def run(stdout: Any) -> list:
    """Add a year of cases to each demo community that has none yet; print one line per community."""
    from tongxin.org.demo import CHENGGUAN, TAOYUAN

    now = timezone.now().replace(microsecond=0)
    builders = []
    with transaction.atomic():
        for code in (TAOYUAN, CHENGGUAN):
            community = Division.objects.filter(code=code).first()
            if community is None:
                stdout.write(f"cases: 社区 {code} 不存在，跳过（请先运行组织机构演示数据）")
                continue
            if Case.objects.filter(community=community).exists():
                stdout.write(f"cases: {community.name}已有事件，保持不变")
                continue
            builder = Builder(community, PROFILES[code], now)
            if builder.users["director"] is None:
                stdout.write(f"cases: {community.name}没有社区书记/主任账号，跳过")
                continue
            builder.build()
            builders.append(builder)
        save(builders, now)
    for builder in builders:
        stdout.write(summary(builder))
    return []
