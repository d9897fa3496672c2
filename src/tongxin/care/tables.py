"""Tables of the care module (list pages and exports)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from tongxin.care.models import CarePlan, Enrolment, HealthCheck, Programme, Visit, Warning
from tongxin.core.tables import Column, Table


class ProgrammeTable(Table):
    """Programmes with their rules."""

    model = Programme
    name = Column(linkify=True)
    fields = ("code", "name", "community", "unit", "visit_every", "review_every", "pays_benefit", "amount",
              "notice_days", "active")  # fmt: skip


class EnrolmentTable(Table):
    """Who is enrolled in which programme, and where their application stands."""

    model = Enrolment
    subject = Column(render=lambda e: str(e.person or e.household or ""), verbose_name=_("对象"), order_by=False,
                     linkify=True)  # fmt: skip
    programme = Column("programme__name", _("帮扶项目"), order_by="programme__sort")
    fields = ("subject", "programme", "status", "community", "grid", "persons_covered", "monthly_amount",
              "approved_on", "next_recheck", "responsible", "notes")  # fmt: skip


class VisitTable(Table):
    """Visits, newest first."""

    model = Visit
    person = Column("person__name", _("居民"), linkify=True, order_by="person__name")
    fields = ("visited_on", "person", "kind", "community", "grid", "visitor", "findings", "needs", "case")


class CarePlanTable(Table):
    """Care plans, the next review first."""

    model = CarePlan
    person = Column("person__name", _("居民"), linkify=True, order_by="person__name")
    fields = ("person", "status", "version", "community", "grid", "responsible", "grid_member", "reviewed_on",
              "next_review", "needs")  # fmt: skip


class WarningTable(Table):
    """Warnings, the open ones first by their time limit."""

    model = Warning
    message = Column(linkify=True)
    fields = ("message", "kind", "status", "person", "community", "grid", "assignee", "raised_at", "due_at",
              "escalated_at", "handled_at")  # fmt: skip


class HealthCheckTable(Table):
    """Health checks, newest first."""

    model = HealthCheck
    person = Column("person__name", _("居民"), linkify=True, order_by="person__name")
    fields = ("checked_on", "person", "community", "systolic", "diastolic", "glucose", "abnormal", "clinic",
              "conclusion")  # fmt: skip
