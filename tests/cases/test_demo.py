"""``tongxin.cases.demo``: a year of cases in both demo communities, consistent with what the workflow
services and the clock would have recorded, deterministic for a given day and idempotent.

The register demo (13,456 residents) is too slow for a unit test: the organisation demo is loaded, 桃源社区
gets a few residents and 城关社区 none, so both the registered and the name-only reporters are exercised.
"""

from __future__ import annotations

import datetime
import io
import re
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tongxin.cases import demo, services
from tongxin.cases.models import Case, CaseStep, Dispute, FollowUp, MediationSession, Meeting
from tongxin.core.calendar import calendar_for
from tongxin.core.models import ObjectChange
from tongxin.org import demo as org_demo
from tongxin.org.models import Division, Grid
from tongxin.registry.models import Person

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 6, 10, 10, 30, tzinfo=TZ)  # a Wednesday, a working day
S = Case.Status

#: what the demo makes on the frozen day (it is deterministic: any change of these is a change of the demo)
EXPECTED = {
    "cases": 1787,
    "steps": 10155,
    "changes": 11475,
    "follow_ups": 993,
    "disputes": 80,
    "sessions": 154,
    "meetings": 16,
    "taoyuan": 578,
    "chengguan": 1209,
}


def counts() -> dict[str, int]:
    """Rows of every model the demo writes."""
    return {
        "cases": Case.objects.count(),
        "steps": CaseStep.objects.count(),
        "changes": ObjectChange.objects.filter(content_type__app_label="cases").count(),
        "follow_ups": FollowUp.objects.count(),
        "disputes": Dispute.objects.count(),
        "sessions": MediationSession.objects.count(),
        "meetings": Meeting.objects.count(),
        "taoyuan": Case.objects.filter(community__code=org_demo.TAOYUAN).count(),
        "chengguan": Case.objects.filter(community__code=org_demo.CHENGGUAN).count(),
    }


def add_residents() -> None:
    """Thirty residents of 桃源社区, a few of them from minorities."""
    taoyuan = Division.objects.get(code=org_demo.TAOYUAN)
    grid = Grid.objects.get(community=taoyuan, code="TY02")
    for i in range(30):
        Person.objects.create(
            community=taoyuan,
            grid=grid,
            name=f"居民{i:02d}",
            sex="1" if i % 2 else "2",
            birth_date=datetime.date(1960 + i, 3, 1),
            ethnicity="07" if i % 5 == 0 else "01",
            current_address=f"云南省昆明市盘龙区鼓楼街道桃源社区翠园小区{i % 6 + 1}栋{i % 3 + 1}单元",
        )


def run_demo() -> str:
    """Run the case demo; its output."""
    out = io.StringIO()
    assert demo.run(out) == []
    return out.getvalue()


def on_time_rate(cases: list[Case], same_day: bool) -> float:
    """The share of resolved cases of same-day (or within-week) categories resolved on time."""
    done = [c for c in cases if c.on_time is not None and c.category.is_same_day == same_day]
    return sum(c.on_time for c in done) / len(done)


def test_demo_adds_a_consistent_year_of_cases():
    """One run checked from every side (the demo takes seconds: running it once keeps the test fast)."""
    with time_machine.travel(NOW, tick=False):
        org_demo.run(io.StringIO())
        add_residents()
        out = run_demo()
        made = counts()
        again = run_demo()
        assert counts() == made, "a second run adds nothing"
    assert made == EXPECTED
    assert "城关社区：" in out and "12 次民情恳谈会" in out and "桃源社区：" in out
    assert again.count("已有事件") == 2

    cases = list(Case.objects.select_related("category", "community", "merged_into").order_by("reported_at", "pk"))
    calendars = {c.community_id: calendar_for(c.community) for c in cases}
    taoyuan = [c for c in cases if c.community.code == org_demo.TAOYUAN]
    chengguan = [c for c in cases if c.community.code == org_demo.CHENGGUAN]
    assert 550 <= len(taoyuan) <= 680 and 1100 <= len(chengguan) <= 1300

    # numbers: the report date and the day's sequence, in the order of reporting
    for c in cases:
        local = c.reported_at.astimezone(TZ)
        assert re.fullmatch(r"\d{13}", c.number) and c.number[:8] == f"{local:%Y%m%d}"
    assert [c.number for c in cases] == sorted(c.number for c in cases)
    assert len({c.number for c in cases}) == len(cases)
    assert min(c.reported_at for c in cases).astimezone(TZ).date() >= NOW.date() - datetime.timedelta(days=365)
    assert max(c.reported_at for c in cases) <= NOW

    # deadlines as the services compute them; outcomes as resolve() records them
    for c in cases[::4]:
        assert c.due_at == services.due_for(c.category, c.community, c.reported_at), c.number
    for c in cases:
        if c.resolved_at is None:
            assert c.on_time is None and c.work_minutes is None
            continue
        cal = calendars[c.community_id]
        assert c.on_time == (c.resolved_at <= c.due_at), c.number
        assert c.work_minutes == int(cal.working_time_between(c.reported_at, c.resolved_at).total_seconds() // 60)
        assert c.reported_at <= (c.accepted_at or c.resolved_at) <= c.resolved_at
    for community in (taoyuan, chengguan):
        assert 0.85 <= on_time_rate(community, same_day=True) <= 0.92
        assert 0.90 <= on_time_rate(community, same_day=False) <= 0.95
        resolved = [c for c in community if c.resolved_at is not None]
        assert 0.75 <= sum(c.status == S.CLOSED for c in resolved) / len(resolved) <= 0.85
        rated = [c.satisfaction for c in resolved if c.satisfaction]
        assert 0.5 <= len(rated) / len(resolved) <= 0.7 and sum(s >= 4 for s in rated) / len(rated) >= 0.8
        rejected = [c for c in community if c.status == S.REJECTED]
        assert 0.015 <= len(rejected) / len(community) <= 0.05 and all(c.status_note for c in rejected)
        assert 0.005 <= sum(c.status == S.MERGED for c in community) / len(community) <= 0.04
        # the weekday pattern: far fewer reports on days off
        workdays = Counter(calendars[c.community_id].is_workday(c.reported_at.astimezone(TZ).date()) for c in community)
        assert workdays[False] < workdays[True] / 4
        # escalation: late cases at least to the community, very late ones to the street
        late = [c for c in resolved if not c.on_time and c.resolved_at > c.due_at + datetime.timedelta(minutes=1)]
        assert late and all(c.level >= 1 and c.escalated_at is not None for c in late)
        assert any(c.level == 2 for c in late)
        assert all(c.level == 0 for c in resolved if c.on_time)

    # merged duplicates point at an earlier case that was still open then
    for c in cases:
        if c.status == S.MERGED:
            target = c.merged_into
            assert target.reported_at < c.reported_at and target.category.code == c.category.code
            assert target.resolved_at is None or target.resolved_at > c.closed_at

    # sources and reporters
    hotline = [c for c in cases if c.source == Case.Source.HOTLINE]
    assert hotline and all(c.external_ref for c in hotline)
    patrol = [c for c in cases if c.source == Case.Source.PATROL]
    assert {c.reporter_user.username for c in patrol} <= {
        "grid_taoyuan",
        "grid_chengguan",
        "worker_taoyuan",
        "worker_chengguan",
    }
    assert any(c.reporter_person_id for c in taoyuan)
    assert not any(c.reporter_person_id for c in chengguan)  # no register there: name-only reporters
    assert all(c.reporter_display for c in cases)
    located = [c for c in cases if c.latitude is not None]
    assert len(located) > len(cases) // 5
    for c in located:
        lat, lon = (25.06, 102.72) if c.community.code == org_demo.TAOYUAN else (24.19, 102.93)
        assert abs(float(c.latitude) - lat) < 0.01 and abs(float(c.longitude) - lon) < 0.01

    # 城关社区 as in its article: 12 民情恳谈会 and a dozen mediated disputes involving ethnic factors
    meetings = Meeting.objects.filter(community__code=org_demo.CHENGGUAN)
    assert meetings.count() == 12
    assert all(m.topic and m.minutes and m.attendees and m.attendee_count >= 20 for m in meetings)
    assert len({(m.date.year, m.date.month) for m in meetings}) >= 11
    raised = [c for c in chengguan if c.meeting_id]
    assert len(raised) >= 24 and all(c.source == Case.Source.MEETING for c in raised)
    assert all(c.reported_at.astimezone(TZ).date() == c.meeting.date for c in raised)
    ethnic = Dispute.objects.filter(community__code=org_demo.CHENGGUAN, case__involves_ethnic=True)
    assert ethnic.count() >= 10
    for d in ethnic.select_related("case"):
        sessions = list(d.sessions.order_by("time"))
        assert d.result == Dispute.Result.MEDIATED and d.agreement and sessions
        assert sessions[-1].outcome == MediationSession.Outcome.AGREED
        assert d.result_date == d.case.resolved_at.astimezone(TZ).date()
        assert all(d.case.reported_at < s.time <= d.case.resolved_at for s in sessions)
        assert d.mediators.exists()
    results = Counter(Dispute.objects.values_list("result", flat=True))
    assert len(results) >= 3 and results[Dispute.Result.MEDIATED] > results[Dispute.Result.FAILED]
    assert Dispute.objects.filter(community__code=org_demo.TAOYUAN).count() >= 10
    assert Dispute.parties.through.objects.exists()  # 桃源社区's parties are registered residents
    assert Case.objects.filter(kind=Case.Kind.DISPUTE).count() == Dispute.objects.count()
    transferred = Dispute.objects.filter(result__in=[Dispute.Result.COURT, Dispute.Result.OTHER])
    assert all(d.transferred_to for d in transferred)

    # the directors' boards at the frozen "now": due today, overdue and escalated, one suspended
    for community in (taoyuan, chengguan):
        running = [c for c in community if c.status in Case.OPEN_STATUSES and c.status != S.SUSPENDED]
        assert any(c.due_at.astimezone(TZ).date() == NOW.date() and c.due_at > NOW for c in running)
        overdue = [c for c in running if c.due_at < NOW]
        assert overdue and all(c.level >= 1 and c.escalated_at <= NOW for c in overdue)
        assert any(c.level == 2 for c in overdue)
        suspended = [c for c in community if c.status == S.SUSPENDED]
        assert len(suspended) == 1 and suspended[0].suspended_at <= NOW and suspended[0].due_at > NOW

    # every case has its timeline from the report on, and a change-log entry at each step
    steps = list(CaseStep.objects.order_by("case_id", "time", "pk").values("case_id", "step", "time", "to_status"))
    first, last = {}, {}
    for s in steps:
        first.setdefault(s["case_id"], s)
        last[s["case_id"]] = s
    assert len(first) == len(cases)
    for c in cases:
        assert first[c.pk]["step"] == "report" and first[c.pk]["time"] == c.reported_at
        assert last[c.pk]["to_status"] == c.status
    assert not CaseStep.objects.filter(time__gt=NOW).exists()
    assert not ObjectChange.objects.filter(content_type__app_label="cases", time__gt=NOW).exists()
    log = ObjectChange.objects.filter(content_type__model="case")
    assert Counter(log.values_list("object_id", "step", "time")) == Counter(
        (str(s["case_id"]), s["step"], s["time"]) for s in steps
    )
    assert log.filter(step="report", action="create").count() == len(cases)
    assert not log.exclude(step="report").exclude(action="workflow").exists()
    case_log = log.filter(step="assign").select_related("user").first()
    assert case_log.user.username.startswith("director_") and case_log.postchange_data["status"] == S.ASSIGNED
    assert ObjectChange.objects.filter(content_type__model="followup").count() == FollowUp.objects.count()
    assert ObjectChange.objects.filter(content_type__model="meeting").count() == Meeting.objects.count()
