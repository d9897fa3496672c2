"""Rules on role assignments that keep people able to run the platform.

Two ways of locking people out are refused, on the pages and through the API alike:

* **Locking oneself out.** Nobody removes, moves or changes a role assignment of their own, nor deactivates their
  own account: that is done by another person with the right to, who can see what it leaves. (A superuser keeps
  every permission whatever their assignments, so they may.)
* **Leaving no administrator.** The last active administrator (a user holding the ``administrator`` role, or a
  superuser) keeps that role and stays active: removing or demoting them is refused until another has the role.

Each check raises ``ValidationError`` with a message naming the assignment or the account; the caller (the
viewset's delete hook, the role assignment and account forms) shows it and writes nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from tongxin.org.models import RoleAssignment

#: the codename of the role that administers the whole platform (org/data/roles.json)
ADMINISTRATOR = "administrator"


def is_administrator_assignment(assignment: RoleAssignment) -> bool:
    """Whether the assignment grants the administrator role."""
    return bool(assignment.role_id) and assignment.role.codename == ADMINISTRATOR


def other_administrators(user_id: int | None, *, lock: bool = False) -> bool:
    """Whether an active administrator other than the user ``user_id`` remains: a superuser, or a holder of the
    administrator role. ``lock`` (inside a transaction) locks the administrator assignments, so that two people
    removing the last two administrators at once cannot both succeed."""
    from tongxin.core.models import User

    assignments = RoleAssignment.objects.filter(role__codename=ADMINISTRATOR, user__is_active=True)
    if lock:
        list(assignments.select_for_update(of=("self",)).values_list("pk", flat=True))
    holders = assignments.exclude(user_id=user_id).values("user_id")
    others = User.objects.filter(is_active=True).exclude(pk=user_id)
    return others.filter(Q(is_superuser=True) | Q(pk__in=holders)).exists()


def _is_self(actor: Any, user_id: int | None) -> bool:
    return actor is not None and actor.pk == user_id and not actor.is_superuser


def check_removal(actor: Any, assignment: RoleAssignment, *, lock: bool = False) -> None:
    """Refuse deleting ``assignment`` when it is the actor's own, or the last administrator's administrator role."""
    if _is_self(actor, assignment.user_id):
        raise ValidationError(
            _("不能删除自己的角色授权“%(a)s”：请由其他有权限的人员操作，以免把自己锁在系统之外") % {"a": assignment}
        )
    if is_administrator_assignment(assignment) and not _still_administrator(assignment, lock=lock):
        raise ValidationError(
            _("不能删除角色授权“%(a)s”：“%(user)s”是最后一位系统管理员；请先为另一位用户授予系统管理员角色")
            % {"a": assignment, "user": assignment.user}
        )


def _still_administrator(assignment: RoleAssignment, *, lock: bool = False) -> bool:
    """Whether an administrator remains without this assignment: its user through another, or someone else."""
    others = RoleAssignment.objects.filter(user_id=assignment.user_id, role__codename=ADMINISTRATOR)
    if others.exclude(pk=assignment.pk).exists() or assignment.user.is_superuser:
        return True
    return other_administrators(assignment.user_id, lock=lock)


def check_change(actor: Any, before: RoleAssignment, after: dict[str, Any]) -> dict[str, str]:
    """The refusals of changing the stored assignment ``before`` to the form's values ``after`` (user, role,
    division, grid), per field: the actor's own assignment, or the last administrator's role taken away."""
    grid = after.get("grid")
    wanted = {
        "user": after.get("user"),
        "role": after.get("role"),
        "grid": grid,
        "division": grid.community if grid is not None else after.get("division"),  # as the model saves it
    }
    changed = [name for name, value in wanted.items() if getattr(value, "pk", None) != getattr(before, f"{name}_id")]
    if not changed:
        return {}
    if _is_self(actor, before.user_id):
        return {
            changed[0]: _("不能修改自己的角色授权“%(a)s”：请由其他有权限的人员操作，以免把自己锁在系统之外")
            % {"a": before}
        }
    role, user = wanted["role"], wanted["user"]
    held_after = role is not None and role.codename == ADMINISTRATOR and user is not None and user.is_active
    if is_administrator_assignment(before) and not held_after and not _still_administrator(before):
        return {
            "role" if "role" in changed else "user": _(
                "“%(user)s”是最后一位系统管理员，不能取消其系统管理员角色；请先为另一位用户授予该角色"
            )
            % {"user": before.user}
        }
    return {}


def check_deactivation(actor: Any, user: Any) -> str | None:
    """The refusal of deactivating the account ``user``: one's own, or the last administrator's (None: allowed)."""
    if actor is not None and actor.pk == user.pk:
        return _("不能停用自己的账户“%(u)s”：请由其他有权限的人员操作") % {"u": user}
    holds = RoleAssignment.objects.filter(user=user, role__codename=ADMINISTRATOR).exists()
    if (holds or user.is_superuser) and not other_administrators(user.pk):
        return _("不能停用账户“%(u)s”：这是最后一位系统管理员；请先为另一位用户授予系统管理员角色") % {"u": user}
    return None
