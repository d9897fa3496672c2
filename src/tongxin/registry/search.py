"""One search box for persons: name (characters, full pinyin, initials with every surname reading), full
ID number or its last 4–6 digits, phone, household number, address.

The query is first normalised: full-width letters and digits become half-width (ｗｆ → wf, ９４ → 94) and a
query in characters loses its spaces (丁 中壮 → 丁中壮). It is then answered by *probes*, each a lookup on the
already-scoped queryset: exact ID, phone, ID and phone tails, household number, readings, exact name, name
prefix, a part of the name, a part of an address. The result is every person any probe matches — no probe is
capped and none depends on time, so the same query always gives the same persons and the list's count is the
true count — ranked by the first probe that matched (exact ID first, then exact name, name prefix, initials,
pinyin, …), then by name.

An address is matched by any contiguous part — of four or more characters, or three with a word of addresses
such as 路, 街, 号 or 小区 (王小明 is a name, 幸福路 an address) — of the person's current or
registered address, of their household's address, or of their household's dwelling as it is shown (compound
address, compound, building, unit, room: ``翠园小区1栋2单元301``). A part of a name is matched from three
characters anywhere in the name; two characters are matched as a given name (the end of the name: 世谦 finds
丁世谦), because two characters give a trigram index nothing to look up and every name would be scanned.

On PostgreSQL the probes are a UNION of one indexed query each (prefix probes are index range scans; the
"part of" probes use the pg_trgm GIN indexes of migration 0010), so the search never scans every row of a
district; SQLite gets one OR of the probes, a scan of the scope's rows that is instant at community scale.
"""

from __future__ import annotations

import re
import unicodedata
from functools import reduce
from operator import or_

from django.db import connection
from django.db.models import Case, CharField, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Concat

from tongxin.core import crypto, idnumber, normalize, pinyin
from tongxin.registry.models import Dwelling, Household, NameKey

TAIL_LIMIT = 5000  # a 5–6 digit ID tail is confirmed by decrypting the rows sharing its last four digits
# Words of addresses (not single characters that names also use, such as 元 or 园): a three-character query
# is looked up in the addresses only with one of them (a longer one always).
_ADDRESS_HINT = re.compile(r"\d|号|栋|幢|单元|室|路|街|巷|弄|小区|花园|公寓|大院|社区|村委|组团")


def prefix(field: str, value: str) -> Q:
    """``field`` starts with ``value``, as an index range scan: PostgreSQL's LIKE 'x%' uses the pattern index
    Django creates for indexed text columns; SQLite's does not, so it gets the equivalent range."""
    if connection.vendor == "sqlite":
        return Q(**{f"{field}__gte": value, f"{field}__lt": value + "\U0010ffff"})
    return Q(**{f"{field}__startswith": value})


def normalized(query: str) -> str:
    """``query`` as it is looked up: NFKC (full-width ｗｆ and ９４ become wf and 94), trimmed, and without
    spaces when it is written in characters (丁 中壮 is 丁中壮; pinyin keeps its spaces for its own rule)."""
    q = unicodedata.normalize("NFKC", query or "").strip()
    if not q.isascii():
        q = re.sub(r"\s+", "", q)
    return q


def dwellings_containing(part: str) -> QuerySet:
    """Dwellings whose shown place (compound address, compound, building, unit, room) contains ``part``."""
    unit = Case(
        When(unit="", then=Value("")),
        When(unit__endswith="单元", then="unit"),
        default=Concat("unit", Value("单元")),
        output_field=CharField(),
    )
    place = Concat(
        "building__compound__address",
        "building__compound__name",
        "building__name",
        unit,
        "room",
        output_field=CharField(),
    )
    return Dwelling.objects.annotate(search_place=place).filter(search_place__contains=part).values("pk")


def probes(query: str) -> list[tuple[str, Q]]:
    """The lookups that answer ``query``, best first, each with its kind."""
    q = normalized(query)
    if not q:
        return []
    out: list[tuple[str, Q]] = []
    compact = re.sub(r"[\s\-]", "", q).upper()
    if re.fullmatch(r"\d{17}[\dX]|\d{15}", compact):
        try:
            number = idnumber.parse(compact).number
        except idnumber.IdNumberError:
            number = compact
        out.append(("id", Q(id_hash=crypto.keyed_hash("id", number))))
    phone, ok = normalize.phone(q)
    if ok and phone and not re.fullmatch(r"\d{4,6}", compact):
        out.append(("phone", Q(phone_hash=crypto.keyed_hash("phone", phone))))
    if re.fullmatch(r"\d{3}[\dX]|\d{4}[\dX]|\d{5}[\dX]", compact):
        out.append(("id_tail", Q(id_tail=crypto.suffix_hash("id", compact))))
        if compact.isdigit() and len(compact) == 4:
            out.append(("phone_tail", Q(phone_tail=crypto.suffix_hash("phone", compact))))
    if re.fullmatch(r"[\w\-]{1,32}", q) and any(ch.isdigit() for ch in q):
        out.append(("household", Q(household__in=Household.objects.filter(number=q).values("pk"))))
    letters = re.sub(r"[\s'’]+", "", q)  # "wang fang", "xi'an"
    if pinyin.is_pinyin_query(letters):
        key = letters.lower()
        out += [
            ("initials", Q(initials=key)),
            ("pinyin", Q(pinyin=key)),
            ("initials_prefix", prefix("initials", key)),
            ("pinyin_prefix", prefix("pinyin", key)),
            ("other_readings", Q(pk__in=NameKey.objects.filter(prefix("key", key)).values("person_id"))),
        ]
    elif not q.isascii():  # names and addresses are written in characters; ASCII codes (CG-00012) are not names
        out += [("name", Q(name=q)), ("name_prefix", prefix("name", q))]
        if len(q) == 2:  # a given name (丁世谦 for 世谦): an index lookup, where "contains" would scan every name
            out.append(("name_part", Q(name__endswith=q)))
        if len(q) >= 3:  # a trigram index needs three characters; two are a given name far more than an address
            out.append(("name_part", Q(name__contains=q)))
        if len(q) >= 3 and (_ADDRESS_HINT.search(q) or len(q) >= 4):  # 王小明 is a name, 幸福路 an address
            out += [
                ("address", Q(current_address__contains=q) | Q(hukou_address__contains=q)),
                ("household_address", Q(household__in=Household.objects.filter(address__contains=q).values("pk"))),
                (
                    "dwelling",
                    Q(household__in=Household.objects.filter(dwelling__in=dwellings_containing(q)).values("pk")),
                ),
            ]
    return out


#: the probes that look up personal data (core.throttle): whether a number belongs to someone
PERSONAL_PROBES = {"id": "id_number", "id_tail": "id_number", "phone": "phone", "phone_tail": "phone"}


def personal_fields(query: str) -> list[str]:
    """The personal fields ``query`` would look up (empty for a name or address search)."""
    return sorted({PERSONAL_PROBES[kind] for kind, _q in probes(query) if kind in PERSONAL_PROBES})


def _confirmed_tail(queryset: QuerySet, probe: Q, digits: str) -> Q:
    """A 5- or 6-digit ID suffix: the 4-digit hash narrows it down, the clear number confirms it."""
    candidates = queryset.filter(probe).select_related(None).order_by("pk").only("pk", "id_number")[:TAIL_LIMIT]
    return Q(pk__in=[p.pk for p in candidates if p.id_number.endswith(digits)])


def search(queryset: QuerySet, query: str, *, personal: bool = True) -> QuerySet:
    """The persons of ``queryset`` (already scoped) matching ``query``, ranked; without ``personal``, not by
    ID number or phone (a user over the lookup limit). Every match, whatever the time: ``count()`` is true."""
    digits = re.sub(r"[\s\-]", "", normalized(query)).upper()
    matched: list[Q] = []
    for kind, probe in probes(query):
        if not personal and kind in PERSONAL_PROBES:
            continue
        if kind == "id_tail" and len(digits) > 4:
            probe = _confirmed_tail(queryset, probe, digits)
        matched.append(probe)
    if not matched:
        return queryset.none()
    if connection.vendor == "postgresql" and len(matched) > 1:
        # one indexed query per probe: an OR over columns and joins would scan the whole scope
        arms = [queryset.filter(p).order_by().values("pk") for p in matched]
        found = queryset.filter(pk__in=arms[0].union(*arms[1:]))
    else:
        found = queryset.filter(reduce(or_, matched))
    # the rank is the first probe that matched
    rank = Case(*[When(p, then=Value(r)) for r, p in enumerate(matched)], default=Value(len(matched)))
    rank.output_field = IntegerField()
    return found.annotate(search_rank=rank).order_by("search_rank", "name", "pk")
