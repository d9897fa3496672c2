"""Writing the planned year in bulk: numbers, timeline rows, change-log entries, disputes; and ``run``."""

from __future__ import annotations

import datetime
import decimal
import enum
from collections import Counter
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from tongxin.cases.demo.builder import Builder
from tongxin.cases.demo.data import (
    PROFILES,
    Plan,
    S,
)
from tongxin.cases.models import Case, CaseStep, Dispute
from tongxin.core import audit, bulk
from tongxin.core.models import ObjectChange
from tongxin.org.models import Division


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
