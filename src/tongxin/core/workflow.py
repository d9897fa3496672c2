"""One declarative workflow per model: a table of steps, and one way to take a step.

A module declares its workflow once::

    WORKFLOW = Workflow(
        Case,
        steps=(
            Step("accept", _("受理"), sources=(S.REPORTED,), target=S.ACCEPTED, rule=may("assign")),
            Step("reject", _("不予受理"), sources=(S.REPORTED,), target=S.REJECTED, rule=may("assign"),
                 note=REQUIRED, note_label=_("理由"), danger=True, notify=tell_reporter),
            ...
        ),
        form=StepForm,
    )

and gets from that table alone: the buttons and forms on the object's page (the steps the user may take now),
the page that takes a step (``<segment>/<pk>/step/<step>/``), the API's ``POST …/{pk}/<step>/`` endpoints and
``GET …/{pk}/actions/`` (:func:`tongxin.core.api.workflow_endpoints`), and :meth:`Workflow.take`, the one way to
take a step: check who may (the step's rule, on this object), check the input, then in one transaction lock and
reload the row, check the status, apply the step's own changes, set the new status and write exactly one
change-log entry (and the module's timeline row); notifications run after, and leave by the outbox after commit.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongxin.core import audit, scoping
from tongxin.core.models import Actor

Rule = Callable[[Any, models.Model], bool]

#: how a step takes its note
OPTIONAL, REQUIRED, NONE = "optional", "required", "none"
NOTE = gettext_lazy("说明")


def may(action: str) -> Rule:
    """The rule "the user may do ``action`` on this object" (the scoping function's answer)."""

    def rule(user: Actor, obj: models.Model) -> bool:
        return scoping.can(user, obj, action)

    return rule


def all_of(*rules: Rule) -> Rule:
    """Every rule holds."""
    return lambda user, obj: all(r(user, obj) for r in rules)


def any_of(*rules: Rule) -> Rule:
    """At least one rule holds."""
    return lambda user, obj: any(r(user, obj) for r in rules)


@dataclass
class Context:
    """One step being taken: who, on what, with which input; ``result`` is what the step's ``apply`` returned
    and ``row`` what the workflow's timeline wrote."""

    user: Actor
    obj: models.Model
    step: Step
    note: str
    files: Sequence[Any]
    data: dict[str, Any]
    now: datetime.datetime
    old_status: str = ""
    result: Any = None
    row: Any = None


@dataclass(frozen=True)
class Step:
    """One row of a workflow table.

    ``sources``: the statuses it may be taken from (empty: any); ``target``: the status after it (None: as it
    was, or what ``apply`` sets); ``rule``: who may take it (None: only the system, e.g. the clock, never a
    button); ``note``: optional, required or none, with its label and the message when missing; ``photos``:
    whether it takes photos; ``fields``: further inputs of the workflow's form; ``check``: validation before
    the transaction; ``apply``: the step's own changes, inside it; ``notify``: after it; ``danger``: a button
    that undoes or ends something."""

    name: str
    label: Any
    sources: tuple[str, ...] = ()
    target: str | None = None
    rule: Rule | None = None
    note: str = OPTIONAL
    note_label: Any = NOTE
    note_message: Any = None
    photos: bool = False
    fields: tuple[str, ...] = ()
    check: Callable[[Context], None] | None = None
    apply: Callable[[Context], Any] | None = None
    notify: Callable[[Context], None] | None = None
    danger: bool = False

    @property
    def path(self) -> str:
        """The step's URL segment (``follow_up`` → ``follow-up``)."""
        return self.name.replace("_", "-")

    @property
    def system(self) -> bool:
        """A step only the system takes (no user may)."""
        return self.rule is None


@dataclass
class Workflow:
    """The steps of one model, and the machinery that takes them.

    ``form``: a form class taking ``(data, files, obj=…, step=…)`` with the fields steps read (``note``,
    ``photos`` and each step's ``fields``); ``describe(obj)``: how messages name the object (its number);
    ``on_save(ctx)``: runs just before the step's one save (e.g. a status note on the row); ``timeline(ctx)``:
    runs after it, inside the transaction (the module's own history rows, photos); ``attach(ctx, f)`` stores
    each photo of a step when the timeline does not."""

    model: type[models.Model]
    steps: tuple[Step, ...]
    status_field: str = "status"
    form: type | None = None
    describe: Callable[[Any], str] = str
    on_save: Callable[[Context], None] | None = None
    timeline: Callable[[Context], Any] | None = None
    #: stores one of the step's photos or files (e.g. ``lambda ctx, f: Photo(visit=ctx.obj).store(f, ctx.user)``),
    #: for a workflow whose ``timeline`` does not store them itself
    attach: Callable[[Context, Any], Any] | None = None
    _by_name: dict[str, Step] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_name = {s.name: s for s in self.steps}
        if len(self._by_name) != len(self.steps):
            raise ValueError(f"{self.model.__name__}: two steps share a name")

    # -- reading the table --------------------------------------------------------------------------------
    def get(self, name: str) -> Step:
        """The step called ``name``; a clear error naming it when there is none."""
        try:
            return self._by_name[name]
        except KeyError:
            raise ValidationError(_("未知的办理步骤“%(s)s”") % {"s": name}) from None

    def label(self, name: str) -> str:
        """The step's label for people (the name itself for a step the table no longer has)."""
        step = self._by_name.get(name)
        return str(step.label) if step is not None else name

    def user_steps(self) -> list[Step]:
        """The steps users take (buttons, pages, API endpoints)."""
        return [s for s in self.steps if not s.system]

    def allowed_from(self, step: Step | str) -> tuple[str, ...]:
        """The statuses a step may be taken from (every status when the table says none)."""
        step = self.get(step) if isinstance(step, str) else step
        return step.sources or tuple(self.status_labels())

    def status_labels(self) -> dict[str, str]:
        """The model's statuses with their labels."""
        return {str(k): str(v) for k, v in self.model._meta.get_field(self.status_field).choices}

    def status(self, obj: models.Model) -> str:
        return getattr(obj, self.status_field)

    def is_open_to(self, step: Step, obj: models.Model) -> bool:
        """True when ``obj``'s status lets ``step`` be taken."""
        return not step.sources or self.status(obj) in step.sources

    def available(self, user: Actor, obj: models.Model) -> list[Step]:
        """The steps ``user`` may take on ``obj`` now, in table order: what the page offers and the API lists."""
        return [s for s in self.user_steps() if self.is_open_to(s, obj) and s.rule(user, obj)]

    # -- taking a step --------------------------------------------------------------------------------------
    def take(
        self,
        user: Actor,
        obj: models.Model,
        name: str,
        *,
        note: str = "",
        files: Sequence[Any] = (),
        now: datetime.datetime | None = None,
        **data: Any,
    ) -> Context:
        """Take step ``name`` on ``obj`` for ``user``; raises ``PermissionDenied`` when the rule refuses and
        ``ValidationError`` (naming the field) when the input or the status does not allow it."""
        step = self.get(name)
        if step.system or not step.rule(user, obj):
            raise PermissionDenied
        note = (note or "").strip()
        if files and not step.photos:
            raise ValidationError({"photos": [_("“%(step)s”不能上传照片或文件") % {"step": step.label}]})
        if step.note == REQUIRED and not note:
            message = step.note_message or _("请填写%(label)s") % {"label": step.note_label}
            raise ValidationError({"note": [message]})
        ctx = Context(user, obj, step, note, files, data, now or timezone.now())
        if step.check is not None:
            step.check(ctx)
        with audit.acting_as(user), transaction.atomic():
            self.lock(obj)
            self.check_from(obj, step)
            self.record(ctx)
        if step.notify is not None:
            step.notify(ctx)
        return ctx

    def take_form(self, user: Actor, obj: models.Model, name: str, cleaned: dict[str, Any]) -> Context:
        """Take step ``name`` with the cleaned data of the viewset's step form (the page and the API both post
        one): its ``note``, its ``photos`` and the further inputs the step names."""
        data = {k: v for k, v in cleaned.items() if k not in ("note", "photos") and v not in (None, "")}
        return self.take(user, obj, name, note=cleaned.get("note") or "", files=cleaned.get("photos") or [], **data)

    def record(self, ctx: Context, apply: Callable[[Context], Any] | None = None) -> None:
        """Inside the caller's transaction, with the row locked: apply the step to ``ctx.obj`` (``apply``, else
        the step's own), set its status, save it as one change-log entry (action 流程, the state before the
        changes and after them) and write the timeline."""
        obj, step = ctx.obj, ctx.step
        pre = audit.serialize(obj)
        ctx.old_status = self.status(obj)
        apply = apply or step.apply
        if apply is not None:
            ctx.result = apply(ctx)
        if step.target is not None:
            setattr(obj, self.status_field, step.target)
        if self.on_save is not None:
            self.on_save(ctx)
        audit.save_step(obj, step.name, ctx.note, pre=pre)
        if self.timeline is not None:
            ctx.row = self.timeline(ctx)
        if self.attach is not None:
            for f in ctx.files:
                self.attach(ctx, f)

    def system_step(
        self,
        obj: models.Model,
        name: str,
        *,
        note: str = "",
        now: datetime.datetime | None = None,
        user: Actor = None,
        apply: Callable[[Context], Any] | None = None,
        **data: Any,
    ) -> Context:
        """Record a step the system takes (the clock's reminder, an escalation, a step on a second object) in
        the caller's transaction, the row already locked by the caller; ``apply(ctx)`` makes its changes, after
        the state before them is taken for the change log."""
        ctx = Context(user, obj, self.get(name), note, (), data, now or timezone.now())
        self.record(ctx, apply)
        return ctx

    def lock(self, obj: models.Model) -> None:
        """Lock the row and reload it, so that a step never overwrites what another request or the clock wrote
        since the caller loaded it."""
        # of=("self",) and no ordering: a model's default ordering may join its community, and FOR UPDATE on the
        # division row would stall every insert that references that community (PostgreSQL's FOR KEY SHARE)
        manager = type(obj)._default_manager
        manager.select_for_update(of=("self",)).filter(pk=obj.pk).order_by().values_list("pk", flat=True).first()
        obj.refresh_from_db()

    def check_from(self, obj: models.Model, step: Step) -> None:
        """A clear error when ``obj``'s status does not allow ``step``."""
        if not self.is_open_to(step, obj):
            raise ValidationError(
                _("%(obj)s 当前状态为“%(s)s”，不能%(step)s")
                % {
                    "obj": self.describe(obj),
                    "s": self.status_labels().get(self.status(obj), self.status(obj)),
                    "step": step.label,
                }
            )
