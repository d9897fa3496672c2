"""Workflow writes of the registry: each is a step of the person's workflow table (:mod:`tongxin.registry.workflow`),
taken by :mod:`tongxin.core.workflow` (permission, row lock, one change-log entry; DESIGN rule 3), and the
follow-up of a membership written through its form."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tongxin.core import audit, scoping
from tongxin.core.models import Actor
from tongxin.registry.models import Household, Membership, Person
from tongxin.registry.workflow import STATUS_STEPS, WORKFLOW


def move_person(
    user: Actor, person: Person, household: Household, relationship: str, date: datetime.date, reason: str = ""
) -> Membership:
    """Move ``person`` into ``household`` (调户): end the current membership on ``date`` and start a new one
    (the ``move`` step of :data:`tongxin.registry.workflow.WORKFLOW`). The new household must be in the person's
    community; a second head is refused. Already there with that relationship: nothing to do."""
    current = Membership.objects.filter(person=person, end__isnull=True).first()
    if current is not None and current.household_id == household.pk and current.relationship == relationship:
        if not scoping.can(user, person, "change"):
            raise PermissionDenied
        return current
    data = {"household": household, "relationship": relationship, "date": date, "reason": reason}
    return WORKFLOW.take(user, person, "move", note=reason, **data).result


def sync_membership(membership: Membership, previous_household_id: int | None = None) -> None:
    """After a membership is written through its form (page or API): the person's current household and
    relationship, which lists and exports read, follow it, and a household without a head gets its 户主.
    An ended membership (or one moved to another household) no longer holds the person or the head."""
    person, household = membership.person, membership.household
    with transaction.atomic():
        if membership.end is None:
            wanted = (household.pk, membership.relationship)
        elif person.household_id == household.pk:
            wanted = (None, "")
        else:
            wanted = (person.household_id, person.relationship)
        if (person.household_id, person.relationship) != wanted:
            person._prechange = audit.serialize(person)
            person.household_id, person.relationship = wanted
            person.save()
        if membership.end is None and membership.is_head and household.head_id is None:
            household.head = person
            household.save()
        elif membership.end is not None and household.head_id == person.pk:
            household.head = None
            household.save()
        if previous_household_id and previous_household_id != household.pk:
            old = Household.objects.filter(pk=previous_household_id, head=person).first()
            if old is not None:
                old.head = None
                old.save()


def set_life_status(user: Actor, person: Person, status: str, date: datetime.date, reason: str = "") -> Person:
    """Mark a person living, moved out or deceased (a step of :data:`tongxin.registry.workflow.WORKFLOW`);
    leaving ends the household membership (the person row is kept: a person is never deleted by normal work)."""
    if status not in STATUS_STEPS:
        raise ValidationError(_("人员状态“%(s)s”无效") % {"s": status})
    return WORKFLOW.take(user, person, STATUS_STEPS[status], note=reason, date=date).obj
