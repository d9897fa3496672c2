"""Shared helpers of the care tests."""

from __future__ import annotations

import datetime
import itertools

from tongxin.care.models import Enrolment, Programme
from tongxin.registry.models import Household, Membership, Person

_seq = itertools.count(1)


def programme(code: str) -> Programme:
    return Programme.objects.get(code=code, community__isnull=True)


def person(community, name: str = "王奶奶", grid=None, household=None, **extra) -> Person:
    return Person.objects.create(community=community, name=name, grid=grid, household=household, **extra)


def household(community, members: int = 3, grid=None) -> Household:
    """A household of ``members`` persons (the first its head)."""
    h = Household.objects.create(community=community, number=f"C{next(_seq):05d}", grid=grid)
    for i in range(members):
        p = person(community, f"成员{i}", grid=grid, household=h, relationship="02" if i else "01")
        Membership.objects.create(
            community=community, household=h, person=p, relationship=p.relationship, start=datetime.date(2020, 1, 1)
        )
        if not i:
            h.head = p
            h.save()
    return h


def enrol(world, code: str = "left_behind_elderly", community=None, grid=None, **extra) -> Enrolment:
    """An application in ``community`` (A) for ``code``: a person, or a household for household programmes."""
    community = community or world.a
    grid = grid if grid is not None else (world.grid_a if community == world.a else world.grid_b)
    p = programme(code)
    subject = (
        {"household": household(community, grid=grid)}
        if p.unit == "household"
        else {"person": person(community, grid=grid)}
    )
    return Enrolment.objects.create(community=community, grid=grid, programme=p, **subject, **extra)
