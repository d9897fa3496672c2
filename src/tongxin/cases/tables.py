"""Tables of the cases module (list pages and exports)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from tongxin.cases.models import Case, Category, Dispute, FollowUp, MediationSession, Meeting
from tongxin.core.tables import Column, Table


def _due_state(case: Case) -> str:
    if case.status in Case.DONE_STATUSES:
        return str(_("按时办结")) if case.on_time else str(_("超期办结"))
    if case.status == Case.Status.SUSPENDED:
        return str(_("挂起中"))
    if case.status in Case.OPEN_STATUSES:
        return str(_("已超期")) if case.is_overdue() else str(_("未到期"))
    return ""


class CaseTable(Table):
    """Cases with their deadline state."""

    model = Case
    number = Column(linkify=True)
    title = Column(linkify=True)
    due_state = Column(render=_due_state, verbose_name=_("时限状态"), order_by=False)
    category = Column("category__name", _("分类"), order_by="category__sort")
    assignee = Column(render=lambda c: c.assignee.display_name if c.assignee_id else "", verbose_name=_("承办人"))
    reporter = Column(render=lambda c: c.reporter_display, verbose_name=_("反映人"), order_by=False)
    fields = (
        "number",
        "title",
        "kind",
        "category",
        "status",
        "due_state",
        "priority",
        "community",
        "grid",
        "address",
        "reported_at",
        "due_at",
        "resolved_at",
        "assignee",
        "level",
        "source",
        "reporter",
        "description",
        "resolution",
        "involves_ethnic",
        "confidential",
        "satisfaction",
        "external_ref",
        "last_updated",
    )
    default_columns = (
        "number",
        "title",
        "category",
        "status",
        "due_state",
        "grid",
        "reported_at",
        "due_at",
        "assignee",
        "level",
    )


class CategoryTable(Table):
    """Categories and their time limits."""

    model = Category
    name = Column(linkify=True)
    limit = Column(render=lambda c: c.time_limit_display(), verbose_name=_("时限"), order_by=False)
    fields = (
        "code",
        "name",
        "parent",
        "community",
        "kind",
        "limit",
        "priority",
        "responsible_role",
        "partner",
        "active",
        "sort",
    )


class DisputeTable(Table):
    """Disputes and their mediation results."""

    model = Dispute
    case = Column(linkify=True)
    fields = ("case", "community", "parties_text", "mediators_text", "result", "result_date", "transferred_to")


class MediationSessionTable(Table):
    """Mediation sessions."""

    model = MediationSession
    time = Column(linkify=True)
    fields = ("time", "dispute", "community", "place", "participants", "outcome")


class MeetingTable(Table):
    """Public-sentiment meetings."""

    model = Meeting
    topic = Column(linkify=True)
    case_count = Column(render=lambda m: len(m.cases.all()), verbose_name=_("提出事件数"), order_by=False)
    fields = ("date", "topic", "community", "place", "host", "attendee_count", "case_count")


class FollowUpTable(Table):
    """Follow-up calls and visits with satisfaction."""

    model = FollowUp
    time = Column(linkify=False)
    case = Column(linkify=False)
    fields = ("time", "case", "method", "satisfaction", "comments", "by")
