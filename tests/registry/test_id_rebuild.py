"""A masked ID number cannot be rebuilt from what a user without reveal sees (issue 16, finding 1).

An 18-digit ID number is region (6) + birth date (8) + sequence (3, odd for men) + check digit. The old mask kept
the region and the last four digits, hiding exactly the birth date, which the same pages showed in clear: every
number came back. For each role without the reveal permission, this test fetches the persons through every
interface (list page with every column, detail pages, household pages, CSV and XLSX exports, the register export,
API list and detail, the change log page and API), then counts for each person the ID numbers that agree with
everything returned (the most revealing mask, the most precise birth date, the sex; the region is taken as known).
A copy of the database without the data key is checked the same way: the change log next to the clear birth date.
"""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tongxin.core import idnumber
from tongxin.core.models import ObjectChange
from tongxin.registry.models import Household, Membership, Person

from .helpers import pid

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"
ROLES_WITHOUT_REVEAL = ("official", "grid_member", "official_view")
BIRTHS = ("1950-02-11", "1966-12-08", "1980-01-02", "1993-07-30", "2011-05-19")


def count_candidates(true_id: str, mask: str, birth: datetime.date | None, year: int | None, sex: str) -> int:
    """How many valid ID numbers agree with ``mask`` (``*`` hidden), a known birth date (or only its year), the
    sex and the true region (given to the attacker)."""
    shown = {i: ch for i, ch in enumerate(mask) if ch != "*"} if len(mask) == 18 else {}
    region = true_id[:6]
    if any(shown.get(i, region[i]) != region[i] for i in range(6)):
        return 0
    if birth is not None:
        dates = [birth]
    else:
        start = datetime.date(year, 1, 1)
        dates = [start + datetime.timedelta(days=n) for n in range((datetime.date(year + 1, 1, 1) - start).days)]
    fixed = sum(int(region[i]) * WEIGHTS[i] for i in range(6))
    histogram = [0] * 11  # residues of the sequence digits' weighted sum
    for seq in range(1000):
        digits = f"{seq:03d}"
        if any(shown.get(14 + i, d) != d for i, d in enumerate(digits)) or int(digits[2]) % 2 != (sex == "1"):
            continue
        histogram[sum(int(d) * WEIGHTS[14 + i] for i, d in enumerate(digits)) % 11] += 1
    total = 0
    for day in dates:
        text = day.strftime("%Y%m%d")
        if any(shown.get(6 + i, d) != d for i, d in enumerate(text)):
            continue
        date_sum = sum(int(d) * WEIGHTS[6 + i] for i, d in enumerate(text))
        for residue, n in enumerate(histogram):
            if n and (17 not in shown or CHECK[(fixed + date_sum + residue) % 11] == shown[17]):
                total += n
    return total


def knowledge(person: Person, texts: list[str]) -> tuple[str, datetime.date | None, int]:
    """What ``texts`` give away about ``person``: the most revealing mask agreeing with the number, and the birth
    date if it appears in any form (else only the year, which pages may show)."""
    masks = [m for t in texts for m in re.findall(r"[\dX*]{18}", t) if "*" in m or m == person.id_number]
    mine = [m for m in masks if all(c == "*" or c == person.id_number[i] for i, c in enumerate(m))]
    best = min(mine, key=lambda m: m.count("*"), default="*" * 18)
    b = person.birth_date
    forms = (b.isoformat(), b.strftime("%Y%m%d"), f"{b.year}年{b.month}月{b.day}日", b.strftime("%Y/%m/%d"))
    seen = any(f in t for t in texts for f in forms)
    return best, (b if seen else None), b.year


@pytest.fixture
def residents(world):
    """Five persons of grid A in two households, with ID numbers, birth dates and phones."""
    persons = []
    h = None
    for n, birth in enumerate(BIRTHS):
        if n % 3 == 0:
            h = Household.objects.create(community=world.a, number=f"H{n // 3}", grid=world.grid_a)
        sex = "1" if n % 2 == 0 else "2"
        p = Person.objects.create(
            community=world.a,
            grid=world.grid_a,
            household=h,
            relationship="02" if n % 3 == 0 else "10",
            name=f"居民{n}",
            id_number=pid(birth, 11 + 2 * n + (0 if sex == "1" else 1)),
            sex=sex,
            birth_date=datetime.date.fromisoformat(birth),
            phone=f"1391234{n:04d}",
        )
        Membership.objects.create(community=world.a, household=h, person=p, relationship=p.relationship)
        persons.append(p)
    # a correction of a birth date and a phone: entries in the change log with before and after
    persons[0].phone = "13800000000"
    persons[0].save()
    return persons


def fetch_everything(client, world, key: str, persons: list[Person]) -> list[str]:
    """Every response the role gets about the persons, as text."""
    client.force_login(world.users[key])
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {world.tokens[key]}"}
    every_column = "&".join(
        f"columns={c}"
        for c in ("name", "id_number", "sex", "birth_date", "age", "phone", "household_number", "life_status")
    )
    urls = [
        f"/registry/persons/?{every_column}",
        f"/registry/persons/?{every_column}&export=csv",
        f"/registry/persons/?{every_column}&export=xlsx",
        reverse("registry:person_register"),
        "/registry/households/",
        "/core/object-changes/",
    ]
    urls += [p.get_absolute_url() for p in persons]
    urls += [p.household.get_absolute_url() for p in persons]
    urls += [f"/core/object-changes/{c.pk}/" for c in ObjectChange.objects.all()]
    texts = []
    for url in urls:
        response = client.get(url)
        if response.status_code != 200:
            assert response.status_code in (403, 404), (url, response.status_code)  # a page the role may not see
            continue
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if body[:2] == b"PK":  # a workbook: its cells
            wb = load_workbook(io.BytesIO(body), read_only=True)
            texts.append(" ".join(str(c) for ws in wb for row in ws.iter_rows(values_only=True) for c in row))
        else:
            texts.append(body.decode("utf-8-sig", "replace"))
    for url in ["/api/v1/registry/persons/?limit=500", "/api/v1/core/object-changes/?limit=500"]:
        texts.append(client.get(url, **bearer).content.decode())
    texts += [client.get(f"/api/v1/registry/persons/{p.pk}/", **bearer).content.decode() for p in persons]
    return texts


@pytest.mark.parametrize("key", ROLES_WITHOUT_REVEAL)
def test_no_role_without_reveal_can_rebuild_an_id_number(client, world, residents, key):
    texts = fetch_everything(client, world, key, residents)
    joined = "\n".join(texts)
    assert "居民0" in joined  # the role does see the persons
    for p in residents:
        assert p.id_number not in joined
        mask, birth, year = knowledge(p, texts)
        assert mask == p.id_number[:6] + "*" * 11 + p.id_number[-1]  # the mask is there: region and check digit
        assert birth is None, f"{key} sees the birth date of {p.name} beside its masked ID number"
        candidates = count_candidates(p.id_number, mask, birth, year, p.sex)
        assert candidates >= 1000, (key, p.name, mask, candidates)


def test_a_role_with_reveal_sees_birth_dates_in_clear(client, world, residents):
    """The director may reveal: the birth dates are in clear on pages and in the API (the ID number still masked
    until the logged reveal)."""
    texts = fetch_everything(client, world, "director", residents)
    joined = "\n".join(texts)
    for p in residents:
        assert p.birth_date.isoformat() in joined
        assert p.id_number not in "\n".join(texts[:1])  # the list page masks it


def test_the_change_log_with_the_clear_birth_date_does_not_rebuild_an_id_number(world, residents):
    """A copy of the database without the data key: the change log's values beside the clear birth dates."""
    stored = [str(c.prechange_data) + str(c.postchange_data) + c.object_repr for c in ObjectChange.objects.all()]
    assert stored
    for p in residents:
        mask, _birth, year = knowledge(p, stored)
        assert mask == "*" * 18, mask  # nothing of the number is kept
        # with the birth date of the clear column, the sequence digits remain: 500 numbers
        assert count_candidates(p.id_number, mask, p.birth_date, year, p.sex) >= 100


def test_the_old_mask_beside_a_birth_date_gave_the_number_back(residents):
    """The measure itself: the former mask (region + last four) and the birth date leave one number."""
    p = residents[2]
    old = p.id_number[:6] + "*" * 8 + p.id_number[-4:]
    assert count_candidates(p.id_number, old, p.birth_date, None, p.sex) == 1
    assert idnumber.parse(p.id_number).birth_date == p.birth_date


def test_import_problem_rows_are_encrypted_at_rest(world, residents):
    """An import job's problem rows keep the raw cells of the refused rows: unreadable without the data key."""
    from django.db import connection

    from tongxin.core.models import ImportJob

    number = residents[1].id_number
    job = ImportJob.objects.create(
        user=world.users["director"],
        target="registry.Person",
        file_name="x.csv",
        problems=[{"row": 2, "status": "rejected", "values": {"公民身份号码": number}, "errors": ["…"]}],
    )
    empty = ImportJob.objects.create(user=world.users["director"], target="registry.Person", file_name="y.csv")
    with connection.cursor() as cursor:
        cursor.execute("SELECT problems FROM core_importjob WHERE id = %s", [job.pk])
        stored = cursor.fetchone()[0]
    assert stored.startswith("v1:") and number not in stored and number[6:14] not in stored
    job.refresh_from_db()
    assert job.problems[0]["values"]["公民身份号码"] == number  # the uploader still sees the row
    assert list(ImportJob.objects.exclude(problems=[]).values_list("pk", flat=True)) == [job.pk]
    assert ImportJob.objects.get(pk=empty.pk).problems == []
