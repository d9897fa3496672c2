"""The API's contract: one error schema, the statuses every operation documents, and integers bounded at the schema.

Two promises hold for every operation, whichever module declares it:

* **Every status it returns is in the OpenAPI document, with the schema of its body.** Errors have one shape,
  :class:`ErrorOut` (``detail`` a sentence, ``errors`` the messages per field). :func:`document_errors` adds the
  statuses that the platform itself produces to each operation when its router is mounted: 401 (no or a bad
  token), 403 (no permission, or the CSRF check of a browser session), 404 (an id in the path that does not exist
  or lies outside the caller's scope), 422 (a parameter or body that does not validate) and 400 (a body that is not
  JSON). Operations declare the statuses of their own logic (409, a 400 for an invalid filter) themselves.
* **No input can make the database overflow.** An integer that reaches a query or a column is bounded in the
  schema: ids to the bigint range, model integers to the range of their column on every supported database
  (:func:`bounded_schema`), page offsets and sizes to :data:`MAX_OFFSET` and ``MAX_PAGE_SIZE``. A value outside is
  refused with 422 naming the field and the value (:func:`validation_error_body`), before any query runs.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Annotated, Any, Union, get_args, get_origin

from django.core.exceptions import PermissionDenied
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Path, Router, Schema
from ninja.constants import NOT_SET
from ninja.errors import AuthenticationError, HttpError, ValidationError, ValidationErrorContext
from ninja.operation import Operation
from pydantic import Field, create_model

#: the largest id (a bigint primary key) and so the largest id the API accepts anywhere
MAX_ID = 2**63 - 1
#: the largest row offset of a list (beyond any table this platform holds; fits every database's OFFSET)
MAX_OFFSET = 2**31 - 1

#: an object id in a path: 1 … MAX_ID
ObjectId = Path[int, {"ge": 1, "le": MAX_ID, "description": "对象 id"}]

#: the integer ranges of the model fields' columns, the narrowest of the supported databases (PostgreSQL's)
_COLUMN_RANGES = BaseDatabaseOperations.integer_field_ranges


class ErrorOut(Schema):
    """An error with a message and, for validation failures, the messages per field."""

    detail: str
    errors: dict[str, list[str]] | None = None


# -- the statuses every operation documents --------------------------------------------------------------------

_BODY_SOURCES = ("body", "form", "file")


def _sources(operation: Operation) -> set[str]:
    """Where the operation reads its input from: ``path``, ``query``, ``body``, ``form``, ``file``…"""
    return {getattr(model, "__ninja_param_source__", "") for model in operation.models}


def platform_statuses(operation: Operation, authenticated: bool) -> list[int]:
    """The error statuses the platform may give ``operation`` whatever its view does: 401 and 403 when it is
    authenticated, 404 with an id in its path, 422 with any parameter or body, 400 with a body."""
    sources = _sources(operation)
    codes = []
    if authenticated:
        codes += [401, 403]
    if "path" in sources:
        codes.append(404)
    if sources:
        codes.append(422)
    if sources & set(_BODY_SOURCES):
        codes.append(400)
    return codes


def _operations(router: Router) -> Iterator[Operation]:
    """Every operation of a router and of the routers mounted on it."""
    for path_view in router.path_operations.values():
        yield from path_view.operations
    for _prefix, child, *_rest in getattr(router, "_routers", []):
        yield from _operations(child)


def document_errors(router: Router, *, api_auth: Any) -> None:
    """Give each operation of ``router`` the :class:`ErrorOut` responses of :func:`platform_statuses` that it does
    not declare itself, so that the OpenAPI document lists them (an operation's own declarations win)."""
    for operation in _operations(router):
        auth = operation.auth_param
        authenticated = bool(api_auth) if auth is NOT_SET else bool(auth)
        for code in platform_statuses(operation, authenticated):
            if code not in operation.response_models:
                operation.response_models[code] = operation._create_response_model(ErrorOut)


# -- validation errors in Chinese --------------------------------------------------------------------------------


def _problem(error: dict[str, Any]) -> str:
    """What is wrong with one value, from a pydantic error (its type and context), in Chinese."""
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    messages = {
        "missing": _("必须填写"),
        "int_parsing": _("应为整数"),
        "int_type": _("应为整数"),
        "int_from_float": _("应为整数"),
        "float_parsing": _("应为数字"),
        "float_type": _("应为数字"),
        "bool_parsing": _("应为 true 或 false"),
        "bool_type": _("应为 true 或 false"),
        "string_type": _("应为文本"),
        "date_parsing": _("应为日期（YYYY-MM-DD）"),
        "date_from_datetime_parsing": _("应为日期（YYYY-MM-DD）"),
        "date_type": _("应为日期（YYYY-MM-DD）"),
        "datetime_parsing": _("应为日期时间（ISO 8601）"),
        "datetime_from_date_parsing": _("应为日期时间（ISO 8601）"),
        "datetime_type": _("应为日期时间（ISO 8601）"),
        "list_type": _("应为列表"),
        "dict_type": _("应为对象"),
        "model_type": _("应为对象"),
        "model_attributes_type": _("应为对象"),
        "json_invalid": _("不是有效的 JSON"),
    }
    if kind in messages:
        return messages[kind]
    bounds = {
        "less_than_equal": (_("不能大于 %(n)s"), "le"),
        "less_than": (_("应小于 %(n)s"), "lt"),
        "greater_than_equal": (_("不能小于 %(n)s"), "ge"),
        "greater_than": (_("应大于 %(n)s"), "gt"),
        "string_too_long": (_("不能超过 %(n)s 个字符"), "max_length"),
        "string_too_short": (_("至少 %(n)s 个字符"), "min_length"),
        "too_long": (_("不能超过 %(n)s 项"), "max_length"),
        "too_short": (_("至少 %(n)s 项"), "min_length"),
        "literal_error": (_("应为以下之一：%(n)s"), "expected"),
        "enum": (_("应为以下之一：%(n)s"), "expected"),
    }
    if kind in bounds:
        text, key = bounds[kind]
        return text % {"n": ctx.get(key, "")}
    return str(error.get("msg", kind))


def _field_name(loc: tuple | list) -> str:
    """The field an error is about, as the client named it: ``offset``, ``community_id``, ``tags.0``."""
    source, *parts = list(loc) or [""]
    if source in _BODY_SOURCES and len(parts) > 1:
        parts = parts[1:]  # the view's body argument, not a field the client sent
    return ".".join(str(p) for p in parts) or str(source)


def _shown(value: Any) -> str:
    """A refused value as a message shows it: its text, at most 40 characters."""
    text = str(value)
    return text if len(text) <= 40 else f"{text[:40]}…"


def validation_error_body(errors: list[dict[str, Any]]) -> dict[str, Any]:
    """The 422 body of the schema's validation errors: ``detail`` a sentence naming each field and value,
    ``errors`` the messages per field (the same shape as a form's refusal)."""
    per_field: dict[str, list[str]] = {}
    for error in errors:
        name, problem = _field_name(error.get("loc", ())), _problem(error)
        if "input" in error and error.get("type") != "missing":
            message = _("“%(field)s”的值“%(value)s”%(problem)s") % {
                "field": name,
                "value": _shown(error["input"]),
                "problem": problem,
            }
        else:
            message = _("“%(field)s”%(problem)s") % {"field": name, "problem": problem}
        per_field.setdefault(name, []).append(message)
    detail = _("数据校验失败：%(messages)s") % {"messages": "；".join(m for ms in per_field.values() for m in ms)}
    return {"detail": detail, "errors": per_field}


# -- integers bounded at the schema ------------------------------------------------------------------------------


def column_range(field: models.Field) -> tuple[int, int] | None:
    """The values a model field may hold: its column's range on every supported database (an id: 1 … MAX_ID),
    narrowed by its ``MinValueValidator`` / ``MaxValueValidator``; None for a field that is not an integer."""
    if field.is_relation:
        target = field.target_field  # the remote key an id or a list of ids refers to
        if target.get_internal_type() not in _COLUMN_RANGES:
            return None
        return 1, _COLUMN_RANGES[target.get_internal_type()][1]
    internal = field.get_internal_type()
    if internal not in _COLUMN_RANGES:
        return None
    low, high = _COLUMN_RANGES[internal]
    if internal.endswith("AutoField"):
        low = 1
    for validator in field.validators:
        limit = getattr(validator, "limit_value", None)
        if not isinstance(limit, int) or isinstance(limit, bool):
            continue
        if isinstance(validator, MinValueValidator):
            low = max(low, limit)
        elif isinstance(validator, MaxValueValidator):
            high = min(high, limit)
    return low, high


def _is_int(annotation: Any) -> bool:
    """``int`` or a subclass of it (ninja's type of a many-to-many id), not ``bool``."""
    return isinstance(annotation, type) and issubclass(annotation, int) and annotation is not bool


def _bounded(annotation: Any, low: int, high: int) -> Any:
    """``annotation`` with its integers (alone, optional or in a list) limited to ``low`` … ``high``."""
    bounded_int = Annotated[int, Field(ge=low, le=high)]
    origin, args = get_origin(annotation), get_args(annotation)
    if _is_int(annotation):
        return bounded_int
    if origin is list and len(args) == 1 and _is_int(args[0]):  # ids of a many-to-many field
        return list[bounded_int]
    if origin in (Union, type(int | None)) and type(None) in args:
        inner = [a for a in args if a is not type(None)]
        if len(inner) == 1 and _bounded(inner[0], low, high) is not inner[0]:
            return _bounded(inner[0], low, high) | None
    return annotation


def _has_bounds(info: Any) -> bool:
    """Whether a schema field declares bounds of its own (they are kept)."""
    return any(hasattr(m, "ge") or hasattr(m, "le") or hasattr(m, "gt") or hasattr(m, "lt") for m in info.metadata)


def bounded_schema(
    schema: type[Schema], model: type[models.Model] | None = None, *, name: str | None = None
) -> type[Schema]:
    """``schema`` with every integer field bounded: a field of ``model`` to :func:`column_range`, any other
    integer without bounds of its own to the bigint range. ``name`` names the result in the OpenAPI document (two
    schemas of one name would share one definition there); the same schema comes back when nothing changes."""
    overrides: dict[str, Any] = {}
    for field_name, info in schema.model_fields.items():
        if _has_bounds(info):
            continue
        limits = None
        if model is not None:
            try:
                limits = column_range(model._meta.get_field(field_name))
            except Exception:  # not a model field (a computed or custom one)
                limits = None
        low, high = limits or (-(2**63), MAX_ID)
        annotation = _bounded(info.annotation, low, high)
        if annotation is info.annotation:
            continue
        overrides[field_name] = (annotation, copy.copy(info))  # the same default, alias and description
    if not overrides and name in (None, schema.__name__):
        return schema
    return create_model(name or schema.__name__, __base__=schema, __module__=schema.__module__, **overrides)


# -- the API -------------------------------------------------------------------------------------------------------


class ContractAPI(NinjaAPI):
    """A ``NinjaAPI`` that keeps the contract: each router mounted on it documents the platform's error statuses,
    and every error (validation, authentication, permission, not found, unreadable body) is an :class:`ErrorOut`
    in Chinese."""

    def add_router(self, prefix: str, router: Router | str, **kwargs: Any) -> None:
        """Mount ``router`` after documenting its operations' error statuses (:func:`document_errors`); a router
        given by its dotted path is mounted as it is."""
        if isinstance(router, Router):
            document_errors(router, api_auth=self.auth)
        super().add_router(prefix, router, **kwargs)

    def validation_error_from_error_contexts(self, error_contexts: list[ValidationErrorContext]) -> ValidationError:
        """Ninja's validation error, keeping each refused value (shortened) so that the 422 can name it."""
        errors: list[dict[str, Any]] = []
        for context in error_contexts:
            model = context.model
            for error in context.pydantic_validation_error.errors(include_url=False):
                loc = model.__ninja_flatten_map_reverse__.get(error["loc"], error["loc"])
                error["loc"] = (model.__ninja_param_source__, *loc)
                if "input" in error:
                    error["input"] = _shown(error["input"])
                if isinstance((error.get("ctx") or {}).get("error"), Exception):
                    error["ctx"]["error"] = str(error["ctx"]["error"])
                errors.append(dict(error))
        return ValidationError(errors)

    def set_default_exception_handlers(self) -> None:
        """Ninja's handlers, then ours: every error body is an ``ErrorOut`` with a Chinese message."""
        super().set_default_exception_handlers()
        self.add_exception_handler(ValidationError, self._invalid)
        self.add_exception_handler(HttpError, self._http_error)
        self.add_exception_handler(PermissionDenied, self._forbidden)
        self.add_exception_handler(Http404, self._not_found)

    def _error(self, request: HttpRequest, status: int, detail: str) -> HttpResponse:
        """An ``ErrorOut`` response with only a message."""
        return self.create_response(request, {"detail": detail}, status=status)

    def _invalid(self, request: HttpRequest, exc: ValidationError) -> HttpResponse:
        """422: the schema refused a parameter or the body (each field and value named)."""
        return self.create_response(request, validation_error_body(exc.errors), status=422)

    def _http_error(self, request: HttpRequest, exc: HttpError) -> HttpResponse:
        """401 without a valid token or session; 400 for a body that is not JSON; 403 for a failed CSRF check."""
        if isinstance(exc, AuthenticationError):
            return self._error(request, 401, _("未认证：请在 Authorization 头中提供有效的 API 令牌，或先登录"))
        message = str(exc)
        if message.startswith("Cannot parse request body"):
            message = _("请求内容无法解析：应为有效的 JSON")
        elif message.startswith("CSRF check"):
            message = _("CSRF 校验失败：浏览器会话的写操作须带 CSRF 令牌，或改用 API 令牌")
        return self._error(request, exc.status_code, message)

    def _forbidden(self, request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        """403: the caller lacks the permission."""
        return self._error(request, 403, _("没有权限"))

    def _not_found(self, request: HttpRequest, exc: Http404) -> HttpResponse:
        """404: no such object, or one outside the caller's scope (core.scoping's rule)."""
        return self._error(request, 404, _("未找到"))
