"""The page bench's database: one county (隆阳区, 530502) trimmed to ``communities`` communities, their
streets, resident groups, grids and party branches, ``persons`` generated persons in households, twelve
months of cases with their timelines, meetings, and the users whose pages are measured.

Everything is written by bulk inserts (``core.bulk.insert``: ``COPY`` on PostgreSQL) in this process, which
runs under Django (``python -m tongxin.bench pages --worker build``). Not timed as an import: no change-log
rows are written for the persons (the pages read the change log of what users did, which is empty here but
for the cases' timelines). A table ``bench_pages_meta`` records what was built, so that a re-run with the
same size reuses the database.
"""

from __future__ import annotations

import dataclasses
import datetime
import io
import math
import random
import time
from typing import Any

COUNTY = "530502"  # 隆阳区: 21 streets, 352 communities in the bundled divisions
PASSWORD = "bench-pages-Pa55word"  # a throwaway database's users
GROUPS = 20  # resident groups per community (the generator's synthetic profile has 20)
GRIDS = [f"CG{i:02d}" for i in range(1, 7)]
BRANCHES = 13
WORKERS_PER_COMMUNITY = 4  # community workers (case assignees)
CASES_PER_COMMUNITY_MONTH = 25
MEETINGS_PER_COMMUNITY = 10
META_VERSION = 1
USERS = {  # username → (role, where): "community", "street", "county", "grid"
    "bench_director": ("director", "community"),
    "bench_street": ("official", "street"),
    "bench_county": ("official", "county"),
    "bench_grid": ("grid_member", "grid"),
}


def built(conn: Any) -> dict[str, Any] | None:
    """What the database holds (persons, communities, version) if the bench built it, else None."""
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass('bench_pages_meta') IS NOT NULL")
        if not cur.fetchone()[0]:
            return None
        cur.execute("SELECT persons, communities, version FROM bench_pages_meta")
        row = cur.fetchone()
    return {"persons": row[0], "communities": row[1], "version": row[2]} if row else None


def _divisions(communities: int) -> tuple[Any, list[Any], list[Any]]:
    """Load the county, keep its first ``communities`` communities (in code order) and their streets."""
    from django.core.management import call_command

    from tongxin.org.models import Division

    call_command("load_divisions", "--county", COUNTY, stdout=io.StringIO())
    county = Division.objects.get(code=COUNTY)
    all_communities = list(
        Division.objects.filter(code__startswith=COUNTY, level=Division.Level.COMMUNITY).order_by("code")
    )
    Division.objects.filter(pk__in=[d.pk for d in all_communities[communities:]]).delete()
    kept = all_communities[:communities]
    Division.objects.filter(code__startswith=COUNTY, level=Division.Level.STREET).exclude(
        pk__in={d.parent_id for d in kept}
    ).delete()
    streets = list(Division.objects.filter(code__startswith=COUNTY, level=Division.Level.STREET).order_by("code"))
    return county, streets, kept


def _structure(communities: list[Any]) -> dict[int, dict[str, Any]]:
    """Groups, grids and party branches of every community: {community pk: {"groups", "grids", "branches"}}."""
    from tongxin.org.models import Division, Grid
    from tongxin.registry.models import PartyBranch

    cn = "一二三四五六七八九十"
    groups, grids, branches = [], [], []
    for c in communities:
        for n in range(1, GROUPS + 1):
            name = f"第{cn[n - 1] if n <= 10 else n}居民小组"
            code = f"{c.code}{n:03d}"
            groups.append(Division(code=code, name=name, level=Division.Level.GROUP, parent=c, path=f"{c.path}{code}/"))
        for i, code in enumerate(GRIDS, start=1):
            grids.append(Grid(community=c, code=code, name=f"{c.name}第{cn[i - 1]}网格"))
        for n in range(1, BRANCHES + 1):
            kind = PartyBranch.Kind.GENERAL if n == 1 else PartyBranch.Kind.BRANCH
            branches.append(PartyBranch(community=c, name=f"中共{c.name}第{n}党支部", kind=kind))
    Division.objects.bulk_create(groups, batch_size=2000)
    Grid.objects.bulk_create(grids, batch_size=2000)
    PartyBranch.objects.bulk_create(branches, batch_size=2000)
    out: dict[int, dict[str, Any]] = {c.pk: {"groups": [], "grids": {}, "branches": []} for c in communities}
    for g in Division.objects.filter(level=Division.Level.GROUP, parent__in=communities).order_by("code"):
        out[g.parent_id]["groups"].append(g.pk)
    for g in Grid.objects.filter(community__in=communities).order_by("code"):
        out[g.community_id]["grids"][g.code] = g.pk
    for b in PartyBranch.objects.filter(community__in=communities).order_by("pk"):
        out[b.community_id]["branches"].append(b.pk)
    return out


def _users(county: Any, streets: list[Any], communities: list[Any], structure: dict) -> dict[str, Any]:
    """The measured users and the community workers and grid members (case assignees): {"workers": {community
    pk: [user pk]}, "grid_members": {grid pk: user pk}}."""
    from django.contrib.auth.hashers import make_password

    from tongxin.core.models import User
    from tongxin.org.models import Grid, Role, RoleAssignment

    roles = {r.codename: r for r in Role.objects.all()}
    hashed = make_password(PASSWORD)
    first = communities[0]
    first_grid = structure[first.pk]["grids"][GRIDS[0]]
    street = next(s for s in streets if s.pk == first.parent_id)
    users, grants = [], []
    places = {"community": (first, None), "street": (street, None), "county": (county, None)}
    for username, (role, where) in USERS.items():
        user = User(username=username, password=hashed, name=username)
        users.append(user)
        division, grid = places.get(where, (first, first_grid))
        grants.append((user, roles[role], division, grid))
    workers: dict[int, list[int]] = {}
    grid_members: dict[int, int] = {}
    for c in communities:
        for n in range(WORKERS_PER_COMMUNITY):
            user = User(username=f"w{c.code}_{n}", password=hashed, name=f"{c.name}社工{n + 1}")
            users.append(user)
            grants.append((user, roles["worker"], c, None))
            workers.setdefault(c.pk, []).append(user)
        for code, grid_pk in structure[c.pk]["grids"].items():
            if grid_pk == first_grid:
                continue
            user = User(username=f"g{c.code}_{code}", password=hashed, name=f"{c.name}{code}网格员")
            users.append(user)
            grants.append((user, roles["grid_member"], c, grid_pk))
    User.objects.bulk_create(users, batch_size=2000)
    RoleAssignment.objects.bulk_create(
        [RoleAssignment(user=u, role=r, division=d, grid_id=g) for u, r, d, g in grants], batch_size=2000
    )
    through = Grid.members.through
    through.objects.bulk_create(
        [through(grid_id=g, user_id=u.pk) for u, _r, _d, g in grants if g is not None], batch_size=2000
    )
    grid_members = {g: u.pk for u, _r, _d, g in grants if g is not None}
    return {"workers": {k: [u.pk for u in v] for k, v in workers.items()}, "grid_members": grid_members}


def _persons_chunk(community: Any, rows: list[dict[str, str]], parts: dict[str, Any], prefix: str) -> int:
    """Households, persons, current memberships and name readings of one chunk of generated rows; persons."""
    from tongxin.core import bulk, codes, idnumber, normalize
    from tongxin.registry.models import Household, Membership, NameKey, Person

    def code(table: str, text: str) -> str:
        entry = codes.table(table).lookup(text) if text else None
        return entry.code if entry else ""

    here = f"云南省保山市{community.full_name_cached}"
    groups, branches, grids = parts["groups"], parts["branches"], parts["grids"]
    households: dict[str, Household] = {}
    for row in rows:
        if row["户号"] not in households:
            serial = int(row["户号"].rsplit("-", 1)[-1])
            households[row["户号"]] = Household(
                community=community,
                number=row["户号"],
                group_id=groups[serial % len(groups)],
                grid_id=grids.get(row["网格"]),
                address=row["现住址"].replace(prefix, here),
                registration_status=code("registration_status", row["人口类型"]),
            )
    bulk.insert(list(households.values()))
    persons, readings = [], []
    for row in rows:
        info = idnumber.parse(row["公民身份号码"])
        phones, _bad = normalize.phones(row["联系电话"])
        household = households[row["户号"]]
        political = code("political_status", row["政治面貌"])
        person = Person(
            community=community,
            household_id=household.pk,
            group_id=household.group_id,
            relationship=code("relationship", row["与户主关系"]),
            grid_id=household.grid_id,
            name=row["姓名"],
            id_number=info.number,
            sex=info.sex,
            birth_date=info.birth_date,
            ethnicity=code("ethnicity", row["民族"]),
            phone=phones[0] if phones else "",
            current_address=row["现住址"].replace(prefix, here),
            hukou_address=row["户籍地址"].replace(prefix, here),
            registration_status=code("registration_status", row["人口类型"]),
            political_status=political,
            party_branch_id=branches[household.pk % len(branches)] if political in ("01", "02") else None,
            education=code("education", row["文化程度"]),
            marital_status=code("marital_status", row["婚姻状况"]),
            employer=row["工作单位"],
            notes=row["备注"],
        )
        readings.append((person, person.derive()))
        persons.append(person)
    bulk.insert(persons)
    bulk.insert([NameKey(person=p, key=k) for p, keys in readings for k in keys])
    bulk.insert(
        [
            Membership(community=community, household_id=p.household_id, person=p, relationship=p.relationship)
            for p in persons
        ]
    )
    return len(persons)


def _persons(persons: int, communities: list[Any], structure: dict, seed: int = 17) -> int:
    """``persons`` generated persons spread evenly over the communities, whole households each."""
    from django.db import connection, transaction

    from tongxin.registry import generate

    base = generate.synthetic(persons, seed=seed)
    profile = dataclasses.replace(base, region=COUNTY, floating_share=0.0)
    per_community = math.ceil(persons / len(communities))
    rows = generate.rows(profile)
    pending = next(rows, None)
    done = 0
    t0 = time.perf_counter()
    for c in communities:
        if pending is None:
            break
        c.full_name_cached = c.full_name
        count = 0
        with transaction.atomic():
            while pending is not None and count < per_community:
                chunk: list[dict[str, str]] = []
                while pending is not None:
                    row = pending
                    chunk.append(row)
                    pending = next(rows, None)
                    boundary = pending is not None and pending["户号"] != row["户号"]
                    if boundary and (count + len(chunk) >= per_community or len(chunk) >= 5000):
                        break
                count += _persons_chunk(c, chunk, structure[c.pk], base.address_prefix)
        done += count
        if c is communities[0] or len(communities) < 20 or communities.index(c) % 25 == 0:
            print(f"  persons: {done:,} ({done / (time.perf_counter() - t0):,.0f}/s)", flush=True)
    with connection.cursor() as cur:  # the head of each household: its 户主 (relationship 02 or 01)
        cur.execute(
            "UPDATE registry_household h SET head_id = p.pid FROM (SELECT household_id, min(id) AS pid "
            "FROM registry_person WHERE relationship IN ('01', '02') GROUP BY household_id) p "
            "WHERE h.id = p.household_id"
        )
    return done


def _cases(communities: list[Any], structure: dict, people: dict[str, Any], now: datetime.datetime) -> int:
    """Twelve months of cases (about 25 per community and month) with their timelines, and meetings."""
    from django.db import transaction

    from tongxin.cases.models import Case, CaseStep, Category, Meeting
    from tongxin.core import bulk

    rnd = random.Random(5)
    categories = list(Category.objects.filter(active=True, community__isnull=True, parent__isnull=False))
    categories = categories or list(Category.objects.filter(active=True))
    S = Case.Status
    numbers: dict[str, int] = {}
    total = 0
    sources = [s for s, _label in Case.Source.choices if s not in ("open311", "meeting")]
    for c in communities:
        grids = list(structure[c.pk]["grids"].values())
        workers = people["workers"][c.pk]
        cases, plans = [], []
        for _n in range(CASES_PER_COMMUNITY_MONTH * 12):
            reported = now - datetime.timedelta(days=rnd.uniform(0, 365), minutes=rnd.randint(0, 600))
            age = (now - reported).days
            if age > 30:
                status = rnd.choices([S.CLOSED, S.RESOLVED, S.REJECTED], [70, 27, 3])[0]
            else:
                status = rnd.choice([S.REPORTED, S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS, S.RESOLVED, S.CLOSED])
            day = f"{reported:%Y%m%d}"
            numbers[day] = numbers.get(day, 0) + 1
            cat = rnd.choice(categories)
            grid = rnd.choice(grids)
            assignee = rnd.choice(workers) if status not in (S.REPORTED, S.ACCEPTED, S.REJECTED) else None
            resolved = reported + datetime.timedelta(hours=rnd.uniform(2, 120))
            done = status in (S.RESOLVED, S.CLOSED)
            case = Case(
                number=f"{day}{numbers[day]:05d}",
                kind=cat.kind,
                source=rnd.choice(sources),
                category=cat,
                community=c,
                grid_id=grid,
                title=f"{cat.name}（{c.name}）",
                description=f"{c.name}网格巡查发现：{cat.name}，请尽快处理。",
                reporter_name="居民",
                address=f"{c.name}第{rnd.randint(1, 30)}号附近",
                status=status,
                reported_at=reported,
                due_at=reported + datetime.timedelta(days=7),
                accepted_at=reported + datetime.timedelta(hours=1) if status != S.REPORTED else None,
                assigned_at=reported + datetime.timedelta(hours=2) if assignee else None,
                assignee_id=assignee,
                resolved_at=resolved if done else None,
                closed_at=resolved + datetime.timedelta(days=2) if status == S.CLOSED else None,
                on_time=(resolved <= reported + datetime.timedelta(days=7)) if done else None,
                work_minutes=int((resolved - reported).total_seconds() // 180) if done else None,
                satisfaction=rnd.choice([3, 4, 5, 5, 5]) if status == S.CLOSED else None,
                resolution="已处理完毕。" if done else "",
            )
            cases.append(case)
            plans.append((case, status, assignee, resolved))
        with transaction.atomic():
            bulk.insert(cases)
            steps = []
            for case, status, assignee, resolved in plans:
                t = case.reported_at
                steps.append(CaseStep(case=case, time=t, step="report", to_status=S.REPORTED))
                if status == S.REJECTED:
                    steps.append(CaseStep(case=case, time=t, step="reject", from_status=S.REPORTED, to_status=status))
                    continue
                if status != S.REPORTED:
                    steps.append(CaseStep(case=case, time=case.accepted_at, step="accept", to_status=S.ACCEPTED))
                if assignee:
                    steps.append(
                        CaseStep(case=case, time=case.assigned_at, step="assign", assignee_id=assignee, note="请处理")
                    )
                if status in (S.RESOLVED, S.CLOSED):
                    steps.append(
                        CaseStep(case=case, time=resolved, step="resolve", to_status=S.RESOLVED, note="已处理")
                    )
                if status == S.CLOSED:
                    steps.append(CaseStep(case=case, time=case.closed_at, step="close", to_status=S.CLOSED))
            bulk.insert(steps)
            bulk.insert(
                [
                    Meeting(
                        community=c,
                        date=(now - datetime.timedelta(days=30 * n + 3)).date(),
                        topic=f"{c.name}第{n + 1}次民情恳谈会",
                        place="社区活动室",
                        attendee_count=20,
                    )
                    for n in range(MEETINGS_PER_COMMUNITY)
                ]
            )
        total += len(cases)
    return total


def build(args: dict[str, Any]) -> dict[str, Any]:
    """Migrate and fill a fresh database (see the module docstring); what was built and how long it took."""
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from tongxin.core import audit
    from tongxin.core.models import ObjectChange

    persons, n_communities = int(args["persons"]), int(args["communities"])
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    seconds = {"migrate": time.perf_counter() - t0}
    with audit.audit_context(source=ObjectChange.Source.COMMAND):
        t = time.perf_counter()
        county, streets, communities = _divisions(n_communities)
        structure = _structure(communities)
        people = _users(county, streets, communities, structure)
        seconds["structure"] = time.perf_counter() - t
        t = time.perf_counter()
        made = _persons(persons, communities, structure)
        seconds["persons"] = time.perf_counter() - t
        t = time.perf_counter()
        cases = _cases(communities, structure, people, timezone.now())
        seconds["cases"] = time.perf_counter() - t
    t = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("VACUUM (ANALYZE)")  # as a database in use: visibility maps set (index-only scans)
        cur.execute("CREATE TABLE bench_pages_meta (persons integer, communities integer, version integer)")
        cur.execute("INSERT INTO bench_pages_meta VALUES (%s, %s, %s)", [persons, n_communities, META_VERSION])
    seconds["analyze"] = time.perf_counter() - t
    return {
        "persons": made,
        "communities": len(communities),
        "streets": len(streets),
        "cases": cases,
        "seconds": seconds,
    }
