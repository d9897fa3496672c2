"""Demo register: 城关社区 to its article figures (4434 households, 13456 persons in 10 groups, 9 ethnic
groups, 13 party branches with 310 members of whom 3 probationary) and 桃源社区 (23 ethnic groups, 615
minority residents). Generated deterministically and loaded through the register import itself."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from tongxin.org.models import Division
from tongxin.registry import generate
from tongxin.registry.models import Building, Compound, Dwelling, Household, Person, Tag
from tongxin.registry.register import RegisterImporter

TAGS = (("独居老人", "warning"), ("退役军人", "primary"), ("志愿者", "success"), ("重点关注", "danger"))


def _load(profile: generate.Profile, stdout: Any) -> None:
    community = Division.objects.get(code=profile.community_code)
    if Person.objects.filter(community=community).exists():
        stdout.write(f"registry: {community.name} already has residents, left as is")
        return
    with tempfile.TemporaryDirectory(prefix="tongxin-demo-") as tmp:
        path = Path(tmp) / f"{profile.community_code}.csv"
        generate.write_csv(path, generate.rows(profile))
        outcome = RegisterImporter(None, community).process(path, commit=True)
    stdout.write(f"registry: {community.name} {outcome['summary']}")


def _dwellings(community_code: str) -> None:
    """A few compounds with buildings and flats, and the first households placed in them."""
    community = Division.objects.get(code=community_code)
    if Compound.objects.filter(community=community).exists():
        return
    households = list(Household.objects.filter(community=community).order_by("number")[:96])
    dwellings = []
    for c, name in enumerate(("翠园小区", "滨河小区")):
        compound = Compound.objects.create(community=community, name=name, property_company="春城物业")
        for b in range(1, 4):
            building = Building.objects.create(community=community, compound=compound, name=f"{b}栋", floors=6)
            for unit in (1, 2):
                for floor in range(1, 5):
                    room = f"{floor}0{unit}"
                    dwellings.append(
                        Dwelling.objects.create(community=community, building=building, unit=str(unit), room=room)
                    )
        del c
    for household, dwelling in zip(households, dwellings, strict=False):
        household.dwelling = dwelling
        household.save(update_fields=["dwelling", "last_updated"])


def _tags(community_code: str) -> None:
    community = Division.objects.get(code=community_code)
    for name, color in TAGS:
        Tag.objects.get_or_create(community=community, name=name, defaults={"color": color})
    lonely = Tag.objects.get(community=community, name="独居老人")
    if not lonely.persons.exists():
        singles = Household.objects.filter(community=community).order_by("number")
        heads = [h.head for h in singles.select_related("head")[:400] if h.head and h.head.age and h.head.age >= 70]
        lonely.persons.add(*heads[:20])


def run(stdout: Any) -> list:
    """Load both demo registers (once), then dwellings and tags for 桃源社区."""
    _load(generate.chengguan(), stdout)
    _load(generate.taoyuan(), stdout)
    _dwellings("530103002001")
    for code in ("530103002001", "530424001002"):
        _tags(code)
    return []
