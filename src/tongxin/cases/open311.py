"""Open311 GeoReport v2 under /open311/v2/: the case categories as services, cases as service requests.

Endpoints (the format, JSON or XML, is the path's ``.json`` / ``.xml`` suffix, as GeoReport v2 has it):

- ``GET services.{fmt}`` — the categories in force, with ``?jurisdiction_id=<community division code>`` that
  community's (its own rows and the defaults it has not overridden), without it the deployment's defaults;
- ``GET services/{service_code}.{fmt}`` — a service definition (no extra attributes: ``metadata`` is false);
- ``POST requests.{fmt}`` — report a case (source "Open311接口"), form-encoded or multipart;
- ``GET requests.{fmt}`` and ``GET requests/{service_request_id}.{fmt}`` — cases as service requests
  (``request/{id}.{fmt}``, the path of the published swagger.json, answers too).

Deployment rules that go beyond the standard:

- ``api_key`` is a Tongxin personal API token (created under 我的账户). It is required to post a request, as
  GeoReport v2 says, **and to read requests**: case data is governance data (places, problems, disputes of
  named communities), so a client sees exactly the cases its token's user may view under the scoping rules,
  and never a confidential case, whoever the user is. Reporters' names, phone numbers and e-mail addresses
  are never returned. The service list and service definitions are public.
- ``jurisdiction_id`` is the 12-digit division code of a community (桃源社区 530103002001). When a post has
  none and the token's user may report cases in exactly one community, the case goes there. An unknown
  ``jurisdiction_id`` is answered with 404 on every endpoint.
- The default search window of ``GET requests`` is the last 90 days; at most 1000 requests are returned,
  newest first.

Errors are GeoReport v2 error lists (``[{"code": 400, "description": "…"}]``, ``<errors><error>…``) with the
same HTTP status; descriptions are in the user's language (Chinese by default) and name the parameter and
the value at fault.
"""

from __future__ import annotations

import datetime
import functools
import json
import re
from collections.abc import Callable, Iterable
from typing import Any
from xml.etree import ElementTree as ET

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import re_path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from tongxin.cases import services
from tongxin.cases.models import Attachment, Case, Category
from tongxin.core import audit, scoping
from tongxin.core.models import ApiToken, ObjectChange
from tongxin.org.models import Division, Grid

FORMATS = ("json", "xml")
MAX_REQUESTS = 1000
DEFAULT_WINDOW = datetime.timedelta(days=90)
MAX_DESCRIPTION = 4000  # GeoReport v2: free-form text limited to 4,000 characters

#: Case fields named in a ValidationError → the Open311 parameter the client sent
FIELD_PARAMS = {
    "community": "jurisdiction_id",
    "category": "service_code",
    "latitude": "lat",
    "longitude": "long",
    "address": "address_string",
    "description": "description",
    "title": "description",
    "reporter_name": "first_name/last_name",
    "reporter_phone": "phone",
}

#: the singular element of a list in XML (``<attributes><attribute>…``)
XML_ITEMS = {"attributes": "attribute", "values": "value"}


class Open311Error(Exception):
    """An error answered in GeoReport v2 form: an HTTP status and one or more descriptions."""

    def __init__(self, status: int, *descriptions: str) -> None:
        """Keep the status and the (already translated) descriptions."""
        super().__init__(*descriptions)
        self.status = status
        self.descriptions = [str(d) for d in descriptions] or [str(status)]


# -- rendering --------------------------------------------------------------------------------------------


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(value: Any) -> str | None:
    """The text of an XML element: booleans as true/false, None as an empty element; characters XML 1.0 cannot
    carry (control characters pasted into a description) are dropped."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _XML_ILLEGAL.sub("", str(value))


def _xml_add(parent: ET.Element, tag: str, value: Any) -> None:
    """Append ``value`` under ``parent`` as element ``tag`` (dicts and lists nest)."""
    el = ET.SubElement(parent, tag)
    if isinstance(value, dict):
        for key, item in value.items():
            _xml_add(el, key, item)
    elif isinstance(value, list | tuple):
        for item in value:
            _xml_add(el, XML_ITEMS.get(tag, "item"), item)
    else:
        el.text = _xml_text(value)


def to_xml(data: Any, root: str, item: str | None = None) -> str:
    """GeoReport v2 XML: a list as ``<root><item>…</item>…</root>``, a dict as ``<root>…</root>``."""
    el = ET.Element(root)
    if isinstance(data, list):
        for row in data:
            _xml_add(el, item or "item", row)
    else:
        for key, value in data.items():
            _xml_add(el, key, value)
    return '<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(el, encoding="unicode")


def render(fmt: str, data: Any, root: str, item: str | None = None, status: int = 200) -> HttpResponse:
    """The response body in the requested format (``item`` names the XML element of each list row)."""
    if fmt == "xml":
        return HttpResponse(to_xml(data, root, item), status=status, content_type="text/xml; charset=utf-8")
    body = json.dumps(data, ensure_ascii=False)
    return HttpResponse(body, status=status, content_type="application/json; charset=utf-8")


def error_response(fmt: str, status: int, descriptions: Iterable[str]) -> HttpResponse:
    """A GeoReport v2 error list with that HTTP status."""
    errors = [{"code": status, "description": str(d)} for d in descriptions]
    return render(fmt if fmt in FORMATS else "json", errors, "errors", "error", status=status)


def endpoint(*methods: str) -> Callable:
    """Decorator of the views: checks the format suffix (404) and the method (405), and answers an
    :class:`Open311Error` raised by the view in GeoReport v2 form."""

    def decorate(view: Callable) -> Callable:
        """Wrap one view."""

        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
            """Run the view with its checks."""
            fmt = fmt.lower()
            if fmt not in FORMATS:
                return error_response("json", 404, [_("不支持的格式“.%(f)s”：请使用 .json 或 .xml") % {"f": fmt}])
            if request.method not in methods:
                response = error_response(
                    fmt, 405, [_("不支持 %(m)s 请求：请使用 %(a)s") % {"m": request.method, "a": "、".join(methods)}]
                )
                response["Allow"] = ", ".join(methods)
                return response
            try:
                return view(request, *args, fmt=fmt, **kwargs)
            except Open311Error as exc:
                return error_response(fmt, exc.status, exc.descriptions)

        return wrapper

    return decorate


# -- parameters -------------------------------------------------------------------------------------------


def param(request: HttpRequest, name: str) -> str:
    """A parameter, stripped: from the form body of a POST (then its query string), else the query string."""
    value = None
    if request.method == "POST":
        value = request.POST.get(name)
    if value is None:
        value = request.GET.get(name)
    return (value or "").strip()


def missing(name: str) -> Open311Error:
    """400: a required parameter is absent."""
    return Open311Error(400, _("缺少参数 %(p)s") % {"p": name})


def invalid(name: str, value: Any, reason: str, status: int = 400) -> Open311Error:
    """400 (or ``status``): a parameter has a value we cannot use; the description names both (a long value
    shortened) and why."""
    text = str(value)
    if len(text) > 40:
        text = text[:40] + "…"
    return Open311Error(status, _("参数 %(p)s 的值“%(v)s”无效：%(r)s") % {"p": name, "v": text, "r": reason})


def api_user(request: HttpRequest) -> Any:
    """The active user of the request's ``api_key`` (a Tongxin personal API token); 403 otherwise."""
    if not param(request, "api_key"):
        raise Open311Error(403, _("缺少参数 api_key：请使用同心个人 API 令牌（在“我的账户”中创建）"))
    user = ApiToken.for_request(request, param="api_key")
    if user is None:
        raise Open311Error(403, _("参数 api_key 无效：令牌不存在、已过期或其用户已停用"))
    request.auth_user = user  # the request's own audit context reads the actor from here
    return user


def jurisdiction(request: HttpRequest) -> Division | None:
    """The community named by ``jurisdiction_id`` (a community's division code), None without one; 404 when
    no community has that code."""
    code = param(request, "jurisdiction_id")
    if not code:
        return None
    community = Division.objects.filter(code=code, level=Division.Level.COMMUNITY).first()
    if community is None:
        raise invalid("jurisdiction_id", code, _("没有这个代码的社区（请使用社区的12位区划代码）"), status=404)
    return community


def _isoformat(value: datetime.datetime | None) -> str | None:
    """ISO 8601 in the deployment's time zone with its offset (2026-09-24T09:30:00+08:00)."""
    return timezone.localtime(value).isoformat(timespec="seconds") if value is not None else None


_SPACE_OFFSET = re.compile(r"^(.+T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_when(name: str, value: str, *, end: bool = False) -> datetime.datetime | None:
    """A ``start_date`` / ``end_date`` parameter as an aware datetime (None when empty).

    ISO 8601 date-times; without an offset they are local time. A bare date means the start of that day, or
    for ``end`` the end of it (the next midnight, exclusive). An unencoded ``+08:00`` arrives as `` 08:00``
    and is read as meant."""
    if not value:
        return None
    text = _SPACE_OFFSET.sub(r"\1+\2", value)
    try:
        if _DATE_ONLY.match(text):
            day = parse_date(text)
            if end:
                day += datetime.timedelta(days=1)
            when = datetime.datetime.combine(day, datetime.time.min)
        else:
            when = parse_datetime(text)
    except (TypeError, ValueError):
        when = None
    if when is None:
        raise invalid(name, value, _("请使用 ISO 8601 时间，如 2026-09-24T09:30:00+08:00"))
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    return when


def _coordinate(name: str, value: str, limit: int) -> float | None:
    """A WGS-84 latitude (``limit`` 90) or longitude (180) parameter; None when empty."""
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        number = None
    if number is None or number != number or not -limit <= number <= limit:
        raise invalid(name, value, _("应为 -%(l)s 到 %(l)s 之间的 WGS-84 坐标（十进制度）") % {"l": limit})
    return number


# -- services ---------------------------------------------------------------------------------------------


def service_dict(category: Category, in_force: dict[str, Category]) -> dict[str, Any]:
    """One category as a GeoReport v2 service. The group is the top category's name as in force in the
    community (a community's override of the parent renames the group of its defaults' children too)."""
    if category.parent_id:
        parent = category.parent
        group = in_force.get(parent.code, parent).name
    else:
        group = category.name
    description = category.description or _("办结时限：%(t)s") % {"t": category.time_limit_display()}
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": description,
        "metadata": False,
        "type": "realtime",
        "keywords": category.keywords.replace("，", ",") or None,
        "group": group,
    }


@endpoint("GET")
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    """``GET services.{fmt}``: the active categories in force in ``jurisdiction_id``'s community (without it,
    the deployment's defaults) as GeoReport v2 services. Public: no ``api_key`` needed."""
    community = jurisdiction(request)
    categories = list(services.categories_for(community).select_related("parent"))
    in_force = {c.code: c for c in categories}
    return render(fmt, [service_dict(c, in_force) for c in categories], "services", "service")


@endpoint("GET")
def service_definition(request: HttpRequest, fmt: str, service_code: str) -> HttpResponse:
    """``GET services/{service_code}.{fmt}``: the definition of a service. Categories have no extra
    attributes, so the list is empty; 404 for a code not in force (in ``jurisdiction_id``'s community)."""
    community = jurisdiction(request)
    if not services.categories_for(community).filter(code=service_code).exists():
        raise Open311Error(404, _("没有服务代码为“%(c)s”的服务（参数 service_code）") % {"c": service_code})
    return render(fmt, {"service_code": service_code, "attributes": []}, "service_definition")


# -- requests ---------------------------------------------------------------------------------------------


def request_dict(request: HttpRequest, case: Case) -> dict[str, Any]:
    """A case as a GeoReport v2 service request. Who reported it (name, phone, e-mail) is never included;
    ``media_url`` is the first photo of the case (needs the ``open311_photos`` prefetch of :func:`cases`)."""
    photos = getattr(case, "open311_photos", None)
    if photos is None:
        photos = list(case.attachments.filter(kind=Attachment.Kind.PHOTO).order_by("created", "pk")[:1])
    # the photo behind the scope check (it takes the same api_key), never a public media URL
    media_url = (
        request.build_absolute_uri(reverse("cases:attachment", args=[photos[0].pk]))
        if photos and photos[0].file
        else None
    )
    return {
        "service_request_id": case.number,
        "status": "open" if case.status in Case.OPEN_STATUSES else "closed",
        "status_notes": case.status_note or None,
        "service_name": case.category.name,
        "service_code": case.category.code,
        "description": case.description[:MAX_DESCRIPTION] or None,
        "agency_responsible": case.category.partner or case.community.name,
        "service_notice": None,
        "requested_datetime": _isoformat(case.reported_at),
        "updated_datetime": _isoformat(case.last_updated),
        "expected_datetime": _isoformat(case.due_at),
        "address": case.address or None,
        "address_id": None,
        "zipcode": None,
        "lat": float(case.latitude) if case.latitude is not None else None,
        "long": float(case.longitude) if case.longitude is not None else None,
        "media_url": media_url,
    }


def cases(user: Any, community: Division | None = None) -> QuerySet:
    """The cases ``user`` may view through Open311: scoped, never confidential, optionally one community's;
    with what the request rows need loaded (no query per row)."""
    qs = scoping.restrict(Case.objects.filter(confidential=False), user, "view")
    if community is not None:
        qs = qs.filter(community=community)
    photos = Attachment.objects.filter(kind=Attachment.Kind.PHOTO).order_by("created", "pk")
    return qs.select_related("category", "community").prefetch_related(
        Prefetch("attachments", queryset=photos, to_attr="open311_photos")
    )


def _split(value: str) -> list[str]:
    """A comma-delimited parameter as a list (full-width commas too), blanks dropped."""
    return [v.strip() for v in value.replace("，", ",").split(",") if v.strip()]


def search(request: HttpRequest, fmt: str) -> HttpResponse:
    """``GET requests.{fmt}``: the requests the ``api_key``'s user may view (never confidential ones).

    ``service_request_id`` (comma-delimited numbers) overrides the other filters (``jurisdiction_id`` still
    applies); otherwise ``service_code`` (comma-delimited), ``status`` (open, closed, comma-delimited) and
    ``start_date`` / ``end_date`` on the requested time. Without dates the window is the last 90 days; with
    only ``end_date`` the 90 days before it; with only ``start_date`` everything since. At most 1000
    requests, newest first."""
    user = api_user(request)
    qs = cases(user, jurisdiction(request))
    ids = _split(param(request, "service_request_id"))
    if ids:
        qs = qs.filter(number__in=ids[:MAX_REQUESTS])
    else:
        codes = _split(param(request, "service_code"))
        if codes:
            qs = qs.filter(category__code__in=codes)
        statuses = set()
        for status in _split(param(request, "status").lower()):
            if status not in ("open", "closed"):
                raise invalid("status", status, _("只能是 open 或 closed（可用逗号分隔）"))
            statuses.add(status)
        if statuses == {"open"}:
            qs = qs.filter(status__in=Case.OPEN_STATUSES)
        elif statuses == {"closed"}:
            qs = qs.exclude(status__in=Case.OPEN_STATUSES)
        start = parse_when("start_date", param(request, "start_date"))
        end = parse_when("end_date", param(request, "end_date"), end=True)
        if start is not None and end is not None and start > end:
            raise invalid(
                "start_date",
                param(request, "start_date"),
                _("晚于 end_date“%(e)s”") % {"e": param(request, "end_date")},
            )
        if start is None:
            start = (end or timezone.now()) - DEFAULT_WINDOW
        qs = qs.filter(reported_at__gte=start)
        if end is not None:
            bare_date = bool(_DATE_ONLY.match(param(request, "end_date")))
            qs = qs.filter(**{"reported_at__lt" if bare_date else "reported_at__lte": end})
    rows = qs.order_by("-reported_at", "-pk")[:MAX_REQUESTS]
    return render(fmt, [request_dict(request, c) for c in rows], "service_requests", "request")


def _community_for_post(request: HttpRequest, user: Any) -> Division:
    """The community a post goes to: ``jurisdiction_id``, or the only community where the user may report."""
    community = jurisdiction(request)
    if community is not None:
        return community
    allowed = list(scoping.allowed_divisions(user, Case, "add", levels=(Division.Level.COMMUNITY,))[:2])
    if not allowed:
        raise Open311Error(403, _("API 令牌的用户没有上报事件的权限"))
    if len(allowed) > 1:
        raise Open311Error(
            400, _("缺少参数 jurisdiction_id：API 令牌的用户可在多个社区上报事件，请填写社区的12位区划代码")
        )
    return allowed[0]


def _grid_for_post(user: Any, community: Division, latitude: float | None, longitude: float | None) -> Grid | None:
    """The grid of a posted case: the one whose boundary holds the point, else the user's own grid in the
    community when they hold exactly one there (a grid member may only report cases of their grid)."""
    grid = services.grid_for(community, latitude, longitude)
    if grid is not None:
        return grid
    perm = scoping.perm_name(Case, "add")
    own = {g.grid_id for g in scoping.grants(user) if g.grid_id is not None and g.allows(perm)}
    if not own:
        return None
    grids = list(Grid.objects.filter(pk__in=own, community=community)[:2])
    return grids[0] if len(grids) == 1 else None


def _reporter_name(first: str, last: str) -> str:
    """The reporter's name from ``first_name`` / ``last_name``: Chinese names family name first with no
    space (张 + 三 → 张三), others "first last"."""
    if re.search(r"[\u3400-\u9fff]", first + last):
        return last + first
    return " ".join(p for p in (first, last) if p)


def _validation_errors(exc: ValidationError, values: dict[str, Any]) -> list[str]:
    """A ValidationError of :func:`services.report` as descriptions naming the Open311 parameter and value."""
    if not hasattr(exc, "error_dict"):
        return [str(m) for m in exc.messages]
    out = []
    for field, messages in exc.message_dict.items():
        name = FIELD_PARAMS.get(field)
        for message in messages:
            if name is None:
                out.append(str(message))
            else:
                out.append(str(invalid(name, values.get(name, ""), message).descriptions[0]))
    return out


def create(request: HttpRequest, fmt: str) -> HttpResponse:
    """``POST requests.{fmt}``: report a case from the form-encoded (or multipart) parameters.

    Required: ``api_key``, ``service_code`` and a location — ``lat`` + ``long`` (WGS-84), ``address_string``
    or ``address_id``; ``jurisdiction_id`` unless the user may report in one community only. Optional:
    ``description`` (at most 4000 characters; the service's name when empty), ``first_name``, ``last_name``
    and ``phone`` (the reporter; without a name and a phone the case is anonymous).

    What is not stored as such: ``address_id`` becomes the case's address when there is no
    ``address_string`` (we keep no address register); ``media_url`` is not fetched — an http(s) link is
    appended to the end of the description for the case workers to open; ``email``, ``device_id`` and
    ``account_id`` are ignored (cases have no place for them, and we keep no personal data we do not need);
    ``attribute[…]`` are ignored (services have no attributes).

    The answer is GeoReport v2's: HTTP 200 with ``[{"service_request_id", "service_notice", "account_id"}]``,
    the notice telling when the case is due."""
    user = api_user(request)
    community = _community_for_post(request, user)
    code = param(request, "service_code")
    if not code:
        raise missing("service_code")
    category = services.categories_for(community).filter(code=code).first()
    if category is None:
        raise invalid("service_code", code, _("不是%(c)s的服务代码（见 services.json）") % {"c": community.name})
    lat_text, long_text, latitude, longitude, address = _location(request)
    description = _description(request, category)
    name = _reporter_name(param(request, "first_name"), param(request, "last_name"))
    phone = param(request, "phone")
    values = {
        "jurisdiction_id": community.code,
        "service_code": code,
        "lat": lat_text,
        "long": long_text,
        "address_string": address,
        "description": description,
        "first_name/last_name": name,
        "phone": phone,
    }
    with audit.audit_context(user=user, source=ObjectChange.Source.API, request_id=getattr(request, "id", None)):
        try:
            case = services.report(
                user,
                community=community,
                category=category,
                grid=_grid_for_post(user, community, latitude, longitude),
                source=Case.Source.OPEN311,
                kind=category.kind,
                description=description or category.name,
                address=address,
                latitude=latitude,
                longitude=longitude,
                reporter_name=name,
                reporter_phone=phone,
                anonymous=not name and not phone,
            )
        except PermissionDenied as exc:
            raise Open311Error(
                403,
                _("API 令牌的用户无权在%(c)s上报事件（参数 jurisdiction_id 的值“%(v)s”）")
                % {"c": community.name, "v": community.code},
            ) from exc
        except ValidationError as exc:
            raise Open311Error(400, *_validation_errors(exc, values)) from exc
    notice = _("已登记为事件 %(n)s，由%(a)s办理，预计 %(d)s 前办结（%(r)s）") % {
        "n": case.number,
        "a": category.partner or community.name,
        "d": timezone.localtime(case.due_at).strftime("%Y-%m-%d %H:%M"),
        "r": category.time_limit_display(),
    }
    body = [{"service_request_id": case.number, "service_notice": notice, "account_id": None}]
    return render(fmt, body, "service_requests", "request")


def _location(request: HttpRequest) -> tuple[str, str, float | None, float | None, str]:
    """The posted location: ``lat`` + ``long`` (WGS-84, both or neither), else ``address_string`` or
    ``address_id`` (kept as the address: we keep no address register); a clear 400 naming what is missing."""
    lat_text, long_text = param(request, "lat"), param(request, "long")
    latitude, longitude = _coordinate("lat", lat_text, 90), _coordinate("long", long_text, 180)
    if (latitude is None) != (longitude is None):
        raise missing("long" if longitude is None else "lat")
    address, address_id = param(request, "address_string"), param(request, "address_id")
    if latitude is None and not address and not address_id:
        raise Open311Error(400, _("缺少位置：请提供参数 lat 和 long，或 address_string，或 address_id"))
    if not address and address_id:
        address = _("地址编号 %(a)s") % {"a": address_id}
    return lat_text, long_text, latitude, longitude, address


def _description(request: HttpRequest, category: Any) -> str:
    """The posted description (at most :data:`MAX_DESCRIPTION` characters), with an http(s) ``media_url``
    appended as a link for the case workers (it is never fetched)."""
    description = param(request, "description")
    if len(description) > MAX_DESCRIPTION:
        raise invalid(
            "description",
            description,
            _("不能超过 %(n)s 个字符（收到 %(l)s 个）") % {"n": MAX_DESCRIPTION, "l": len(description)},
        )
    media_url = param(request, "media_url")
    if media_url:
        try:
            URLValidator(schemes=["http", "https"])(media_url)
        except ValidationError as exc:
            raise invalid("media_url", media_url, _("请使用 http 或 https 链接")) from exc
        description = (description or category.name) + "\n" + _("附图链接：%(u)s") % {"u": media_url}
    return description


@csrf_exempt
@endpoint("GET", "POST")
def request_list(request: HttpRequest, fmt: str) -> HttpResponse:
    """``requests.{fmt}``: GET searches the service requests (:func:`search`), POST reports one
    (:func:`create`). CSRF-exempt: Open311 clients post with their ``api_key``, not a session."""
    if request.method == "POST":
        return create(request, fmt)
    return search(request, fmt)


@endpoint("GET")
def request_detail(request: HttpRequest, fmt: str, service_request_id: str) -> HttpResponse:
    """``GET requests/{service_request_id}.{fmt}``: a list with the one request, if the ``api_key``'s user
    may view it and it is not confidential; 404 otherwise (never 403: numbers cannot be probed)."""
    user = api_user(request)
    case = cases(user, jurisdiction(request)).filter(number=service_request_id).first()
    if case is None:
        raise Open311Error(404, _("没有编号为“%(n)s”的服务请求（参数 service_request_id）") % {"n": service_request_id})
    return render(fmt, [request_dict(request, case)], "service_requests", "request")


_FMT = r"\.(?P<fmt>[A-Za-z0-9]+)$"

urlpatterns = [
    re_path(r"^services" + _FMT, service_list, name="open311_services"),
    re_path(r"^services/(?P<service_code>[-\w]+)" + _FMT, service_definition, name="open311_service"),
    re_path(r"^requests" + _FMT, request_list, name="open311_requests"),
    re_path(r"^requests/(?P<service_request_id>[-\w]+)" + _FMT, request_detail, name="open311_request"),
    re_path(r"^request/(?P<service_request_id>[-\w]+)" + _FMT, request_detail),  # the path of swagger.json
]
