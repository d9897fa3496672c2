"""Change logging as data: every create, update and delete of a domain object, whatever its origin.

The audit context (user, request/batch id, source) is a context variable set by the web middleware,
the API, the import engine, management commands and tasks. Writes outside any context are still
logged, with source "system": logging never silently depends on a request.
"""

from __future__ import annotations

import contextlib
import datetime
import decimal
import functools
import hashlib
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from tongxin.core import privacy
from tongxin.core.models import AccessLog, Actor, ObjectChange


@dataclass
class AuditContext:
    """Who is acting, in which request or batch, from where."""

    user: Actor = None
    source: str = ObjectChange.Source.SYSTEM
    request_id: uuid.UUID = field(default_factory=uuid.uuid4)
    request: Any = None

    def actor(self) -> Any:
        """The acting user (read late: the API authenticates after the middleware ran)."""
        if self.request is not None:
            user = getattr(self.request, "auth_user", None) or getattr(self.request, "user", None)
            if user is not None and getattr(user, "is_authenticated", False):
                return user
        user = self.user
        return user if user is not None and getattr(user, "is_authenticated", False) else None


_current: ContextVar[AuditContext | None] = ContextVar("tongxin_audit_context", default=None)


def current() -> AuditContext:
    """The active audit context; outside any context each write gets a fresh "system" context of its own."""
    ctx = _current.get()
    return ctx if ctx is not None else AuditContext()


@contextlib.contextmanager
def audit_context(
    user: Actor = None,
    source: str = ObjectChange.Source.SYSTEM,
    request_id: uuid.UUID | None = None,
    request: Any = None,
) -> Iterator[AuditContext]:
    """Run a block of writes under one actor and one request/batch id."""
    ctx = AuditContext(user=user, source=source, request_id=request_id or uuid.uuid4(), request=request)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


@contextlib.contextmanager
def acting_as(user: Actor) -> Iterator[AuditContext]:
    """Attribute the block's writes to ``user`` unless the surrounding context already names an actor (a service
    function called from a command, a task or a test acts for the user it was given)."""
    ctx = _current.get()
    if user is None or not getattr(user, "is_authenticated", False) or (ctx is not None and ctx.actor() is not None):
        yield ctx if ctx is not None else current()
        return
    source = ctx.source if ctx is not None else ObjectChange.Source.SYSTEM
    with audit_context(user=user, source=source, request_id=ctx.request_id if ctx is not None else None) as inner:
        yield inner


def actor_step(func: Any) -> Any:
    """Decorator of service functions whose first argument is the acting user (see :func:`acting_as`)."""

    @functools.wraps(func)
    def wrapper(user: Actor, *args: Any, **kwargs: Any) -> Any:
        with acting_as(user):
            return func(user, *args, **kwargs)

    return wrapper


_PLAIN = (str, int, bool, float, type(None))


def _jsonable(value: Any) -> Any:
    if type(value) in _PLAIN:
        return value
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.fields.files.FieldFile):
        return value.name or None
    return value


@functools.cache
def _audited_fields(model: type[models.Model]) -> tuple[tuple[str, str, str | None], ...]:
    """(name, attname, personal class or None) of the concrete fields a model's change-log entries hold: the log
    keeps personal data only masked, as a user without the reveal permission sees it, and nothing of an ID number
    (core.privacy.stored)."""
    exclude = set(getattr(model, "audit_exclude", ()))
    personal = privacy.classes(model)
    return tuple(
        (f.name, f.attname, personal.get(f.name))
        for f in model._meta.concrete_fields
        if f.name not in exclude and not f.primary_key
    )


def values_serializer(
    model: type[models.Model], defaults: dict[str, Any]
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A function giving the audited state of a row given as attname → value (``defaults`` for the attnames it
    leaves out), as :func:`serialize` gives it for an object: for bulk writers that build rows without model
    instances (the field list is resolved once, not per row)."""
    audited = _audited_fields(model)
    # the state of a row that sets nothing, in field order (the defaults made JSON-ready once)
    base = {name: _jsonable(defaults.get(attname)) for name, attname, _personal in audited}
    for name, _attname, personal in audited:
        if personal and base[name]:
            base[name] = privacy.stored_as(personal, base[name])
    names = {attname: (name, personal) for name, attname, personal in audited}

    def serialize_row(values: dict[str, Any]) -> dict[str, Any]:
        data = base.copy()  # then only the values the row sets: a dozen of a person's thirty fields
        for attname, value in values.items():
            field = names.get(attname)
            if field is None:  # the primary key, or a column the change log leaves out
                continue
            if field[1] and value:
                value = privacy.stored_as(field[1], value)
            data[field[0]] = value if type(value) in _PLAIN else _jsonable(value)
        return data

    return serialize_row


def serialize(obj: models.Model, m2m: bool = True) -> dict[str, Any]:
    """The audited state of an object: concrete fields (foreign keys as ids) and many-to-many id lists
    (left out with ``m2m=False``, for bulk writes that do not touch them)."""
    data: dict[str, Any] = {}
    digests: dict[str, str] = {}
    for name, attname, personal in _audited_fields(type(obj)):
        value = getattr(obj, attname)
        if personal:
            digests[name] = _digest(value)
            if value:
                value = privacy.stored_as(personal, value)
        data[name] = _jsonable(value)
    if digests:
        data[DIGESTS] = digests
    exclude = set(getattr(obj, "audit_exclude", ()))
    if m2m and obj.pk is not None:
        for f in obj._meta.many_to_many:
            if f.name in exclude:
                continue
            cache = getattr(obj, "_prefetched_objects_cache", {})
            if f.name in cache:
                data[f.name] = sorted(o.pk for o in cache[f.name])
            else:
                data[f.name] = sorted(getattr(obj, f.name).values_list("pk", flat=True))
    return data


def _community_id(obj: models.Model) -> int | None:
    fn = getattr(obj, "audit_community_id", None)
    return fn() if fn else None


#: the key of a serialized state that carries, in memory only, a digest of each personal value: a change the
#: stored form cannot show (an ID number keeps nothing; two phones can share a mask) is still a change
DIGESTS = "__personal__"
#: appended to a personal value's stored form when the value changed but that form did not
CHANGED_MARK = "（已修改）"


def _digest(value: Any) -> str:
    """A digest of a clear personal value, compared in memory and never stored."""
    return hashlib.blake2b(str(value or "").encode(), digest_size=8).hexdigest()


def finish(pre: dict | None, post: dict | None) -> tuple[dict | None, dict | None]:
    """The states as the change log stores them: the in-memory digests dropped, and a personal value whose
    stored form did not change while the value did marked as changed in the state after."""
    pre_digests = pre.pop(DIGESTS, {}) if pre else {}
    post_digests = post.pop(DIGESTS, {}) if post else {}
    if pre and post:
        for name, digest in post_digests.items():
            if name in pre_digests and pre_digests[name] != digest and pre.get(name) == post.get(name):
                post[name] = f"{post.get(name) or ''}{CHANGED_MARK}"
    return pre, post


def record(
    obj: models.Model,
    action: str,
    *,
    pre: dict | None = None,
    post: dict | None = None,
    step: str = "",
    message: str = "",
) -> ObjectChange:
    """Write one change-log entry for ``obj`` under the current audit context."""
    ctx = current()
    user = ctx.actor()
    pre, post = finish(pre, post)
    return ObjectChange.objects.create(
        user=user,
        user_name=user.get_username() if user else "",
        request_id=ctx.request_id,
        source=ctx.source,
        action=action,
        step=step,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        community_id=_community_id(obj),
        prechange_data=pre,
        postchange_data=post,
        message=message,
    )


CHANGE_COLUMNS = (
    "time",
    "user_id",
    "user_name",
    "request_id",
    "source",
    "action",
    "step",
    "content_type_id",
    "object_id",
    "object_repr",
    "community_id",
    "prechange_data",
    "postchange_data",
    "message",
)


def record_history(entries: Iterable[tuple], batch_size: int = 5000, writer: Any = None) -> int:
    """Write change-log entries in bulk, each with its own time, step and actor: (object, time, action, step,
    actor, before, after, message). For bulk writers that replay a history (the demo's year of cases); rows go
    straight to the table (COPY on PostgreSQL) under the current context's request id and source; with a
    :class:`tongxin.core.bulk.Writer`, in its thread."""
    from tongxin.core import bulk

    ctx = current()
    types: dict[type, int] = {}
    rows = []
    for obj, time, action, step, actor, pre, post, message in entries:
        pre, post = finish(pre, post)
        model = type(obj)
        if model not in types:
            types[model] = ContentType.objects.get_for_model(model, for_concrete_model=False).pk
        rows.append(
            (
                time,
                actor.pk if actor is not None else None,
                actor.get_username() if actor is not None else "",
                ctx.request_id,
                ctx.source,
                action,
                step,
                types[model],
                str(obj.pk),
                (getattr(obj, "_audit_repr", None) or str(obj))[:200],
                _community_id(obj),
                pre,
                post,
                message,
            )
        )
    bulk.insert_values(ObjectChange, CHANGE_COLUMNS, rows, batch_size=batch_size, writer=writer)
    return len(rows)


def record_many(
    entries: list[tuple[models.Model, str, dict | None]], batch_size: int = 5000, writer: Any = None
) -> int:
    """Write change-log entries for bulk writes in one go: (object, action, state before) each; the state
    after is taken from the object now, the actor from the context (with a writer, written in its thread).
    Returns the count."""
    from django.utils import timezone

    user = current().actor()
    now = timezone.now()
    delete = ObjectChange.Action.DELETE
    return record_history(
        (
            (obj, now, action, "", user, pre, None if action == delete else serialize(obj, m2m=False), "")
            for obj, action, pre in entries
        ),
        batch_size=batch_size,
        writer=writer,
    )


def record_created(
    model: type[models.Model],
    rows: Iterable[tuple[dict[str, Any], str]],
    batch_size: int = 5000,
    writer: Any = None,
) -> int:
    """Log the creation of rows written by :func:`tongxin.core.bulk.insert_dicts`: (values with the primary key,
    object repr) each; the attnames the values leave out have their defaults. The rows' community is their
    ``community_id`` (models scoped by ``community``). With a :class:`tongxin.core.bulk.Writer` they are
    written in its thread. Returns the count."""
    from django.utils import timezone

    from tongxin.core import bulk

    ctx = current()
    user = ctx.actor()
    now = timezone.now()
    defaults = bulk.row_defaults(model)
    type_id = ContentType.objects.get_for_model(model, for_concrete_model=False).pk
    pk = model._meta.pk.attname
    by_community = getattr(model, "scope_division", None) == "community"
    create = ObjectChange.Action.CREATE
    user_id, user_name = (user.pk, user.get_username()) if user is not None else (None, "")
    serialize_row = values_serializer(model, defaults)
    entries = [
        (
            now,
            user_id,
            user_name,
            ctx.request_id,
            ctx.source,
            create,
            "",
            type_id,
            str(values[pk]),
            text[:200],
            values.get("community_id") if by_community else None,
            None,
            serialize_row(values),
            "",
        )
        for values, text in rows
    ]
    bulk.insert_values(ObjectChange, CHANGE_COLUMNS, entries, batch_size=batch_size, writer=writer)
    return len(entries)


def record_workflow(obj: models.Model, step: str, *, pre: dict | None = None, message: str = "") -> ObjectChange:
    """Explicit entry for a workflow step (assign, escalate, close, approve) from a service function."""
    return record(obj, ObjectChange.Action.WORKFLOW, pre=pre, post=serialize(obj), step=step, message=message)


def save_step(obj: models.Model, step: str, message: str = "", pre: dict | None = None) -> None:
    """Save ``obj`` as one workflow step: a single change-log entry (action 流程, the step, before/after)."""
    if pre is not None:
        obj._prechange = pre
    obj._workflow = (step, message)
    obj.save()


def log_access(
    model_or_obj: models.Model | type[models.Model],
    action: str,
    *,
    fields: list[str] | tuple[str, ...] = (),
    row_count: int = 1,
    community_id: int | None = None,
    detail: str = "",
) -> AccessLog:
    """Record a reveal or export of personal data (PIPL access log)."""
    ctx = current()
    user = ctx.actor()
    is_obj = isinstance(model_or_obj, models.Model)
    return AccessLog.objects.create(
        user=user,
        user_name=user.get_username() if user else "",
        request_id=ctx.request_id,
        action=action,
        content_type=ContentType.objects.get_for_model(model_or_obj, for_concrete_model=False),
        object_id=str(model_or_obj.pk) if is_obj else "",
        fields=",".join(fields)[:200],
        row_count=row_count,
        community_id=community_id if community_id is not None else (_community_id(model_or_obj) if is_obj else None),
        detail=detail[:500],
    )


# --- signal receivers (connected in CoreConfig.ready) -------------------------------------------


def _audited(sender: type) -> bool:
    """Domain models (TongxinModel) and users are change-logged; a model opts out with ``audited = False``."""
    return isinstance(sender, type) and bool(getattr(sender, "audited", False))


def on_pre_save(sender, instance, raw=False, **kwargs) -> None:
    """Remember the state before an update (unless a view already took a snapshot)."""
    if raw or not _audited(sender) or instance.pk is None or instance._state.adding:
        return
    if getattr(instance, "_prechange", None) is None:
        old = sender._default_manager.filter(pk=instance.pk).first()
        instance._prechange = serialize(old) if old is not None else None


def on_post_save(sender, instance, created, raw=False, **kwargs) -> None:
    """Write the create/update entry."""
    if raw or not _audited(sender):
        return
    post = serialize(instance)
    pre = None if created else getattr(instance, "_prechange", None)
    instance._prechange = None
    workflow = getattr(instance, "_workflow", None)
    instance._workflow = None
    if workflow is not None:  # a service's step: one workflow entry instead of a plain update
        step, message = workflow
        action = ObjectChange.Action.CREATE if created else ObjectChange.Action.WORKFLOW
        instance._last_change = record(instance, action, pre=pre, post=post, step=step, message=message)
        return
    if not created and pre == post:
        return
    change = record(instance, ObjectChange.Action.CREATE if created else ObjectChange.Action.UPDATE, pre=pre, post=post)
    instance._last_change = change


def on_pre_delete(sender, instance, **kwargs) -> None:
    """Capture the state of a deleted object before its relations go."""
    if _audited(sender):
        instance._predelete = serialize(instance)
        instance._predelete_community = _community_id(instance)


def on_post_delete(sender, instance, **kwargs) -> None:
    """Write the delete entry."""
    if not _audited(sender):
        return
    change = record(instance, ObjectChange.Action.DELETE, pre=getattr(instance, "_predelete", None), post=None)
    if change.community_id is None and getattr(instance, "_predelete_community", None):
        ObjectChange.objects.filter(pk=change.pk).update(community_id=instance._predelete_community)


def on_m2m_changed(sender, instance, action, reverse=False, **kwargs) -> None:
    """Fold many-to-many changes into the object's entry of this request (or write an update)."""
    if reverse or not _audited(type(instance)):
        return
    if action in ("pre_add", "pre_remove", "pre_clear"):
        if getattr(instance, "_m2m_pre", None) is None:
            instance._m2m_pre = serialize(instance)
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    post = serialize(instance)
    last = getattr(instance, "_last_change", None)
    ctx = current()
    if last is not None and last.request_id == ctx.request_id:
        _none, post = finish(None, post)
        for name, value in (last.postchange_data or {}).items():  # keep the marks of changed personal values
            if (
                isinstance(value, str)
                and value.endswith(CHANGED_MARK)
                and value == f"{post.get(name) or ''}{CHANGED_MARK}"
            ):
                post[name] = value
        last.postchange_data = post
        ObjectChange.objects.filter(pk=last.pk).update(postchange_data=post)
    else:
        pre = instance._m2m_pre
        if pre != post:
            instance._last_change = record(instance, ObjectChange.Action.UPDATE, pre=pre, post=post)
    instance._m2m_pre = None
