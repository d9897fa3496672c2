"""Demo care records of 桃源社区, as its article tells them (seeds/000): 17 low-income minority households with
51 persons on 低保, 5 of them given medical aid this year, 20 elderly residents with daily-life care, quarterly
and monthly visits by the grid members (a few missed), and the holiday visits before 春节 and 中秋 each year.

Deterministic (fixed seed, dates relative to today) and idempotent: a community that has enrolments is left as
it is. The rows are saved one by one (a few hundred), each logged like any write.
"""

from __future__ import annotations

import datetime
import random
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from tongxin.care.models import Enrolment, Programme, Visit
from tongxin.care.windows import window_of
from tongxin.core import audit
from tongxin.core.festivals import festival_date
from tongxin.core.models import User
from tongxin.org.models import Division
from tongxin.registry.filters import years_before
from tongxin.registry.models import Household, Person

TAOYUAN = "530103002001"
DIBAO_HOUSEHOLDS, DIBAO_PERSONS, MEDICAL_AID, DAILY_CARE = 17, 51, 5, 20
FINDINGS = ("身体状况良好", "家中整洁，生活正常", "血压偏高，已提醒按时服药")
#: the share of owed visits the demo's grid members made
VISITED = 0.92


def choose(sizes: list[tuple[Any, int]], count: int, total: int) -> list[Any]:
    """``count`` of the (item, size) pairs whose sizes add up to ``total`` (the first such choice in order), or
    as close below it as the candidates allow."""
    best: dict[tuple[int, int], list[int]] = {(0, 0): []}
    for index, (_item, size) in enumerate(sizes):
        for (n, s), picked in list(best.items()):
            key = (n + 1, s + size)
            if n < count and s + size <= total and key not in best:
                best[key] = [*picked, index]
        if (count, total) in best:
            break
    reachable = [k for k in best if k[0] == count] or [max(best)]
    key = (count, total) if (count, total) in best else max(reachable, key=lambda k: k[1])
    return [sizes[i][0] for i in best[key]]


def run(stdout: Any) -> list:
    """Create 桃源社区's care records once."""
    community = Division.objects.filter(code=TAOYUAN).first()
    if community is None or Enrolment.objects.filter(community=community).exists():
        return []
    today = timezone.localdate()
    rng = random.Random(18)
    programmes = {p.code: p for p in Programme.objects.filter(community__isnull=True)}
    director = User.objects.filter(username="director_taoyuan").first()
    with audit.acting_as(director), transaction.atomic():
        dibao = _dibao(community, programmes["dibao"], director, today, rng)
        for enrolment in rng.sample(dibao, min(MEDICAL_AID, len(dibao))):
            approved = max(datetime.date(today.year, 1, 2), today - datetime.timedelta(days=rng.randint(15, 300)))
            _enrol(programmes["medical_aid"], director, approved, household=enrolment.household,
                   persons_covered=enrolment.persons_covered)  # fmt: skip
        care = _daily_care(community, programmes["daily_care"], director, today, rng)
        visits = _visits([*dibao, *care], today, rng) + _holiday_visits(dibao, today)
    stdout.write(
        f"  关爱服务：桃源社区 低保 {len(dibao)} 户 {sum(e.persons_covered for e in dibao)} 人，医疗救助 "
        f"{MEDICAL_AID} 户，生活照料 {len(care)} 人，走访 {visits} 次\n"
    )
    return []


def _enrol(programme: Programme, director: Any, approved: datetime.date, **subject: Any) -> Enrolment:
    where = subject.get("household") or subject.get("person")
    return Enrolment.objects.create(
        community_id=where.community_id, grid_id=where.grid_id, programme=programme, status=Enrolment.Status.ACTIVE,
        applied_on=approved - datetime.timedelta(days=30), surveyed_on=approved - datetime.timedelta(days=24),
        reviewed_on=approved - datetime.timedelta(days=15),
        notice_start=approved - datetime.timedelta(days=8) if programme.notice_days else None,
        notice_end=approved - datetime.timedelta(days=2) if programme.notice_days else None,
        approved_on=approved, responsible=director,
        next_recheck=_next_recheck(approved) if programme.recheck_months == 12 else None,
        **subject,
    )  # fmt: skip


def _next_recheck(approved: datetime.date) -> datetime.date:
    """The yearly re-check after the last one done (the demo's cadres re-checked every year on time)."""
    today, day = timezone.localdate(), approved
    while day <= today:
        day = day.replace(year=day.year + 1, day=min(day.day, 28))
    return day


def _dibao(community: Any, programme: Programme, director: Any, today: datetime.date, rng: random.Random) -> list:
    """17 minority households (a head of a minority ethnic group) with 51 members in all."""
    households = (
        Household.objects.filter(community=community, status=Household.Status.ACTIVE, head__isnull=False)
        .exclude(Q(head__ethnicity="") | Q(head__ethnicity="01"))
        .annotate(size=Count("memberships", filter=Q(memberships__end__isnull=True)))
        .filter(size__gte=2, size__lte=5)
        .order_by("number")
    )
    candidates = [(h, h.size) for h in households[:400]]
    rng.shuffle(candidates)
    out = []
    for household in choose(candidates, DIBAO_HOUSEHOLDS, DIBAO_PERSONS):
        approved = today - datetime.timedelta(days=rng.randint(90, 720))
        out.append(_enrol(programme, director, approved, household=household, persons_covered=household.size))
    return out


def _daily_care(community: Any, programme: Programme, director: Any, today: datetime.date, rng: random.Random):
    """20 living residents aged 75 and over."""
    born_before = years_before(today, 75)
    persons = Person.objects.filter(
        community=community, life_status=Person.LifeStatus.LIVING, birth_date__lte=born_before
    ).order_by("pk")[:DAILY_CARE]
    return [
        _enrol(programme, director, today - datetime.timedelta(days=rng.randint(120, 500)), person=p) for p in persons
    ]


def _visitor(enrolment: Enrolment) -> Any:
    grid = enrolment.grid
    return grid.members.first() if grid is not None else None


def _visits(enrolments: list[Enrolment], today: datetime.date, rng: random.Random) -> int:
    """A visit in most windows owed since approval (the current one only if its day has come), and the file
    reviews (档案复核) of the programmes that ask for them."""
    made = 0
    for e in enrolments:
        made += _windows(e, e.programme.visit_every, today, rng, review=False)
        if e.programme.review_every:
            made += _windows(e, e.programme.review_every, today, rng, review=True)
    return made


def _windows(e: Enrolment, every: str, today: datetime.date, rng: random.Random, *, review: bool) -> int:
    made = 0
    if every:
        visitor, who = _visitor(e), e.person or e.household.head
        lo, hi = window_of(every, e.approved_on)
        while lo <= today:
            if rng.random() < VISITED:
                day = lo + datetime.timedelta(days=rng.randint(0, (hi - lo).days))
                if e.approved_on <= day <= today:
                    kind = Visit.Kind.REVIEW if review else rng.choice([Visit.Kind.HOME, Visit.Kind.HOME,
                                                                         Visit.Kind.PHONE])  # fmt: skip
                    Visit.objects.create(
                        community_id=e.community_id, grid_id=e.grid_id, person=who, household=e.household,
                        kind=kind, visited_on=day, visitor=e.responsible if review else visitor,
                        findings="档案信息已核对更新" if review else rng.choice(FINDINGS),
                    )  # fmt: skip
                    made += 1
            lo, hi = window_of(every, hi + datetime.timedelta(days=1))
    return made


def _holiday_visits(enrolments: list[Enrolment], today: datetime.date) -> int:
    """两节慰问: every 低保 household, three days before 春节 and 中秋, last year and this year."""
    made = 0
    for year in (today.year - 1, today.year):
        for festival in ("spring_festival", "mid_autumn"):
            day = festival_date(festival, year) - datetime.timedelta(days=3)
            for e in enrolments:
                if e.approved_on <= day <= today:
                    Visit.objects.create(
                        community_id=e.community_id, grid_id=e.grid_id, person=e.household.head,
                        household=e.household, kind=Visit.Kind.HOLIDAY, visited_on=day, visitor=_visitor(e),
                        needs="", findings="送去米、油和慰问金",
                    )  # fmt: skip
                    made += 1
    return made
