"""The registry's indicators (see :mod:`tongxin.core.indicators`): households, persons by registration status,
sex, age band and ethnic group, minority persons, party members and branches.

The counting rules are those of :mod:`tongxin.registry.stats` (active households, living persons, ages on the
as-of day by :data:`AGE_BANDS` and :func:`age_band_q`, party members = political status 01/02), computed per
community with one grouped query each; ``tests/registry/test_indicators.py`` proves both give the same figures.
The register keeps no history of past states: every figure is today's, except ages, taken on the as-of day.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from tongxin.core import codes
from tongxin.core.indicators import Context, Indicator, grouped_counts
from tongxin.registry.filters import age_band_q
from tongxin.registry.models import AGE_BANDS, Household, PartyBranch, Person

PERSON = "registry.Person"
#: ethnic groups that are not minorities (GB/T 3304: 01 汉族)
HAN = "01"
#: political status codes of party members (01 full, 02 probationary)
PARTY = ("01", "02")
UNKNOWN_AGE = "unknown"
#: sex codes (GB/T 2261.1) of the population pyramid's two sides
MALE, FEMALE = "1", "2"
#: imports write with bulk inserts (no signals): an import job's save invalidates the registry's figures
SOURCES = ("core.ImportJob",)


def _persons(ctx: Context):
    return ctx.rows(Person.objects.filter(life_status=Person.LifeStatus.LIVING))


#: the fields the person figures break down by: one grouped query over them (and the age bands) serves them all
BREAKDOWN_FIELDS = ("sex", "registration_status", "ethnicity", "political_status")
BANDS = [band for band, _lo, _hi in AGE_BANDS] + [UNKNOWN_AGE]


def _combined(ctx: Context) -> list[dict[str, Any]]:
    """Living persons per community and every combination of :data:`BREAKDOWN_FIELDS`, with a filtered count per
    age band on the as-of day: one scan of the division's persons for every person figure (separate grouped
    queries read a county's million persons six times)."""

    def build() -> list[dict[str, Any]]:
        return list(
            _persons(ctx)
            .values("community_id", *BREAKDOWN_FIELDS)
            .annotate(
                _n=Count("pk"),
                **{band: Count("pk", filter=age_band_q(band, ctx.as_of)) for band, _lo, _hi in AGE_BANDS},
                **{UNKNOWN_AGE: Count("pk", filter=Q(birth_date__isnull=True))},
            )
        )

    return ctx.memo("registry.combined", build)


def _by(field: str):
    """``compute`` of a breakdown of living persons by ``field`` (summed from :func:`_combined`)."""

    def compute(ctx: Context) -> dict[int, Any]:
        def build() -> dict[int, Counter]:
            out: dict[int, Counter] = {}
            for row in _combined(ctx):
                out.setdefault(row["community_id"], Counter())[row[field] or ""] += row["_n"]
            return out

        return ctx.memo(f"registry.by.{field}", build)

    return compute


def _names(table: str):
    return lambda: {c.code: c.name for c in codes.table(table)}


def households(ctx: Context) -> dict[int, int]:
    """Active households per community."""
    return grouped_counts(ctx.rows(Household.objects.filter(status=Household.Status.ACTIVE)))


def persons(ctx: Context) -> dict[int, int]:
    """Living persons per community."""
    return {cid: sum(c.values()) for cid, c in _by("sex")(ctx).items()}


def _age_sex(ctx: Context) -> dict[tuple[int, str], dict[str, int]]:
    """Living persons per community, sex and age band on the as-of day (summed from :func:`_combined`), shared by
    the age bands and both sides of the pyramid."""

    def build() -> dict[tuple[int, str], Counter]:
        out: dict[tuple[int, str], Counter] = {}
        for row in _combined(ctx):
            bucket = out.setdefault((row["community_id"], row["sex"] or ""), Counter())
            for band in BANDS:
                if row[band]:
                    bucket[band] += row[band]
        return out

    return ctx.memo("registry.age_sex", build)


def age_bands(ctx: Context, sex: str | None = None) -> dict[int, dict[str, int]]:
    """Living persons (of ``sex``, when given) per community and age band on the as-of day."""
    out: dict[int, Counter] = {}
    for (community_id, person_sex), bands in _age_sex(ctx).items():
        if sex is None or person_sex == sex:
            out.setdefault(community_id, Counter()).update(bands)
    return {cid: dict(c) for cid, c in out.items()}


def _age_bands_of(sex: str):
    """``compute`` of the age bands of one sex: a side of the population pyramid."""
    return lambda ctx: age_bands(ctx, sex)


def age_band_names() -> dict[str, str]:
    """The bands in order, then persons without a birth date."""
    return {**{band: band for band, _lo, _hi in AGE_BANDS}, UNKNOWN_AGE: str(_("未知"))}


def ethnic_groups(ctx: Context) -> dict[int, set[str]]:
    """The ethnic groups present per community (distinct: a street's count is not the sum of its communities')."""
    return {cid: {code for code in counts if code} for cid, counts in _by("ethnicity")(ctx).items()}


def minority_persons(ctx: Context) -> dict[int, int]:
    """Living persons of a minority ethnic group (a known group other than 汉族) per community."""
    return {
        cid: sum(n for code, n in counts.items() if code and code != HAN)
        for cid, counts in _by("ethnicity")(ctx).items()
    }


def party_members(ctx: Context) -> dict[int, int]:
    """Party members (full and probationary) per community."""
    return {cid: sum(c.get(s, 0) for s in PARTY) for cid, c in _by("political_status")(ctx).items()}


def probationary_members(ctx: Context) -> dict[int, int]:
    """Probationary party members per community."""
    return {cid: c.get("02", 0) for cid, c in _by("political_status")(ctx).items()}


def party_branches(ctx: Context) -> dict[int, int]:
    """Party organisations per community."""
    return grouped_counts(ctx.rows(PartyBranch.objects.all()))


LIVING = {"life_status": Person.LifeStatus.LIVING}
PERSONS = "registry:person_list"

INDICATORS = [
    Indicator(
        "registry.households", _("户数"), _("户"), "households", "registry.Household", households,
        list_url="registry:household_list", query={"status": Household.Status.ACTIVE}, sources=SOURCES,
    ),
    Indicator(
        "registry.persons", _("人数"), _("人"), "persons", PERSON, persons,
        list_url=PERSONS, query=LIVING, sources=SOURCES,
    ),
    Indicator(
        "registry.persons_by_registration_status", _("人口类型"), _("人"), "persons", PERSON,
        _by("registration_status"), kind="breakdown", names=_names("registration_status"),
        list_url=PERSONS, query={**LIVING, "registration_status": "{key}"}, sources=SOURCES,
    ),
    Indicator(
        "registry.persons_by_sex", _("性别"), _("人"), "persons", PERSON, _by("sex"), kind="breakdown",
        names=_names("sex"), list_url=PERSONS, query={**LIVING, "sex": "{key}"}, sources=SOURCES,
    ),
    Indicator(
        "registry.persons_by_age_band", _("年龄段"), _("人"), "persons", PERSON, age_bands, kind="breakdown",
        names=age_band_names, list_url=PERSONS, query={**LIVING, "age_band": "{key}"}, sources=SOURCES,
        unlinked=(UNKNOWN_AGE,),
    ),
    Indicator(
        "registry.persons_by_age_band_male", _("男性年龄段"), _("人"), "persons", PERSON, _age_bands_of(MALE),
        kind="breakdown", names=age_band_names, list_url=PERSONS, query={**LIVING, "sex": MALE, "age_band": "{key}"},
        sources=SOURCES, unlinked=(UNKNOWN_AGE,),
    ),
    Indicator(
        "registry.persons_by_age_band_female", _("女性年龄段"), _("人"), "persons", PERSON, _age_bands_of(FEMALE),
        kind="breakdown", names=age_band_names, list_url=PERSONS,
        query={**LIVING, "sex": FEMALE, "age_band": "{key}"}, sources=SOURCES, unlinked=(UNKNOWN_AGE,),
    ),
    Indicator(
        "registry.persons_by_ethnicity", _("民族"), _("人"), "persons", PERSON, _by("ethnicity"),
        kind="breakdown", names=_names("ethnicity"), list_url=PERSONS, query={**LIVING, "ethnicity": "{key}"},
        sources=SOURCES,
    ),
    Indicator(
        "registry.ethnic_groups", _("民族数"), _("个"), "groups", PERSON, ethnic_groups, kind="distinct",
        sources=SOURCES,
    ),
    Indicator(
        "registry.minority_persons", _("少数民族人数"), _("人"), "persons", PERSON, minority_persons,
        list_url=PERSONS, query=LIVING, sources=SOURCES,
    ),
    Indicator(
        "registry.party_members", _("党员"), _("人"), "persons", PERSON, party_members,
        list_url=PERSONS, query={**LIVING, "party_member": "true"}, sources=SOURCES,
    ),
    Indicator(
        "registry.party_members_probationary", _("预备党员"), _("人"), "persons", PERSON, probationary_members,
        list_url=PERSONS, query={**LIVING, "party_member": "true"}, sources=SOURCES,
    ),
    Indicator(
        "registry.party_branches", _("党组织"), _("个"), "organisations", "registry.PartyBranch", party_branches,
        list_url="registry:partybranch_list", sources=SOURCES,
    ),
]  # fmt: skip
