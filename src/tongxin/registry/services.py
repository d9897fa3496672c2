"""Workflow writes of the registry: each checks the permission, runs in a transaction and writes its
change-log entry (DESIGN rule 3)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tongxin.core import audit, scoping
from tongxin.registry.models import HEAD_RELATIONSHIPS, Household, Membership, Person


def _require(user: Any, obj: Any, action: str) -> None:
    if not scoping.can(user, obj, action):
        raise PermissionDenied


def move_person(
    user: Any, person: Person, household: Household, relationship: str, date: datetime.date, reason: str = ""
) -> Membership:
    """Move ``person`` into ``household`` (调户): end the current membership on ``date`` and start a new one.

    The new household must be in the person's community; a second head is refused.
    """
    _require(user, person, "change")
    _require(user, household, "change")
    if person.life_status != Person.LifeStatus.LIVING:
        raise ValidationError(
            _("“%(p)s”的人员状态为%(s)s，不能调户") % {"p": person, "s": person.get_life_status_display()}
        )
    if household.community_id != person.community_id:
        raise ValidationError(_("只能在本社区内调户；跨社区迁移请由原社区办理迁出、新社区登记迁入"))
    with transaction.atomic():
        if relationship in HEAD_RELATIONSHIPS:
            other = Membership.objects.filter(
                household=household, end__isnull=True, relationship__in=HEAD_RELATIONSHIPS
            ).exclude(person=person)
            if other.exists():
                raise ValidationError(_("“%(h)s”已有户主，一户只能有一个户主") % {"h": household})
        current = Membership.objects.select_for_update().filter(person=person, end__isnull=True).first()
        if current is not None:
            if current.household_id == household.pk and current.relationship == relationship:
                return current
            current.end = date
            current.reason = reason or _("调户")
            current.save()
            old = current.household
            stays_head = old.pk == household.pk and relationship in HEAD_RELATIONSHIPS
            if old.head_id == person.pk and not stays_head:
                pre = audit.serialize(old)
                old.head = None
                old.save()
                audit.record_workflow(old, "head_left", pre=pre, message=_("户主已迁出，请指定新户主"))
        membership = Membership.objects.create(
            community_id=household.community_id,
            household=household,
            person=person,
            relationship=relationship,
            start=date,
            reason=reason,
        )
        pre = audit.serialize(person)
        person.household = household
        person.relationship = relationship
        person._prechange = pre
        person.save()
        if relationship in HEAD_RELATIONSHIPS:
            household.refresh_from_db(fields=["head"])  # the caller's instance may be stale
            if household.head_id != person.pk:
                household.head = person
                household.save()
        audit.record_workflow(person, "move", pre=pre, message=_("调入%(h)s") % {"h": household})
    return membership


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


def set_life_status(user: Any, person: Person, status: str, date: datetime.date, reason: str = "") -> Person:
    """Mark a person living, moved out or deceased; leaving ends the household membership (the person
    row is kept: a person is never deleted by normal work)."""
    _require(user, person, "change")
    if status not in Person.LifeStatus.values:
        raise ValidationError(_("人员状态“%(s)s”无效") % {"s": status})
    with transaction.atomic():
        pre = audit.serialize(person)
        person.life_status = status
        person.life_status_date = date
        person._prechange = pre
        if status != Person.LifeStatus.LIVING:
            for m in Membership.objects.filter(person=person, end__isnull=True).select_related("household"):
                m.end = date
                m.reason = reason or person.get_life_status_display()
                m.save()
                if m.household.head_id == person.pk:
                    m.household.head = None
                    m.household.save()
            person.household = None
            person.relationship = ""
        person.save()
        audit.record_workflow(person, f"life_status:{status}", pre=pre, message=reason)
    return person
