"""The one scoping function: what a user may see and do, by role assignments on the division tree.

Every list, detail, edit, API endpoint, export and report obtains its rows through
:func:`restrict` (or :func:`get_scoped_object`). Permissions are ``app.action_model`` strings
(``org.view_grid``, ``registry.reveal_person``) matched against the patterns of the user's roles.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404

from tongxin.core.models import Actor, TongxinModel

ACTIONS = ("view", "add", "change", "delete", "export", "import", "reveal", "sensitive", "approve", "assign")


@dataclass(frozen=True)
class Grant:
    """One role assignment as the scoping function sees it."""

    patterns: tuple[str, ...]
    division_path: str | None  # None with grid_id None: the whole deployment
    grid_id: int | None
    role: str = ""  # the role's codename (some models show rows to named roles only)
    user_id: int | None = None  # the user holding the grant (rows of their own: assigned to or reported by them)

    def allows(self, perm: str) -> bool:
        """True when the role's patterns grant ``perm`` (``!pattern`` excludes)."""
        allowed = False
        for pattern in self.patterns:
            if pattern.startswith("!"):
                if fnmatchcase(perm, pattern[1:]):
                    return False
            elif fnmatchcase(perm, pattern):
                allowed = True
        return allowed

    @property
    def deployment_wide(self) -> bool:
        return self.division_path is None and self.grid_id is None


def is_scoped(model: type[models.Model]) -> bool:
    """True for models that declare their scope (every domain model, and users)."""
    return hasattr(model, "scope_division") or hasattr(model, "scope_filter")


def perm_name(model: type[models.Model], action: str) -> str:
    """``app.action_model`` for a model class."""
    return f"{model._meta.app_label}.{action}_{model._meta.model_name}"


def grants(user: Actor) -> list[Grant]:
    """The user's grants, computed once per user object (one query)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_tongxin_grants", None)
    if cached is not None:
        return cached
    from tongxin.org.models import RoleAssignment

    result: list[Grant] = []
    if user.is_superuser:
        result.append(Grant(("*",), None, None, "administrator", user.pk))
    rows = RoleAssignment.objects.filter(user=user).select_related("role", "division").order_by("pk")
    for ra in rows:
        path = ra.division.path if ra.division_id else None
        result.append(Grant(tuple(ra.role.permissions or ()), path, ra.grid_id, ra.role.codename, user.pk))
    user._tongxin_grants = result
    return result


def clear_cache(user: Actor) -> None:
    """Forget cached grants (after the user's assignments change)."""
    if hasattr(user, "_tongxin_grants"):
        del user._tongxin_grants


def has_perm(user: Actor, model: type[models.Model], action: str) -> bool:
    """True when any of the user's grants allows ``action`` on ``model`` somewhere."""
    perm = perm_name(model, action)
    return any(g.allows(perm) for g in grants(user))


def path_prefixes(path: str) -> list[str]:
    """``/53/5301/530103/`` → ``["/53/", "/53/5301/", "/53/5301/530103/"]`` (the node and its ancestors)."""
    codes = [c for c in path.strip("/").split("/") if c]
    return ["/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes))]


def _scope_q(model: type[models.Model], grant: Grant, action: str) -> Q | None:
    """The rows one grant covers for ``action``; None means every row."""
    if grant.deployment_wide:
        return None
    custom = getattr(model, "scope_filter", None)
    if custom is not None:
        return custom(grant, action)
    division_lookup = getattr(model, "scope_division", None)
    grid_lookup = getattr(model, "scope_grid", None)
    if grant.grid_id is not None:
        if grid_lookup is None:
            return NOTHING
        return Q(**{(f"{grid_lookup}__pk" if grid_lookup else "pk"): grant.grid_id})
    if division_lookup is None:
        # Deployment-wide reference rows (roles): readable by whoever may view them, writable only deployment-wide.
        return None if action == "view" else NOTHING
    field = f"{division_lookup}__path" if division_lookup else "path"
    return Q(**{f"{field}__startswith": grant.division_path})


NOTHING = Q(pk__in=[])


def scope_q(user: Actor, model: type[models.Model], action: str = "view") -> Q | None:
    """The Q of the rows of ``model`` on which the user may do ``action``; None = every row.

    A user without the permission anywhere gets :data:`NOTHING`.
    """
    perm = perm_name(model, action)
    parts: list[Q] = []
    for grant in grants(user):
        if not grant.allows(perm):
            continue
        part = _scope_q(model, grant, action)
        if part is None:
            return None
        if part is not NOTHING:
            parts.append(part)
    if not parts:
        return NOTHING
    q = parts[0]
    for part in parts[1:]:
        q |= part
    return q


def restrict(queryset: QuerySet | type[models.Model], user: Actor, action: str = "view") -> QuerySet:
    """THE scoping function: the rows of ``queryset`` on which ``user`` may do ``action``."""
    if isinstance(queryset, type):
        queryset = queryset._default_manager.all()
    q = scope_q(user, queryset.model, action)
    if q is None:
        return queryset
    if q is NOTHING:
        return queryset.none()
    qs = queryset.filter(q)
    if _needs_distinct(queryset.model):
        qs = qs.distinct()
    return qs


def _needs_distinct(model: type[models.Model]) -> bool:
    return bool(getattr(model, "scope_distinct", False))


CAN_ATTR = "tongxin_can"


def annotate_can(queryset: QuerySet, user: Actor, action: str) -> QuerySet:
    """Mark each row with whether the user may do ``action`` on it (attribute ``tongxin_can_<action>``),
    for exports that show some columns only on the rows where that is allowed."""
    from django.db.models import BooleanField, Exists, OuterRef, Value

    model = queryset.model
    q = scope_q(user, model, action)
    if q is None:
        flag = Value(True, output_field=BooleanField())
    elif q is NOTHING:
        flag = Value(False, output_field=BooleanField())
    else:  # a subquery, so that scopes over many-valued relations (users' roles) cannot duplicate rows
        flag = Exists(model._default_manager.filter(q, pk=OuterRef("pk")))
    return queryset.annotate(**{f"{CAN_ATTR}_{action}": flag})


def get_scoped_object(queryset: QuerySet | type[models.Model], user: Actor, action: str = "view", **lookup: Any):
    """The object matching ``lookup`` if the user may do ``action`` on it, else 404 (never 403: no probing)."""
    try:
        return restrict(queryset, user, action).get(**lookup)
    except (queryset.model if isinstance(queryset, QuerySet) else queryset).DoesNotExist as exc:
        raise Http404 from exc
    except (ValueError, TypeError) as exc:
        raise Http404 from exc


def can(user: Actor, obj: TongxinModel | models.Model, action: str) -> bool:
    """True when the user may do ``action`` on this particular object."""
    model = type(obj)
    q = scope_q(user, model, action)
    if q is None:
        return True
    if q is NOTHING:
        return False
    return model._default_manager.filter(q, pk=obj.pk).exists()


def allowed_divisions(user: Actor, model: type[models.Model], action: str = "add", levels: tuple[str, ...] = ()):
    """Divisions under which the user may do ``action`` on ``model`` (for form choices)."""
    from tongxin.org.models import Division

    perm = perm_name(model, action)
    qs = Division.objects.all()
    if levels:
        qs = qs.filter(level__in=levels)
    parts: list[Q] = []
    for grant in grants(user):
        if not grant.allows(perm):
            continue
        if grant.deployment_wide:
            return qs
        if grant.grid_id is not None:
            parts.append(Q(grids__pk=grant.grid_id))
        else:
            parts.append(Q(path__startswith=grant.division_path))
    if not parts:
        return qs.none()
    q = parts[0]
    for part in parts[1:]:
        q |= part
    return qs.filter(q).distinct()


REPORT_LEVELS = ("county", "street", "community")


def report_divisions(user: Actor, model: type[models.Model], action: str = "view") -> QuerySet:
    """The counties, streets and communities a user may ask ``model``'s figures for (statistics, reports): where
    they may ``action`` it; a grid member gets the grid's community (the figures then count what they may see)."""
    return allowed_divisions(user, model, action, levels=REPORT_LEVELS).order_by("path")
