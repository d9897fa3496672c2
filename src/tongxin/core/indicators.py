"""Indicators (指标): named figures a module declares once and the platform evaluates for any division and period.

A module declares its indicators as a module-level list and names it on its ``AppConfig``::

    class RegistryConfig(hooks.ModuleConfig):
        indicators = "tongxin.registry.indicators.INDICATORS"

Each :class:`Indicator` says what it counts and how: ``compute(ctx)`` runs **one grouped query** over the rows of
the division's subtree that the user may see (``ctx.rows(queryset)``) and returns a *partial* per community id.
:func:`evaluate` sums the partials up the division tree — into the division's total and into each child's (the
streets of a county, the communities of a street) — and only then turns them into values, so that a rate is
recomputed at every level from its summed numerator and denominator (never an average of percentages) and a median
from every value below. The partial of each kind:

==============  =========================  ======================================================
kind            partial per community      value at any level
==============  =========================  ======================================================
``count``       ``int``                    the sum
``breakdown``   ``{category: int}``        the sums per category (a ``series``, ready to chart)
``distinct``    ``{value, …}``             how many different values below (e.g. ethnic groups)
``rate``        ``(numerator, denominator)`` ``100 × Σnumerator / Σdenominator``, one decimal
``average``     ``(sum, n)``               ``Σsum / Σn``, two decimals
``median``      ``[value, …]``             the median of all values below (``finish`` converts)
==============  =========================  ======================================================

Results are cached in Django's cache per (division, period, as-of day, indicator set, the user's scope) and
invalidated by writes: a post_save/post_delete of a declared source model bumps that model's version counter,
which is part of every key (bulk writes send no signals: the import job's own save bumps the registry, and
:func:`invalidate` is public; ``CACHE_SECONDS`` bounds what remains).
"""

from __future__ import annotations

import datetime
import hashlib
import re
import statistics
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.module_loading import import_string
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from tongxin.core import hooks, scoping

KINDS = ("count", "breakdown", "distinct", "rate", "average", "median")
#: what an indicator counts
COUNTS = ("persons", "households", "person_times", "cases", "organisations", "groups", "hours", "score")
#: how long a cached result may live even without a write (bulk writes send no signal)
CACHE_SECONDS = 600
_VERSION_KEY = "tongxin:indicators:version:%s"


@dataclass(frozen=True)
class Indicator:
    """A named figure: what it counts, how it is computed per community, and the list it drills down to.

    ``query`` is the list's filter query (values may hold ``{key}``, replaced by a breakdown's category);
    ``model`` (``app.Model``) decides who may see the indicator (its view permission and scope) and, with
    ``sources``, which writes invalidate it. ``needs`` is ``as_of`` (a state on a day: the period's last day, at
    most today) or ``period`` (events from the period's first to its last day)."""

    key: str
    label: Any
    unit: Any
    counts: str
    model: str
    compute: Callable[[Context], dict[int, Any]]
    kind: str = "count"
    needs: str = "as_of"
    numerator: Any = ""
    denominator: Any = ""
    list_url: str = ""
    query: dict[str, str] = field(default_factory=dict)
    #: breakdowns: ``() -> {category: name}`` (display names, in display order); unknown categories keep their key
    names: Callable[[], dict[str, str]] | None = None
    #: breakdowns over open-ended categories (grids, months): ``(categories found) -> {category: name}``, called
    #: with just the categories of the result instead of listing every possible one
    names_of: Callable[[Iterable[str]], dict[str, str]] | None = None
    #: medians: turns the list of values into the shown value (e.g. minutes → hours)
    finish: Callable[[list], Any] | None = None
    sources: tuple[str, ...] = ()
    #: breakdown categories without a list to drill down to (the list has no filter for them, e.g. no birth date)
    unlinked: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"indicator {self.key}: kind {self.kind!r} not in {KINDS}")
        if self.needs not in ("as_of", "period"):
            raise ValueError(f"indicator {self.key}: needs {self.needs!r} is neither as_of nor period")


@dataclass(frozen=True)
class Period:
    """The days an evaluation covers (inclusive) and the day states are taken on (``as_of``)."""

    start: datetime.date
    end: datetime.date
    as_of: datetime.date
    label: str

    def as_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "as_of": self.as_of.isoformat(),
                "label": self.label}  # fmt: skip


_PERIOD_FORMS = _("期间应为 YYYY、YYYY-MM、YYYY-Qn、YYYY-MM-DD 或 YYYY-MM-DD..YYYY-MM-DD")


def parse_period(text: str | None, today: datetime.date | None = None) -> Period:
    """``2026`` (a year), ``2026-03`` (a month), ``2026-Q1``, ``2026-03-05`` (a day) or ``A..B``; empty: this
    year. ``as_of`` is the last day, at most ``today``. Raises ValueError naming the value (in Chinese)."""
    today = today or timezone.localdate()
    text = (text or "").strip()
    try:
        if not text:
            start, end = datetime.date(today.year, 1, 1), datetime.date(today.year, 12, 31)
            text = str(today.year)
        elif re.fullmatch(r"\d{4}", text):
            start, end = datetime.date(int(text), 1, 1), datetime.date(int(text), 12, 31)
        elif m := re.fullmatch(r"(\d{4})-[Qq]([1-4])", text):
            year, q = int(m[1]), int(m[2])
            start = datetime.date(year, 3 * q - 2, 1)
            end = (datetime.date(year + (q == 4), (3 * q) % 12 + 1, 1)) - datetime.timedelta(days=1)
        elif m := re.fullmatch(r"(\d{4})-(\d{1,2})", text):
            start = datetime.date(int(m[1]), int(m[2]), 1)
            end = datetime.date(start.year + (start.month == 12), start.month % 12 + 1, 1) - datetime.timedelta(1)
        elif ".." in text:
            a, b = text.split("..", 1)
            start, end = datetime.date.fromisoformat(a.strip()), datetime.date.fromisoformat(b.strip())
        else:
            start = end = datetime.date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(_("期间“%(v)s”无效：%(f)s") % {"v": text, "f": _PERIOD_FORMS}) from exc
    if end < start:
        raise ValueError(_("期间“%(v)s”无效：结束日期早于开始日期") % {"v": text})
    return Period(start, end, min(end, max(today, start)), text)


class Context:
    """What a ``compute`` function gets: the division, the period, the user and a memo for shared queries."""

    def __init__(self, division: Any, period: Period, user: Any, now: datetime.datetime) -> None:
        self.division = division
        self.period = period
        self.start, self.end, self.as_of = period.start, period.end, period.as_of
        self.user = user
        self.now = now
        self._memo: dict[str, Any] = {}

    def rows(self, queryset: QuerySet | type[models.Model], community: str = "community") -> QuerySet:
        """The rows of the division's subtree that the user may view (``community`` names the rows' community)."""
        if isinstance(queryset, type):
            queryset = queryset._default_manager.all()
        if self.division is not None:
            queryset = queryset.filter(**{f"{community}__path__startswith": self.division.path})
        return scoping.restrict(queryset.order_by(), self.user, "view")

    def memo(self, key: str, func: Callable[[], Any]) -> Any:
        """``func()`` once per evaluation (several indicators read one grouped query)."""
        if key not in self._memo:
            self._memo[key] = func()
        return self._memo[key]


def grouped_counts(qs: QuerySet, *fields: str, community: str = "community_id") -> dict[int, Any]:
    """One grouped count: ``{community id: n}``, or with ``fields`` ``{community id: {value: n}}`` (one field) /
    ``{community id: {(values…): n}}``."""
    out: dict[int, Any] = {}
    for row in qs.order_by().values(community, *fields).annotate(_n=models.Count("pk")):
        cid = row[community]
        if not fields:
            out[cid] = out.get(cid, 0) + row["_n"]
            continue
        key = row[fields[0]] if len(fields) == 1 else tuple(row[f] for f in fields)
        bucket = out.setdefault(cid, Counter())
        bucket["" if key is None else key] += row["_n"]
    return out


# -- the declarations ----------------------------------------------------------------------------------------------


def declared() -> dict[str, Indicator]:
    """Every module's indicators by key, in INSTALLED_APPS and declaration order."""
    out: dict[str, Indicator] = {}
    for module in hooks.modules():
        path = getattr(module, "indicators", "")
        if path:
            for ind in import_string(path):
                out[ind.key] = ind
    return out


def _source_labels(ind: Indicator) -> tuple[str, ...]:
    return (ind.model, *ind.sources)


def connect() -> None:
    """Bump a source model's version on every save and delete of it (called once from ``CoreConfig.ready``)."""
    from django.db.models import signals

    for label in sorted({label for ind in declared().values() for label in _source_labels(ind)}):
        model = apps.get_model(label)
        uid = f"tongxin_indicators_{label}"
        signals.post_save.connect(_bump, sender=model, dispatch_uid=f"{uid}_save", weak=False)
        signals.post_delete.connect(_bump, sender=model, dispatch_uid=f"{uid}_delete", weak=False)


def _bump(sender: type[models.Model], **kwargs: Any) -> None:
    """Bump at once and again after commit: a figure computed meanwhile from the not yet committed state is
    cached under the first version only."""
    from django.db import transaction

    label = sender._meta.label
    invalidate(label)
    transaction.on_commit(lambda: invalidate(label), robust=True)


def invalidate(*labels: str) -> None:
    """Forget the cached results that read these models (``app.Model``; none given: every declared model)."""
    labels = labels or tuple({label for ind in declared().values() for label in _source_labels(ind)})
    for label in labels:
        key = _VERSION_KEY % label
        try:
            cache.incr(key)
        except ValueError:  # no counter yet (or evicted): start one; another process may have just done so
            if not cache.add(key, 1, None):
                cache.incr(key)


def _versions(labels: Iterable[str]) -> str:
    keys = sorted({_VERSION_KEY % label for label in labels})
    found = cache.get_many(keys)
    return ",".join(str(found.get(k, 0)) for k in keys)


# -- scope ---------------------------------------------------------------------------------------------------------


def _scope_signature(user: Any, model: type[models.Model]) -> str:
    """Users with the same signature see the same rows of ``model``: their grants (and, for models with own
    scope rules, e.g. confidential cases, themselves)."""
    perm = scoping.perm_name(model, "view")
    parts = sorted(
        f"{g.role}@{g.division_path or ''}#{g.grid_id or ''}" for g in scoping.grants(user) if g.allows(perm)
    )
    if hasattr(model, "scope_filter") or any(g.grid_id for g in scoping.grants(user)):
        parts.append(f"u{user.pk}")
    return "|".join(parts)


def _visible(user: Any, model: type[models.Model], division: Any) -> bool:
    """True when ``user`` may ask ``model``'s figures for ``division`` (None: the whole deployment)."""
    if not scoping.has_perm(user, model, "view"):
        return False
    if division is None:
        perm = scoping.perm_name(model, "view")
        return any(g.deployment_wide and g.allows(perm) for g in scoping.grants(user))
    return scoping.report_divisions(user, model).filter(pk=division.pk).exists()


def visible_indicators(user: Any, division: Any, keys: Iterable[str] | None = None) -> list[Indicator]:
    """The declared indicators (``keys`` only, when given) that ``user`` may see for ``division``."""
    every = declared()
    wanted = list(every) if keys is None else [k for k in keys if k in every]
    seen: dict[str, bool] = {}
    out = []
    for key in wanted:
        ind = every[key]
        if ind.model not in seen:
            seen[ind.model] = _visible(user, apps.get_model(ind.model), division)
        if seen[ind.model]:
            out.append(ind)
    return out


# -- evaluation ----------------------------------------------------------------------------------------------------


class _Values(list):
    """The values a median is taken over, collected from many communities (a list this module owns)."""


def _merge(kind: str, a: Any, b: Any) -> Any:
    if a is None:
        return b
    if kind == "count":
        return a + b
    if kind == "breakdown":
        return Counter(a) + Counter(b)
    if kind == "distinct":
        return set(a) | set(b)
    if kind in ("rate", "average"):
        return (a[0] + b[0], a[1] + b[1])
    if isinstance(a, _Values):  # a median's values: extended in place, not copied at every community
        a.extend(b)
        return a
    return _Values([*a, *b])


def _value(ind: Indicator, partial: Any, names: dict[str, str] | None = None) -> dict[str, Any]:
    """The shown value (and its parts) of a summed partial (``names``: a breakdown's, when already known)."""
    if ind.kind == "count":
        return {"value": partial or 0}
    if ind.kind == "breakdown":
        counts = Counter(partial or {})
        names = _names(ind, counts) if names is None else names
        order = [k for k in names if counts.get(k)] + sorted((k for k in counts if k not in names), key=str)
        series = [{"key": str(k), "name": str(names.get(k) or k or _("未填写")), "value": counts[k]} for k in order]
        return {"value": sum(counts.values()), "series": series}
    if ind.kind == "distinct":
        return {"value": len(partial or ())}
    if ind.kind in ("rate", "average"):
        num, den = partial or (0, 0)
        if not den:
            shown = None
        elif ind.kind == "rate":
            shown = _round(100 * num / den, 1)
        else:
            shown = _round(num / den, 2)
        return {"value": shown, "numerator_value": num, "denominator_value": den}
    values = list(partial or [])
    shown = (ind.finish or statistics.median)(values) if values else None
    return {"value": shown, "n": len(values)}


def _names(ind: Indicator, counts: Iterable[Any]) -> dict[str, str]:
    """A breakdown's display names: all of them (``names``) or those of the categories found (``names_of``)."""
    if ind.names:
        return ind.names()
    if ind.names_of:
        return ind.names_of([str(k) for k in counts if k not in ("", None)])
    return {}


def _round(value: float, places: int) -> float:
    """Half-up rounding (2.25 → 2.3), as the reports round."""
    from decimal import ROUND_HALF_UP, Decimal

    return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def _url(ind: Indicator, period: Period, community_pk: int | None, category: str | None = None) -> str:
    """The drill-down list with the indicator's filter (``{key}``: the category, ``{start}``/``{end}``: the
    period's days, ``{key_start}``/``{key_end}``: those of a category that is itself a period, e.g. a month,
    within the evaluated one) and the community's, when the row is one community."""
    if not ind.list_url:
        return ""
    try:
        base = reverse(ind.list_url)
    except NoReverseMatch:
        return ""
    fill = {"{key}": category or "", "{start}": period.start.isoformat(), "{end}": period.end.isoformat()}
    if category and any("{key_" in value for value in ind.query.values()):
        try:
            part = parse_period(category)
        except ValueError:
            return ""
        fill["{key_start}"] = max(part.start, period.start).isoformat()
        fill["{key_end}"] = min(part.end, period.end).isoformat()
    query = {}
    for name, value in ind.query.items():
        for placeholder, text in fill.items():
            value = value.replace(placeholder, text)
        query[name] = value
    if community_pk is not None:
        query["community"] = str(community_pk)
    return f"{base}?{urlencode(query)}" if query else base


def _tree(division: Any) -> tuple[list[Any], dict[int, Any], dict[int, int]]:
    """The division's children (report levels), its communities and the child each community counts in."""
    from tongxin.org.models import Division

    levels = ("province", "city", *scoping.REPORT_LEVELS)
    children_qs = Division.objects.filter(level__in=levels)
    children_qs = children_qs.filter(parent=division) if division is not None else children_qs.filter(parent=None)
    children = list(children_qs.order_by("code"))
    communities_qs = Division.objects.filter(level=Division.Level.COMMUNITY)
    if division is not None:
        communities_qs = communities_qs.filter(path__startswith=division.path)
    communities = {d.pk: d for d in communities_qs.only("pk", "code", "name", "path", "level")}
    child_of: dict[int, int] = {}
    for cid, community in communities.items():
        for child in children:
            if community.path.startswith(child.path):
                child_of[cid] = child.pk
                break
    return children, communities, child_of


def evaluate(
    keys: Iterable[str] | None,
    division: Any,
    period: Period | str | None,
    user: Any,
    *,
    now: datetime.datetime | None = None,
) -> dict[str, Any]:
    """The indicators ``keys`` (None: all) that ``user`` may see, for ``division`` (None: the whole deployment)
    and ``period``, each with its total and one row per child division (the communities of a street, the streets
    of a county). Raises PermissionDenied when the user may see no indicator anywhere, Http404 when the division
    lies outside their scope."""
    now = now or timezone.now()
    if not isinstance(period, Period):
        period = parse_period(period, timezone.localdate(now))
    every = declared()
    wanted = list(every) if keys is None else list(keys)
    if not any(scoping.has_perm(user, apps.get_model(every[k].model), "view") for k in wanted if k in every):
        raise PermissionDenied
    inds = visible_indicators(user, division, wanted)
    if not inds:
        raise Http404
    cache_key = _cache_key(inds, division, period, user, now)
    result = cache.get(cache_key)
    if result is None:
        result = _evaluate(inds, division, period, user, now)
        cache.set(cache_key, result, CACHE_SECONDS)
    return result


def _cache_key(inds: list[Indicator], division: Any, period: Period, user: Any, now: datetime.datetime) -> str:
    models_ = {ind.model: apps.get_model(ind.model) for ind in inds}
    parts = [
        getattr(division, "code", "*"),
        period.start.isoformat(),
        period.end.isoformat(),
        period.as_of.isoformat(),
        timezone.localdate(now).isoformat(),  # overdue and ages move with the day
        get_language() or "",
        ",".join(ind.key for ind in inds),
        ";".join(f"{label}={_scope_signature(user, m)}" for label, m in sorted(models_.items())),
        _versions(label for ind in inds for label in _source_labels(ind)),
    ]
    return "tongxin:indicators:" + hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _evaluate(inds: list[Indicator], division: Any, period: Period, user: Any, now: datetime.datetime) -> dict:
    ctx = Context(division, period, user, now)
    children, communities, child_of = _tree(division)
    out = []
    for ind in inds:
        partials = ind.compute(ctx)
        total: Any = None
        per_child: dict[int, Any] = {}
        for cid, partial in partials.items():
            if cid not in communities:
                continue
            total = _merge(ind.kind, total, partial)
            if cid in child_of:
                per_child[child_of[cid]] = _merge(ind.kind, per_child.get(child_of[cid]), partial)
        own = division.pk if division is not None and division.level == "community" else None
        names = _names(ind, total or ()) if ind.kind == "breakdown" else None  # once, for the total and every row
        entry = {
            "key": ind.key,
            "label": str(ind.label),
            "unit": str(ind.unit),
            "counts": ind.counts,
            "kind": ind.kind,
            "needs": ind.needs,
            "numerator": str(ind.numerator),
            "denominator": str(ind.denominator),
            **_value(ind, total, names),
            "url": _url(ind, period, own),
        }
        if "series" in entry:
            for item in entry["series"]:
                linked = item["key"] in names and item["key"] not in ind.unlinked
                item["url"] = _url(ind, period, own, item["key"]) if linked else ""
        rows = []
        for child in children:
            row = {"code": child.code, "name": child.name, "level": child.level}
            row.update(_value(ind, per_child.get(child.pk), names))
            # a community's row opens its filtered list; the lists filter by community only, so a street's row
            # has no list of its own (pages link it to the street's figures instead)
            row["url"] = _url(ind, period, child.pk) if child.level == "community" else ""
            rows.append(row)
        entry["children"] = rows
        out.append(entry)
    div = (
        {"code": division.code, "name": division.name, "level": division.level, "full_name": division.full_name}
        if division is not None
        else {"code": "", "name": _("全部"), "level": "root", "full_name": _("全部")}
    )
    return {"division": div, "period": period.as_dict(), "indicators": out}


def by_key(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The indicators of an :func:`evaluate` result by key (for pages that show a few)."""
    return {entry["key"]: entry for entry in result["indicators"]}


def default_division(user: Any, keys: Iterable[str] | None = None) -> Any:
    """The highest division whose figures ``user`` may see (None: the whole deployment, for deployment-wide
    users), so that a street official opens on the street's total, not on one of its communities."""
    every = declared()
    labels = {every[k].model for k in (keys if keys is not None else every) if k in every}
    found = []
    for label in sorted(labels):
        model = apps.get_model(label)
        if _visible(user, model, None):
            return None
        top = scoping.report_divisions(user, model).first()  # ordered by path: an ancestor before its subtree
        if top is not None:
            found.append(top)
    return min(found, key=lambda d: (d.path.count("/"), d.code)) if found else None


def find_division(code: str) -> Any:
    """The division with this code (``*`` or empty: the whole deployment); Http404 when there is none."""
    from tongxin.org.models import Division

    if code in ("", "*"):
        return None
    if not code.isascii() or not code.isalnum() or len(code) > 32:  # no division has it (and PostgreSQL refuses NUL)
        raise Http404
    division = Division.objects.filter(code=code).first()
    if division is None:
        raise Http404
    return division


class SystemActor:
    """Who a management command evaluates as: every row of the deployment (whoever may run commands may read
    every figure, as with ``tongxin stats`` and ``tongxin cases-report``)."""

    pk = None
    is_authenticated = True
    is_active = True
    is_superuser = True

    def __init__(self) -> None:
        self._tongxin_grants = [scoping.Grant(("*",), None, None, "system", None)]
