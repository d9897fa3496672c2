"""One search box for persons: name (characters, full pinyin, initials with every surname reading), full
ID number or its last 4–6 digits, phone, household number, address.

The query is answered by a few *probes*, each an indexed lookup on the already-scoped queryset and
each capped; their hits are merged in probe order, which is the ranking (exact ID first, then exact
name, name prefix, initials, pinyin, …). Prefix probes are index range scans on both databases. Two
probes scan (within the scope's rows): a name fragment and the address; they run only while fewer than a
page of results is found (an address probe only for address-like or long queries), and within a time
budget, so that a district-wide search is not held up by them.
"""

from __future__ import annotations

import re

from django.db import connection
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from tongxin.core import budget, crypto, idnumber, normalize, pinyin
from tongxin.registry.models import Household

PROBE_LIMIT = 200
TAIL_LIMIT = 5000  # a 5–6 digit ID tail is confirmed by decrypting the rows sharing its last four digits
SCANNING = ("name_part", "address")
ENOUGH = 50  # the scanning probes only run while fewer than a page of results are found
SCAN_BUDGET_MS = 25
RESULT_LIMIT = 500
# Words of addresses (not single characters that names also use, such as 元 or 园).
_ADDRESS_HINT = re.compile(r"\d|号|栋|幢|单元|室|路|街|巷|弄|小区|花园|公寓|大院|社区|村委|组团")


def prefix(field: str, value: str) -> Q:
    """``field`` starts with ``value``, as an index range scan: PostgreSQL's LIKE 'x%' uses the pattern index
    Django creates for indexed text columns; SQLite's does not, so it gets the equivalent range."""
    if connection.vendor == "sqlite":
        return Q(**{f"{field}__gte": value, f"{field}__lt": value + "\U0010ffff"})
    return Q(**{f"{field}__startswith": value})


def probes(query: str) -> list[tuple[str, Q]]:
    """The lookups that answer ``query``, best first, each with its kind."""
    q = query.strip()
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
            ("other_readings", prefix("name_keys__key", key)),
        ]
    elif not q.isascii():  # names and addresses are written in characters; ASCII codes (CG-00012) are not names
        out += [("name", Q(name=q)), ("name_prefix", prefix("name", q))]
        if len(q) >= 2:
            out.append(("name_part", Q(name__contains=q)))
        if _ADDRESS_HINT.search(q) or len(q) >= 6:
            address = Q(current_address__contains=q) | Q(hukou_address__contains=q) | Q(household__address__contains=q)
            out.append(("address", address))
    return out


#: the probes that look up personal data (core.throttle): whether a number belongs to someone
PERSONAL_PROBES = {"id": "id_number", "id_tail": "id_number", "phone": "phone", "phone_tail": "phone"}


def personal_fields(query: str) -> list[str]:
    """The personal fields ``query`` would look up (empty for a name or address search)."""
    return sorted({PERSONAL_PROBES[kind] for kind, _q in probes(query) if kind in PERSONAL_PROBES})


def search(queryset: QuerySet, query: str, *, personal: bool = True) -> QuerySet:
    """The persons of ``queryset`` (already scoped) matching ``query``, ranked; without ``personal``, not by
    ID number or phone (a user over the lookup limit)."""
    ranked: dict[int, int] = {}
    digits = re.sub(r"[\s\-]", "", query.strip()).upper()
    for rank, (kind, probe) in enumerate(probes(query)):
        if not personal and kind in PERSONAL_PROBES:
            continue
        limit = TAIL_LIMIT if kind == "id_tail" and len(digits) > 4 else PROBE_LIMIT
        # no ordering: a probe takes the first hits the index gives, the ranking comes from the probe order
        hits = queryset.filter(probe).order_by().values_list("pk", flat=True)[:limit]
        if kind in SCANNING:
            if len(ranked) >= ENOUGH:
                continue
            # a scan is extra: it runs within a time budget (instant in a community, too slow in a district)
            found = budget.within(SCAN_BUDGET_MS, lambda hits=hits: list(hits))
            pks = found or []
        else:
            pks = list(hits)
        if kind == "id_tail" and len(digits) > 4 and pks:
            # a 5- or 6-digit suffix: the 4-digit hash narrowed it down, the clear number confirms it
            candidates = queryset.model.objects.filter(pk__in=pks).only("pk", "id_number")
            pks = [p.pk for p in candidates if p.id_number.endswith(digits)][:PROBE_LIMIT]
        for pk in pks:
            ranked.setdefault(pk, rank)
        if len(ranked) >= RESULT_LIMIT:
            break
    if not ranked:
        return queryset.none()
    by_rank: dict[int, list[int]] = {}
    for pk, r in ranked.items():
        by_rank.setdefault(r, []).append(pk)
    # one branch per probe, not per person: building a CASE of hundreds of branches costs more than the query
    order = Case(*[When(pk__in=pks, then=Value(r)) for r, pks in by_rank.items()], output_field=IntegerField())
    return queryset.filter(pk__in=list(ranked)).annotate(search_rank=order).order_by("search_rank", "name", "pk")
