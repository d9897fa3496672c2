"""The workflow of a person in the register as one table (core.workflow): moving between households (调户) and
the life status (迁出, 死亡, 恢复健在). Each step locks the person, writes one change-log entry for the person and
ends or starts memberships as their own logged rows."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongxin.core import audit, scoping
from tongxin.core.workflow import Context, Step, Workflow, may
from tongxin.registry.models import HEAD_RELATIONSHIPS, Household, Membership, Person

L = Person.LifeStatus


def _check_move(ctx: Context) -> None:
    person, household = ctx.obj, ctx.data["household"]
    if not scoping.can(ctx.user, household, "change"):
        raise PermissionDenied
    if person.life_status != L.LIVING:
        raise ValidationError(
            _("“%(p)s”的人员状态为%(s)s，不能调户") % {"p": person, "s": person.get_life_status_display()}
        )
    if household.community_id != person.community_id:
        raise ValidationError(_("只能在本社区内调户；跨社区迁移请由原社区办理迁出、新社区登记迁入"))


def _leave_head(household: Household, person: Person, note: str) -> None:
    """The household loses its head when the person leaves it: one workflow entry for the household."""
    if household.head_id == person.pk:
        pre = audit.serialize(household)
        household.head = None
        audit.save_step(household, "head_left", note, pre=pre)


def _move(ctx: Context) -> Membership:
    """End the current membership on ``date`` and start one in the new household; a second head is refused."""
    person, household = ctx.obj, ctx.data["household"]
    relationship, date, reason = ctx.data["relationship"], ctx.data["date"], ctx.data.get("reason", "")
    if relationship in HEAD_RELATIONSHIPS:
        other = Membership.objects.filter(
            household=household, end__isnull=True, relationship__in=HEAD_RELATIONSHIPS
        ).exclude(person=person)
        if other.exists():
            raise ValidationError(_("“%(h)s”已有户主，一户只能有一个户主") % {"h": household})
    current = Membership.objects.select_for_update().filter(person=person, end__isnull=True).first()
    if current is not None:
        current.end = date
        current.reason = reason or _("调户")
        current.save()
        old = current.household
        if not (old.pk == household.pk and relationship in HEAD_RELATIONSHIPS):
            _leave_head(old, person, _("户主已迁出，请指定新户主"))
    membership = Membership.objects.create(
        community_id=household.community_id,
        household=household,
        person=person,
        relationship=relationship,
        start=date,
        reason=reason,
    )
    person.household, person.relationship = household, relationship
    if relationship in HEAD_RELATIONSHIPS:
        household.refresh_from_db(fields=["head"])  # the caller's instance may be stale
        if household.head_id != person.pk:
            household.head = person
            household.save()
    ctx.note = _("调入%(h)s") % {"h": household}
    return membership


def _set_status(status: str):
    """The life-status steps: leaving ends the household membership (the person row is kept: a person is never
    deleted by normal work)."""

    def apply(ctx: Context) -> None:
        person, date = ctx.obj, ctx.data["date"]
        person.life_status, person.life_status_date = status, date
        if status == L.LIVING:
            return
        for m in Membership.objects.filter(person=person, end__isnull=True).select_related("household"):
            m.end = date
            m.reason = ctx.note or str(L(status).label)
            m.save()
            _leave_head(m.household, person, m.reason)
        person.household, person.relationship = None, ""

    return apply


CHANGE = may("change")

WORKFLOW = Workflow(
    Person,
    status_field="life_status",
    steps=(
        Step("move", gettext_lazy("调户"), sources=(L.LIVING,), rule=CHANGE, check=_check_move, apply=_move),
        Step("move_out", gettext_lazy("迁出"), target=L.MOVED_OUT, rule=CHANGE, apply=_set_status(L.MOVED_OUT)),
        Step("decease", gettext_lazy("死亡登记"), target=L.DECEASED, rule=CHANGE, apply=_set_status(L.DECEASED)),
        Step("restore", gettext_lazy("恢复健在"), target=L.LIVING, rule=CHANGE, apply=_set_status(L.LIVING)),
    ),
    describe=lambda person: _("居民“%(p)s”") % {"p": person},
)

#: the step that sets each life status
STATUS_STEPS = {L.MOVED_OUT: "move_out", L.DECEASED: "decease", L.LIVING: "restore"}
