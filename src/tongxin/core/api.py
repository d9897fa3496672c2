"""The REST API base (django-ninja): token or session authentication, and CRUD endpoints per model
that share the UI's filterset, form (validation) and scoping function.

A domain app declares::

    router = Router(tags=["网格"])
    crud(router, GridViewSet, out=GridOut, payload=GridIn)

and the project mounts the router under ``/api/v1/``.
"""

import datetime
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import ProtectedError, RestrictedError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status, Swagger
from ninja.orm import create_schema
from ninja.security import APIKeyHeader, HttpBearer, django_auth
from pydantic import ConfigDict, create_model

from tongxin.core import audit, privacy, scoping
from tongxin.core.api_contract import MAX_OFFSET, ContractAPI, ErrorOut, ObjectId, bounded_schema
from tongxin.core.registry import registry
from tongxin.core.views.generic import apply_order, filtered


class TokenAuth(HttpBearer):
    """``Authorization: Bearer tx_...`` with a personal API token."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from tongxin.core.models import ApiToken

        user = ApiToken.authenticate(token)
        if user is not None:
            request.user = user
            request.auth_user = user
        return user


class TokenHeaderAuth(APIKeyHeader):
    """``X-API-Token: tx_...`` for clients that cannot set a bearer header."""

    param_name = "X-API-Token"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return TokenAuth().authenticate(request, key or "")


api = ContractAPI(
    title="同心 Tongxin API",
    version="1",
    description=(
        "社区治理与居民服务平台接口。认证：`Authorization: Bearer <令牌>`（在“我的账户”中创建令牌）或浏览器会话。"
        '错误响应统一为 `{"detail": 说明, "errors": {字段: [说明]}}`：400 请求内容无法解析或过滤条件无效，'
        "401 未认证，403 没有权限，404 对象不存在或不在管辖范围内，409 与现有数据冲突，422 参数或内容校验失败"
        "（指明字段和值），429 按身份证号或电话查询过于频繁。"
        "整数均有上下限（见各参数的 minimum/maximum），超出即为 422。"
    ),
    auth=[TokenAuth(), TokenHeaderAuth(), django_auth],
    urls_namespace="api",
    docs_url="/docs",
    # the vendored Swagger UI, without its badge from validator.swagger.io (the CSP allows no outside address)
    docs=Swagger(settings={"validatorUrl": None}),
)


def _filter_parameters(filterset: Any) -> list[dict[str, Any]]:
    """The filterset's fields as query parameters of the list operation's document (the list reads them from the
    query string through the filterset, as the page does; an invalid one is a 400)."""
    params: list[dict[str, Any]] = []
    if filterset is not None:
        for name, f in filterset.base_filters.items():
            params.append(
                {
                    "in": "query",
                    "name": name,
                    "required": False,
                    "schema": {"type": "string"},
                    "description": str(f.label or name),
                }
            )
    return params


class InSchema(Schema):
    """Base of write schemas: fields may be given by name or alias."""

    model_config = ConfigDict(populate_by_name=True)


def model_schemas(viewset: Any, *, extra_out: tuple[str, ...] = (), custom_out: list | None = None):
    """(Out, In) schemas of a viewset's model from its form's fields: Out adds ``id`` (and ``extra_out`` model
    fields, ``custom_out`` computed ones as (name, type, default)); In has every form field optional (PATCH).
    Out shows the model's personal fields masked, as text (core.privacy): the reveal endpoint shows them."""
    model = viewset.model
    fields = list(viewset.form.Meta.fields)
    personal = privacy.classes(model)
    out_fields = [f for f in ["id", *fields, *extra_out] if f not in personal]
    masked_out = [(f, str, "") for f in ["id", *fields, *extra_out] if f in personal]
    files_out = [(viewset.files, list[FileOut], [])] if viewset.files else []
    base = masked_schema_base(model, [f for f, _type, _default in masked_out])
    if viewset.files:
        base = type(
            base.__name__, (base,), {"__module__": __name__, f"resolve_{viewset.files}": file_resolver(viewset)}
        )
    out = create_schema(
        model,
        name=f"{model.__name__}Out",
        fields=out_fields,
        custom_fields=[*masked_out, *files_out, *(custom_out or [])] or None,
        base_class=base,
    )
    payload = create_schema(
        model, name=f"{model.__name__}In", fields=fields, optional_fields="__all__", base_class=InSchema
    )
    return out, payload


class FileOut(Schema):
    """A photo or file of an object, served after a scope check (session or token; never a public URL)."""

    name: str
    kind: str
    content_type: str
    size: int
    url: str
    thumbnail_url: str | None = None


def file_resolver(viewset: Any) -> staticmethod:
    """The resolver listing an object's files with their scoped URLs (``<segment>/<pk>/files/<file>/``)."""
    from django.urls import reverse

    def resolve(obj: models.Model) -> list[dict[str, Any]]:
        out = []
        for f in getattr(obj, viewset.files).all():
            url = reverse(viewset.url_name("file"), kwargs={"pk": obj.pk, "file_pk": f.pk})
            thumb = f"{url}thumb/" if f.thumbnail else None
            out.append(
                {
                    "name": f.name,
                    "kind": f.kind,
                    "content_type": f.content_type,
                    "size": f.size,
                    "url": url,
                    "thumbnail_url": thumb,
                }
            )
        return out

    return staticmethod(resolve)


def masked_schema_base(model: type[models.Model], names: list[str]) -> type[Schema]:
    """A Schema base whose resolvers mask the given personal fields of ``model``."""

    def resolver(name: str):
        def resolve(obj: models.Model) -> str:
            value = privacy.shown(obj, name)  # a quasi-identifier in clear on the rows the reader may reveal
            return "" if value in (None, "") else str(value)

        return staticmethod(resolve)

    attrs = {f"resolve_{name}": resolver(name) for name in names}
    return type(f"{model.__name__}MaskedBase", (Schema,), {"__module__": __name__, **attrs})


#: stands for a personal value when crud() checks that an output schema masks it
_PROBE = "530424199001010012"


def check_masked(model: type[models.Model], out: type[Schema]) -> None:
    """Refuse (``ImproperlyConfigured``) an output schema that would show a personal field of ``model`` in clear:
    each such field must have a resolver, and the resolver must not give back a probe value unchanged."""
    for name in privacy.classes(model):
        if name not in out.model_fields:
            continue
        resolve = getattr(out, f"resolve_{name}", None)
        if resolve is None:
            raise ImproperlyConfigured(f"{out.__name__}.{name} is personal data and would be shown in clear")
        probe = model()
        secret = _PROBE
        if privacy.classes(model)[name] == privacy.QUASI:  # a birth date, on a row whose date must be coarsened
            secret = datetime.date(1990, 1, 1)
            probe.quasi_masked = lambda: True
        setattr(probe, name, secret)
        try:
            shown = resolve(probe)
        except Exception:  # a resolver that needs a saved row: its existence is what can be checked here
            continue
        if shown and (_PROBE[6:14] in str(shown) or "1990-01-01" in str(shown)):
            raise ImproperlyConfigured(f"{out.__name__}.resolve_{name} shows personal data in clear")


def snake_case(name: str) -> str:
    """``PartyBranch`` → ``party_branch``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def reveal_endpoint(router: Router, viewset: Any) -> None:
    """``POST /{segment}/{pk}/reveal/``: the clear personal values of one object that the user may reveal (identity
    data with ``reveal``, sensitive data with ``sensitive``), one access-log entry per call."""
    model = viewset.model
    seg = viewset.path_segment()
    names = [name for name, kind in privacy.classes(model).items() if kind != privacy.QUASI]
    reveal_out = create_model(f"{model.__name__}RevealOut", **{name: (str, "") for name in names}, __base__=Schema)

    @router.post(
        f"/{seg}/{{pk}}/reveal/",
        response={200: reveal_out, 403: ErrorOut, 404: ErrorOut},
        summary=f"查看{model._meta.verbose_name}个人信息明文（记录访问日志）",
        operation_id=f"reveal_{snake_case(model.__name__)}",
    )
    def reveal_object(request: HttpRequest, pk: ObjectId):
        if not any(privacy.may_reveal(request.user, model, name) for name in names):
            raise PermissionDenied
        obj = scoping.get_scoped_object(viewset.queryset(), request.user, "view", pk=pk)
        return privacy.reveal(request.user, obj)


class ActionOut(Schema):
    """A workflow step the caller may take now, and where to post it."""

    step: str
    label: str
    path: str


def invalid(exc: ValidationError) -> Status:
    """422 with the Chinese messages of a refused step or write, per field where they have one."""
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": list(exc.messages)}
    return Status(422, {"detail": "；".join(str(m) for m in exc.messages), "errors": errors})


def workflow_endpoints(router: Router, viewset: Any, *, out: type[Schema], body: type[Schema]) -> None:
    """From the viewset's workflow table: ``GET /{segment}/{pk}/actions/`` (the steps the caller may take now) and
    ``POST /{segment}/{pk}/<step>/`` for each step users take, validated by the viewset's ``step_form``;
    each returns the object as ``out`` shows it, 403 without the step's permission, 422 naming the field."""
    model, workflow, seg = viewset.model, viewset.workflow, viewset.path_segment()
    label = str(model._meta.verbose_name)
    statuses = workflow.status_labels()
    # ids and numbers of the step bounded (no value overflows a column), named after the model in the document
    body = bounded_schema(body, name=f"{model.__name__}{body.__name__}")

    def visible(request: HttpRequest, pk: int) -> models.Model:
        if not scoping.has_perm(request.user, model, "view"):
            raise PermissionDenied
        return scoping.get_scoped_object(viewset.queryset(), request.user, "view", pk=pk)

    @router.get(
        f"/{seg}/{{pk}}/actions/",
        response={200: list[ActionOut], 403: ErrorOut, 404: ErrorOut},
        summary="可执行的操作",
        operation_id=f"{snake_case(model.__name__)}_actions",
    )
    def actions(request: HttpRequest, pk: ObjectId):
        """The workflow steps the caller may take on this object now, and the path to post each to."""
        obj = visible(request, pk)
        base = request.path.rsplit("actions/", 1)[0]
        return [
            {"step": s.name, "label": str(s.label), "path": f"{base}{s.path}/"}
            for s in workflow.available(request.user, obj)
        ]

    def endpoint(step: Any) -> None:
        def take(request: HttpRequest, pk: ObjectId, payload: body):
            obj = visible(request, pk)
            form = viewset.step_form(data={k: v for k, v in payload.dict().items() if v is not None}, obj=obj)
            if not form.is_valid():
                return Status(422, {"detail": _("数据校验失败"), "errors": _form_errors(form)})
            try:
                workflow.take_form(request.user, obj, step.name, form.cleaned_data)
            except ValidationError as exc:
                return invalid(exc)
            return viewset.queryset().get(pk=obj.pk)

        allowed = "、".join(statuses.get(s, s) for s in workflow.allowed_from(step))
        take.__name__ = f"{snake_case(model.__name__)}_{step.name}"
        take.__doc__ = f"{step.label}（允许的状态：{allowed}）。返回更新后的{label}。"
        router.post(
            f"/{seg}/{{pk}}/{step.path}/",
            response={200: out, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
            summary=f"{label}{step.label}",
            operation_id=take.__name__,
        )(take)

    for step in workflow.user_steps():
        endpoint(step)


def _form_errors(form) -> dict[str, list[str]]:
    return {k: [str(m) for m in v] for k, v in form.errors.items()}


def crud(router: Router, viewset: Any, *, out: type[Schema], payload: type[Schema] | None = None) -> Router:
    """Add list, detail, create, update (PATCH: the given fields over the current ones) and delete endpoints,
    and the reveal endpoint of a model with personal data. ``out`` is refused if it would show personal data in
    clear; operation ids follow the segment (``get_party_branch``, ``list_party_branches``)."""
    model: type[models.Model] = viewset.model
    check_masked(model, out)
    payload = bounded_schema(payload, model) if payload is not None else None  # no integer overflows a column
    registry.register_api(model, path=f"/{viewset.path_segment()}/", out=out, payload=payload)
    _read_endpoints(router, viewset, out)
    if privacy.classes(model):
        reveal_endpoint(router, viewset)
    if payload is not None and viewset.form is not None:
        _write_endpoints(router, viewset, out, payload)
    return router


def _read_endpoints(router: Router, viewset: Any, out: type[Schema]) -> None:
    """``GET /{segment}/`` (filtered, ordered, paginated) and ``GET /{segment}/{pk}/``."""
    model, seg = viewset.model, viewset.path_segment()
    label = str(model._meta.verbose_name)
    page_schema = create_model(f"{out.__name__}Page", count=(int, ...), results=(list[out], ...), __base__=Schema)

    # a filterset that looks up personal data (a search by ID number or phone) is limited: 429 beyond the limit
    throttled = {429: ErrorOut} if getattr(viewset.filterset, "personal_lookups", False) else {}

    @router.get(
        f"/{seg}/",
        response={200: page_schema, 400: ErrorOut, **throttled},
        summary=f"{label}列表",
        operation_id=f"list_{seg.replace('-', '_')}",
        openapi_extra={"parameters": _filter_parameters(viewset.filterset)},
    )
    def list_objects(
        request: HttpRequest,
        limit: int = Query(settings.PAGE_SIZE, ge=1, le=settings.MAX_PAGE_SIZE, description="每页条数"),
        offset: int = Query(0, ge=0, le=MAX_OFFSET, description="跳过的条数"),
        ordering: str = Query("", description="排序的列（表格列名），前加 - 为倒序"),
    ):
        if not scoping.has_perm(request.user, model, "view"):
            raise PermissionDenied
        fs, qs = filtered(viewset, request, "view")
        if fs is not None and fs.is_bound and not fs.is_valid():
            return Status(400, {"detail": _("过滤条件无效"), "errors": _form_errors(fs.form)})
        qs, _sort = apply_order(viewset, qs, ordering)
        return {
            "count": qs.count(),
            "results": list(privacy.annotate_reveal(qs, request.user)[offset : offset + limit]),
        }

    @router.get(
        f"/{seg}/{{pk}}/", response=out, summary=f"{label}详情", operation_id=f"get_{snake_case(model.__name__)}"
    )
    def get_object(request: HttpRequest, pk: ObjectId):
        return privacy.flag_reveal(
            scoping.get_scoped_object(viewset.queryset(), request.user, "view", pk=pk), request.user
        )


def api_save(viewset: Any, request: HttpRequest, instance: models.Model | None, data: dict[str, Any]) -> Status:
    """Create (``instance`` None) or update through the viewset's form, as the page does: the given fields over
    the stored ones, 422 naming the fields, 403 when the result would leave the user's scope; audited."""
    model = viewset.model
    action = "change" if instance is not None else "add"
    if instance is not None:
        from django.forms.models import model_to_dict

        base = model_to_dict(instance)
        base = {k: ([getattr(v, "pk", v) for v in val] if isinstance(val, list) else val) for k, val in base.items()}
        base = {k: v for k, v in base.items() if v is not None}
        instance._prechange = audit.serialize(instance)
        data = {**base, **data}
    form = viewset.form(data=data, instance=instance or model(), user=request.user)
    if not form.is_valid():
        return Status(422, {"detail": _("数据校验失败"), "errors": _form_errors(form)})
    try:
        with transaction.atomic():
            obj = form.save()
            if not scoping.restrict(model._default_manager.filter(pk=obj.pk), request.user, action).exists():
                raise PermissionError
    except PermissionError:
        return Status(403, {"detail": _("该对象将超出您的管辖范围")})
    return Status(
        201 if instance is None else 200, privacy.flag_reveal(viewset.queryset().get(pk=obj.pk), request.user)
    )


def _write_endpoints(router: Router, viewset: Any, out: type[Schema], payload: type[Schema]) -> None:
    """``POST /{segment}/`` (unless the model is made by another's workflow), ``PATCH`` and, for models that
    may be deleted, ``DELETE /{segment}/{pk}/`` (409 while other rows still point at it, or when the viewset's
    ``check_delete`` refuses it)."""
    model, seg, name = viewset.model, viewset.path_segment(), snake_case(viewset.model.__name__)
    label = str(model._meta.verbose_name)
    if "add" in viewset.actions:  # not e.g. for disputes, which are made with their case

        @router.post(
            f"/{seg}/",
            response={201: out, 403: ErrorOut, 422: ErrorOut},
            summary=f"新建{label}",
            operation_id=f"create_{name}",
        )
        def create_object(request: HttpRequest, body: payload):
            if not scoping.has_perm(request.user, model, "add"):
                raise PermissionDenied
            return api_save(viewset, request, None, body.dict(exclude_unset=True))

    @router.patch(
        f"/{seg}/{{pk}}/",
        response={200: out, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
        summary=f"修改{label}",
        operation_id=f"update_{name}",
    )
    def update_object(request: HttpRequest, pk: ObjectId, body: payload):
        if not scoping.has_perm(request.user, model, "change"):  # 403 without the permission, 404 out of scope
            raise PermissionDenied
        obj = scoping.get_scoped_object(viewset.queryset(), request.user, "change", pk=pk)
        return api_save(viewset, request, obj, body.dict(exclude_unset=True))

    if "delete" not in viewset.actions:  # e.g. persons: never deleted by normal work, only marked
        return

    @router.delete(
        f"/{seg}/{{pk}}/",
        response={204: None, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
        summary=f"删除{label}",
        operation_id=f"delete_{name}",
    )
    def delete_object(request: HttpRequest, pk: ObjectId):
        if not scoping.has_perm(request.user, model, "delete"):
            raise PermissionDenied
        obj = scoping.get_scoped_object(viewset.queryset(), request.user, "delete", pk=pk)
        try:
            with transaction.atomic():
                viewset.check_delete(request.user, obj)  # e.g. one's own role assignment: refused, as on the page
                obj.delete()
        except ValidationError as exc:
            return Status(409, {"detail": "；".join(exc.messages)})
        except (ProtectedError, RestrictedError):
            return Status(409, {"detail": _("仍有关联数据，不能删除")})
        return Status(204, None)
