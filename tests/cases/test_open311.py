"""The Open311 GeoReport v2 API under /open311/v2/: every JSON body is validated against the published
schemas (copied unchanged into ``tongxin/cases/data/open311/``), and a plain HTTP client does a round trip
against the live server."""

from __future__ import annotations

import datetime
import io
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

import tongxin.cases
from tongxin.cases import services
from tongxin.cases.attachments import add_attachment
from tongxin.cases.models import Case, Category
from tongxin.core import scoping
from tongxin.core.models import ObjectChange

from .helpers import at, category, report

pytestmark = pytest.mark.django_db

API = "/open311/v2/"
A_CODE = "530103002001"
SCHEMA_DIR = Path(tongxin.cases.__file__).resolve().parent / "data" / "open311"
BASE_URI = "https://schemas.open311.example/georeport-v2/"  # any absolute base: the $refs are relative
SCHEMA_FILES = ("request.json", "requests.json", "service.json", "services.json", "service-definition.json")

# -- the published schemas ------------------------------------------------------------------------------------


def _load(name: str) -> dict:
    """One schema file of the copy in the package."""
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))


REGISTRY = Registry().with_resources(
    (BASE_URI + name, Resource.from_contents(_load(name), default_specification=DRAFT4))
    for name in (*SCHEMA_FILES, "swagger.json")
)

FORMATS = FormatChecker()
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    """RFC 3339 date-time with an offset (jsonschema checks it only with optional packages installed)."""
    if not isinstance(value, str):
        return True
    return bool(RFC3339.match(value)) and datetime.datetime.fromisoformat(value).tzinfo is not None


@FORMATS.checks("uri")
def _uri(value: object) -> bool:
    """An absolute URI."""
    if not isinstance(value, str):
        return True
    parts = urllib.parse.urlsplit(value)
    return bool(parts.scheme and parts.netloc)


def validate(body: object, ref: str) -> None:
    """Validate ``body`` against ``ref`` (a schema file, or ``swagger.json#/definitions/…``)."""
    Draft4Validator({"$ref": BASE_URI + ref}, registry=REGISTRY, format_checker=FORMATS).validate(body)


def without_nulls(rows: list[dict]) -> list[dict]:
    """The rows without their null values: Swagger 2.0 cannot say "or null", an absent value and null are the
    same thing to it (the schema files, which can, are checked with the nulls)."""
    return [{k: v for k, v in row.items() if v is not None} for row in rows]


def validate_swagger_list(rows: list[dict], definition: str) -> None:
    """Each row against a definition of swagger.json (an array of them is what its responses declare)."""
    assert isinstance(rows, list)
    for row in without_nulls(rows):
        validate(row, "swagger.json#/definitions/" + definition)


# -- helpers ----------------------------------------------------------------------------------------------------


def get(client, path: str, **params):
    """GET an Open311 path with query parameters."""
    return client.get(API + path, params)


def post(client, fmt: str = "json", **params):
    """A form-encoded POST, as Open311 clients send it."""
    body = urllib.parse.urlencode(params)
    return client.post(API + f"requests.{fmt}", body, content_type="application/x-www-form-urlencoded")


def ok_post(world, client, **params) -> Case:
    """Post a valid request as the grid member (``params`` override the fields) and return the new case."""
    fields = {
        "api_key": world.tokens["grid_member"],
        "jurisdiction_id": A_CODE,
        "service_code": "sanitation",
        "lat": "25.046321",
        "long": "102.709812",
        "description": "3栋门口垃圾三天没人清运",
    }
    fields.update(params)
    response = post(client, **fields)
    assert response.status_code == 200, response.content.decode()
    return Case.objects.get(number=response.json()[0]["service_request_id"])


def error_of(response, status: int) -> str:
    """The one description of a GeoReport v2 error list with that status."""
    assert response.status_code == status, response.content.decode()
    body = response.json()
    assert isinstance(body, list) and len(body) == 1 and body[0]["code"] == status
    return body[0]["description"]


def numbers(response) -> list[str]:
    """The request numbers of a valid 200 list answer, after checking it against both schemas."""
    assert response.status_code == 200, response.content.decode()
    body = response.json()
    validate(body, "requests.json")
    validate_swagger_list(body, "Request")
    return [row["service_request_id"] for row in body]


def iso(value: datetime.datetime) -> str:
    """How the API writes a time: ISO 8601 with the +08:00 offset."""
    return timezone.localtime(value).isoformat(timespec="seconds")


def photo(name: str = "p.png") -> SimpleUploadedFile:
    """A tiny real PNG upload."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


# -- services ---------------------------------------------------------------------------------------------------


def test_service_list_is_the_deployment_defaults_without_a_jurisdiction(world, client):
    response = get(client, "services.json")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    body = response.json()
    validate(body, "services.json")
    validate_swagger_list(body, "Service")
    defaults = Category.objects.filter(community__isnull=True, active=True)
    assert [s["service_code"] for s in body] == list(defaults.values_list("code", flat=True))
    by_code = {s["service_code"]: s for s in body}
    waste = by_code["sanitation-waste"]
    assert waste["service_name"] == "垃圾清运" and waste["group"] == "环境卫生"
    assert waste["metadata"] is False and waste["type"] == "realtime" and "清运" in waste["keywords"]
    assert by_code["sanitation"]["group"] == "环境卫生"  # a top category is its own group
    assert by_code["sanitation"]["description"] == "办结时限：当天办结"  # no description: the time limit


def test_service_list_of_a_community_shows_its_override(world, client):
    Category.objects.create(community=world.a, code="sanitation", name="环境卫生（本社区）", rule="work_days", amount=2)
    Category.objects.filter(code="policy", community__isnull=True).update(active=False)
    body = get(client, "services.json", jurisdiction_id=A_CODE).json()
    validate(body, "services.json")
    validate_swagger_list(body, "Service")
    codes = [s["service_code"] for s in body]
    assert codes.count("sanitation") == 1 and "policy" not in codes
    by_code = {s["service_code"]: s for s in body}
    assert by_code["sanitation"]["service_name"] == "环境卫生（本社区）"
    assert by_code["sanitation-waste"]["group"] == "环境卫生（本社区）"  # the group in force there
    elsewhere = {s["service_code"]: s for s in get(client, "services.json", jurisdiction_id=world.b.code).json()}
    assert elsewhere["sanitation"]["service_name"] == "环境卫生"
    defaults = {s["service_code"]: s for s in get(client, "services.json").json()}
    assert defaults["sanitation"]["service_name"] == "环境卫生"


def test_unknown_jurisdiction_is_404_naming_it(world, client):
    text = error_of(get(client, "services.json", jurisdiction_id="999999999999"), 404)
    assert "jurisdiction_id" in text and "999999999999" in text
    assert "jurisdiction_id" in error_of(get(client, "services.json", jurisdiction_id=world.street.code), 404)


def test_service_definition(world, client):
    response = get(client, "services/sanitation-waste.json")
    assert response.status_code == 200
    body = response.json()
    assert body == {"service_code": "sanitation-waste", "attributes": []}
    validate(body, "service-definition.json")
    validate(body, "swagger.json#/definitions/ServiceDefinition")
    text = error_of(get(client, "services/no-such-thing.json"), 404)
    assert "no-such-thing" in text and "service_code" in text
    Category.objects.create(community=world.a, code="pets", name="文明养犬")
    assert get(client, "services/pets.json").status_code == 404  # not a default
    assert get(client, "services/pets.json", jurisdiction_id=A_CODE).status_code == 200
    xml = get(client, "services/pets.xml", jurisdiction_id=A_CODE).content.decode()
    assert xml.startswith('<?xml version="1.0" encoding="utf-8"?>')
    root = ET.fromstring(xml.split("?>", 1)[1])
    assert root.tag == "service_definition" and root.findtext("service_code") == "pets"
    assert root.find("attributes") is not None and len(root.find("attributes")) == 0


# -- posting a request ----------------------------------------------------------------------------------------


def test_post_with_lat_long_creates_a_case_due_as_promised(world, client):
    gm = world.users["grid_member"]
    with time_machine.travel(at("2026-09-24 10:00"), tick=False):
        response = post(
            client,
            api_key=world.tokens["grid_member"],
            jurisdiction_id=A_CODE,
            service_code="sanitation",
            lat="25.046321",
            long="102.709812",
            description="3栋门口垃圾三天没人清运",
            first_name="三",
            last_name="张",
            phone="13800138000",
            email="zhang@example.com",
            device_id="dev-1",
        )
        assert response.status_code == 200, response.content.decode()
        body = response.json()
        validate_swagger_list(body, "RequestResponse")
        assert set(body[0]) == {"service_request_id", "service_notice", "account_id"} and body[0]["account_id"] is None
        case = Case.objects.get(number=body[0]["service_request_id"])
        assert case.source == Case.Source.OPEN311 and case.community == world.a and case.grid == world.grid_a
        assert case.category == category("sanitation") and case.kind == "event" and case.status == "reported"
        assert case.reporter_user == gm and case.reporter_name == "张三" and not case.anonymous
        assert case.reporter_phone == "13800138000"
        assert float(case.latitude) == 25.046321 and float(case.longitude) == 102.709812
        assert case.due_at == services.due_for(case.category, world.a, at("2026-09-24 10:00")) == at("2026-09-24 18:00")
        assert "2026-09-24 18:00" in body[0]["service_notice"] and case.number in body[0]["service_notice"]

        detail = get(client, f"requests/{case.number}.json", api_key=world.tokens["director"])
        assert numbers(detail) == [case.number]
    row = detail.json()[0]
    assert row["expected_datetime"] == iso(case.due_at) == "2026-09-24T18:00:00+08:00"
    assert row["requested_datetime"] == "2026-09-24T10:00:00+08:00"
    assert row["status"] == "open" and row["service_code"] == "sanitation" and row["service_name"] == "环境卫生"
    assert row["agency_responsible"] == "环卫站" and row["lat"] == 25.046321 and row["long"] == 102.709812
    raw = detail.content.decode()
    assert "张三" not in raw and "13800138000" not in raw and "zhang@example.com" not in raw

    change = ObjectChange.objects.get(content_type__model="case", object_id=str(case.pk), step="report")
    assert change.source == "api" and change.user == gm and change.action == "create"


def test_post_uses_the_community_override_and_its_time_limit(world, client):
    local = Category.objects.create(
        community=world.a, code="sanitation", name="环境卫生（本社区）", rule="work_days", amount=2
    )
    with time_machine.travel(at("2026-09-24 10:00"), tick=False):
        case = ok_post(world, client)
        row = get(client, f"requests/{case.number}.json", api_key=world.tokens["grid_member"]).json()[0]
    assert case.category == local
    assert case.due_at == services.due_for(local, world.a, at("2026-09-24 10:00"))
    assert row["expected_datetime"] == iso(case.due_at) and row["service_name"] == "环境卫生（本社区）"


def test_post_without_jurisdiction_goes_to_the_users_only_community(world, client):
    fields = {"service_code": "policy", "address_string": "桃源社区居委会", "description": "咨询低保政策"}
    case = ok_post(world, client, api_key=world.tokens["director"], jurisdiction_id="", lat="", long="", **fields)
    assert case.community == world.a and case.latitude is None and case.address == "桃源社区居委会"
    assert case.kind == "request" and case.anonymous  # no name, no phone
    text = error_of(post(client, api_key=world.tokens["admin"], **fields), 400)
    assert "jurisdiction_id" in text  # the administrator may report anywhere
    assert error_of(post(client, api_key=world.tokens["nobody"], **fields), 403)


def test_post_by_address_id_or_with_media_url(world, client):
    case = ok_post(world, client, lat="", long="", address_id="AD-0042")
    assert "AD-0042" in case.address
    case = ok_post(world, client, media_url="https://img.example.com/a.jpg", description="")
    assert case.description.startswith("环境卫生") and case.description.endswith("https://img.example.com/a.jpg")
    bad = {"service_code": "sanitation", "lat": "25", "long": "102", "media_url": "javascript:alert(1)"}
    assert "media_url" in error_of(post(client, api_key=world.tokens["grid_member"], **bad), 400)


def test_post_needs_a_valid_api_key(world, client):
    fields = {"jurisdiction_id": A_CODE, "service_code": "sanitation", "lat": "25.04", "long": "102.70"}
    assert "api_key" in error_of(post(client, **fields), 403)
    assert "api_key" in error_of(post(client, api_key="tx_not-a-key", **fields), 403)
    world.users["director"].is_active = False
    world.users["director"].save()
    assert "api_key" in error_of(post(client, api_key=world.tokens["director"], **fields), 403)
    # a valid key whose user may not report in that community
    text = error_of(post(client, api_key=world.tokens["director_b"], **fields), 403)
    assert A_CODE in text and "jurisdiction_id" in text
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("params", "status", "names"),
    [
        ({"service_code": "no-such-code"}, 400, ("service_code", "no-such-code")),
        ({"service_code": ""}, 400, ("service_code",)),
        ({"lat": "", "long": ""}, 400, ("lat", "long", "address_string", "address_id")),
        ({"long": ""}, 400, ("long",)),
        ({"lat": "95"}, 400, ("lat", "95")),
        ({"long": "abc"}, 400, ("long", "abc")),
        ({"description": "长" * 4001}, 400, ("description", "4000")),
        ({"address_string": "号" * 201}, 400, ("address_string", "200")),  # the model's ValidationError, mapped
        ({"first_name": "名" * 40, "last_name": "姓" * 30}, 400, ("first_name/last_name",)),
        ({"jurisdiction_id": "530103003001"}, 403, ("jurisdiction_id", "530103003001")),  # not the user's community
        ({"jurisdiction_id": "530103002"}, 404, ("jurisdiction_id", "530103002")),  # a street, not a community
    ],
)
def test_post_errors_name_the_parameter_and_value(world, client, params, status, names):
    fields = {
        "api_key": world.tokens["grid_member"],
        "jurisdiction_id": A_CODE,
        "service_code": "sanitation",
        "lat": "25.046321",
        "long": "102.709812",
    }
    fields.update(params)
    text = error_of(post(client, **fields), status)
    for name in names:
        assert name in text
    assert re.search(r"[\u4e00-\u9fff]", text)  # in Chinese
    assert not Case.objects.exists()


def test_post_errors_in_xml(world, client):
    response = post(client, "xml", api_key=world.tokens["grid_member"], service_code="sanitation")
    assert response.status_code == 400 and response["Content-Type"].startswith("text/xml")
    root = ET.fromstring(response.content)
    assert root.tag == "errors" and root.findtext("error/code") == "400"
    assert "lat" in root.findtext("error/description")


def test_post_in_xml(world, client):
    response = post(client, "xml", api_key=world.tokens["grid_member"], service_code="facilities", lat="25", long="102")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    assert root.tag == "service_requests" and len(root) == 1 and root[0].tag == "request"
    number = root.findtext("request/service_request_id")
    assert Case.objects.filter(number=number, source="open311").exists()
    assert root.find("request/account_id").text is None  # null → empty element


# -- reading requests ---------------------------------------------------------------------------------------------


def test_get_one_request(world, client):
    case = report(world, description="路灯不亮", address="桃源社区5栋")
    add_attachment(case, photo(), world.users["grid_member"])
    response = get(client, f"requests/{case.number}.json", api_key=world.tokens["worker"])
    assert numbers(response) == [case.number]
    row = response.json()[0]
    assert row["description"] == "路灯不亮" and row["address"] == "桃源社区5栋" and row["lat"] is None
    assert row["status_notes"] is None and row["address_id"] is None and row["zipcode"] is None
    att = case.attachments.get()
    assert row["media_url"] == f"http://testserver/cases/attachments/{att.pk}/"  # behind the scope check
    assert client.get(row["media_url"], {"api_key": world.tokens["worker"]}).status_code == 200
    # the swagger.json path (singular) answers too
    assert numbers(get(client, f"request/{case.number}.json", api_key=world.tokens["worker"])) == [case.number]
    text = error_of(get(client, "requests/2000010100001.json", api_key=world.tokens["worker"]), 404)
    assert "2000010100001" in text
    assert error_of(get(client, f"requests/{case.number}.json", api_key=world.tokens["director_b"]), 404)
    assert error_of(get(client, f"requests/{case.number}.json"), 403)
    other = get(client, f"requests/{case.number}.json", api_key=world.tokens["worker"], jurisdiction_id=world.b.code)
    assert error_of(other, 404)


def test_reading_requests_needs_an_api_key(world, client):
    report(world)
    assert "api_key" in error_of(get(client, "requests.json"), 403)
    assert "api_key" in error_of(get(client, "requests.json", api_key="tx_wrong"), 403)
    assert get(client, "requests.json", api_key=world.tokens["nobody"]).json() == []  # no role: no cases


def test_filters(world, client):
    director = world.users["director"]
    with time_machine.travel(at("2026-09-24 10:00"), tick=False):
        old = report(world, reported_at=at("2026-06-01 10:00"))
        first = report(world, reported_at=at("2026-09-01 10:00"))
        second = report(world, code="facilities", reported_at=at("2026-09-20 10:00"))
        third = report(world)
        services.resolve(director, first, "已清运")
        key = world.tokens["director"]

        def ids(**params):
            """The numbers the director gets with these filters."""
            return numbers(get(client, "requests.json", api_key=key, **params))

        assert ids() == [third.number, second.number, first.number]  # newest first, the last 90 days
        assert ids(status="open") == [third.number, second.number]
        assert ids(status="closed") == [first.number]
        assert ids(status="open,closed") == [third.number, second.number, first.number]
        assert ids(service_code="facilities") == [second.number]
        assert ids(service_code="sanitation,facilities", status="open") == [third.number, second.number]
        assert ids(start_date="2026-09-15") == [third.number, second.number]
        assert ids(end_date="2026-09-20") == [second.number, first.number]  # a bare end date: the whole day
        assert ids(start_date="2026-05-01", end_date="2026-06-30") == [old.number]
        assert ids(start_date="2026-09-20T10:00:00+08:00") == [third.number, second.number]
        assert ids(end_date="2026-09-20T01:59:59Z") == [first.number]
        assert ids(start_date="2026-09-20T10:00:01", end_date="2026-09-24T12:00:00+08:00") == [third.number]
        # an unencoded "+" in a query string arrives as a space
        raw = client.get(API + f"requests.json?api_key={key}&start_date=2026-09-20T10:00:00+08:00")
        assert numbers(raw) == [third.number, second.number]
        # service_request_id overrides the other filters
        assert ids(service_request_id=f"{old.number},{first.number}", status="open") == [first.number, old.number]
        assert ids(service_request_id=f"{second.number}", jurisdiction_id=world.b.code) == []
        assert ids(jurisdiction_id=A_CODE, status="closed") == [first.number]
        closed = get(client, "requests.json", api_key=key, status="closed").json()[0]
        assert closed["status"] == "closed" and closed["status_notes"] == "已清运"

        text = error_of(get(client, "requests.json", api_key=key, status="pending"), 400)
        assert "status" in text and "pending" in text
        text = error_of(get(client, "requests.json", api_key=key, start_date="yesterday"), 400)
        assert "start_date" in text and "yesterday" in text
        text = error_of(get(client, "requests.json", api_key=key, start_date="2026-09-20", end_date="2026-09-01"), 400)
        assert "start_date" in text and "end_date" in text


def test_confidential_and_other_communities_cases_are_never_returned(world, client):
    with time_machine.travel(at("2026-09-24 10:00"), tick=False):
        open_case = report(world)
        secret = report(world, "director", confidential=True, grid=None)
        elsewhere = services.report(
            world.users["director_b"], community=world.b, category=category("sanitation"), description="B 社区的事"
        )
        # the director may see the confidential case in Tongxin, but not through Open311
        assert scoping.can(world.users["director"], secret, "view")
        assert numbers(get(client, "requests.json", api_key=world.tokens["director"])) == [open_case.number]
        assert error_of(get(client, f"requests/{secret.number}.json", api_key=world.tokens["director"]), 404)
        admin = world.tokens["admin"]
        assert numbers(get(client, "requests.json", api_key=admin)) == [elsewhere.number, open_case.number]
        assert numbers(get(client, "requests.json", api_key=admin, jurisdiction_id=A_CODE)) == [open_case.number]
        assert numbers(get(client, "requests.json", api_key=world.tokens["director_b"])) == [elsewhere.number]
        assert numbers(get(client, "requests.json", api_key=world.tokens["official"])) == [open_case.number]
        assert numbers(get(client, "requests.json", api_key=admin, service_request_id=secret.number)) == []


def test_xml_has_the_same_ids_as_json(world, client):
    with time_machine.travel(at("2026-09-24 10:00"), tick=False):
        for code in ("sanitation", "facilities", "neighbour"):
            report(world, code=code, description=f"{code}\x0b问题")  # a control character XML cannot carry
        key = world.tokens["director"]
        as_json = numbers(get(client, "requests.json", api_key=key))
        response = get(client, "requests.xml", api_key=key)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/xml")
    text = response.content.decode()
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?><service_requests>')
    root = ET.fromstring(response.content)
    assert [r.findtext("service_request_id") for r in root.findall("request")] == as_json and len(as_json) == 3
    first = root.find("request")
    assert first.find("address_id").text is None  # null → empty element
    assert first.findtext("status") == "open" and first.findtext("expected_datetime").endswith("+08:00")
    assert first.findtext("description") == "neighbour问题"

    services_xml = ET.fromstring(get(client, "services.xml").content)
    services_json = get(client, "services.json").json()
    assert services_xml.tag == "services"
    assert [s.findtext("service_code") for s in services_xml.findall("service")] == [
        s["service_code"] for s in services_json
    ]
    assert services_xml.find("service").findtext("metadata") == "false"

    error = ET.fromstring(get(client, "requests.xml").content)
    assert error.tag == "errors" and error.findtext("error/code") == "403"


def test_unknown_format_and_method(world, client):
    assert "yaml" in error_of(get(client, "services.yaml"), 404)
    assert error_of(get(client, "requests/123.html", api_key=world.tokens["director"]), 404)
    response = client.put(API + "requests.json")
    assert response.status_code == 405 and "GET" in response["Allow"] and "POST" in response["Allow"]
    assert client.post(API + "services.json").status_code == 405


def test_listing_requests_takes_a_fixed_number_of_queries(world, client):
    key = world.tokens["director"]

    def count() -> int:
        """Queries of one list request."""
        with CaptureQueriesContext(connection) as ctx:
            assert get(client, "requests.json", api_key=key).status_code == 200
        return len(ctx.captured_queries)

    for _ in range(2):
        add_attachment(report(world), photo(), world.users["grid_member"])
    count()  # the token's first use records last_used
    few = count()
    for code in ("facilities", "neighbour", "property", "policy"):
        add_attachment(report(world, code=code), photo(), world.users["grid_member"])
    assert count() == few


# -- a plain HTTP client against the live server ---------------------------------------------------------------------


@pytest.fixture
def live_world(transactional_db, live_server, request):
    """``world`` in the transactional database the live server sees; earlier transactional tests may have
    flushed the rows the data migrations made (roles come back with post_migrate, categories do not)."""
    from tongxin.cases.defaults import load_default_categories
    from tongxin.org.roles import sync_default_roles

    sync_default_roles()
    load_default_categories()
    return request.getfixturevalue("world")


def _http(url: str, data: dict | None = None) -> tuple[int, object]:
    """GET (or, with ``data``, a form-encoded POST) with urllib: the status and the decoded JSON body."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    req = urllib.request.Request(url, data=body, method="POST" if data is not None else "GET")
    if body is not None:
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


@pytest.mark.django_db(transaction=True)
def test_round_trip_with_a_plain_http_client(live_server, live_world):
    base = live_server.url + API
    key = live_world.tokens["grid_member"]
    status, listed = _http(base + "services.json?" + urllib.parse.urlencode({"jurisdiction_id": A_CODE}))
    assert status == 200
    validate(listed, "services.json")
    code = next(s["service_code"] for s in listed if s["service_code"] == "safety-gas")

    form = {
        "api_key": key,
        "service_code": code,
        "lat": "25.0463",
        "long": "102.7098",
        "address_string": "桃源社区7栋",
        "description": "楼道里有燃气味",
    }
    status, created = _http(base + "requests.json", form)
    assert status == 200, created
    validate_swagger_list(created, "RequestResponse")
    number = created[0]["service_request_id"]

    status, read = _http(base + f"requests/{number}.json?" + urllib.parse.urlencode({"api_key": key}))
    assert status == 200
    validate(read, "requests.json")
    case = Case.objects.get(number=number)
    assert read[0]["expected_datetime"] == iso(case.due_at) and read[0]["service_code"] == "safety-gas"
    assert case.source == "open311" and case.community == live_world.a
    assert ObjectChange.objects.get(content_type__model="case", object_id=str(case.pk), step="report").source == "api"

    status, error = _http(base + f"requests/{number}.json")
    assert status == 403 and error[0]["code"] == 403 and "api_key" in error[0]["description"]
