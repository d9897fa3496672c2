"""API of the registry under /api/v1/registry/: persons (ID numbers and phones masked), households,
memberships, party branches, compounds, buildings, dwellings, tags; reveal; statistics."""

import datetime

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import ModelSchema, Router, Schema
from pydantic import ConfigDict

from tongxin.core import scoping
from tongxin.core.api import crud
from tongxin.core.privacy import mask
from tongxin.registry import services, stats
from tongxin.registry.models import Building, Compound, Dwelling, Household, Membership, PartyBranch, Person, Tag
from tongxin.registry.views import (
    BuildingViewSet,
    CompoundViewSet,
    DwellingViewSet,
    HouseholdViewSet,
    MembershipViewSet,
    PartyBranchViewSet,
    PersonViewSet,
    TagViewSet,
)

router = Router(tags=["人口信息"])

PERSON_FIELDS = [
    "community",
    "group",
    "grid",
    "household",
    "relationship",
    "name",
    "sex",
    "birth_date",
    "ethnicity",
    "education",
    "marital_status",
    "political_status",
    "party_branch",
    "party_joined",
    "registration_status",
    "hukou_address",
    "current_address",
    "occupation",
    "employer",
    "tags",
    "notes",
    "life_status",
    "life_status_date",
]


class PersonOut(ModelSchema):
    """A resident; ``id_number`` and ``phone`` are masked (use the reveal endpoint, which is logged)."""

    id_number: str = ""
    phone: str = ""

    class Meta:
        model = Person
        fields = ["id", *PERSON_FIELDS, "last_updated"]

    @staticmethod
    def resolve_id_number(obj: Person) -> str:
        return mask(obj.id_number) if obj.id_number else ""

    @staticmethod
    def resolve_phone(obj: Person) -> str:
        return mask(obj.phone) if obj.phone else ""


class PersonIn(ModelSchema):
    model_config = ConfigDict(populate_by_name=True)

    class Meta:
        model = Person
        fields = [f for f in PERSON_FIELDS if f not in ("household", "relationship")] + [
            "id_number",
            "phone",
            "phone_other",
        ]
        fields_optional = "__all__"


class HouseholdOut(ModelSchema):
    size: int | None = None

    class Meta:
        model = Household
        fields = [
            "id",
            "community",
            "number",
            "group",
            "grid",
            "dwelling",
            "kind",
            "registration_status",
            "address",
            "head",
            "status",
            "status_date",
            "note",
            "last_updated",
        ]


class HouseholdIn(ModelSchema):
    model_config = ConfigDict(populate_by_name=True)

    class Meta:
        model = Household
        fields = [
            "community",
            "number",
            "group",
            "grid",
            "dwelling",
            "kind",
            "registration_status",
            "address",
            "head",
            "status",
            "status_date",
            "note",
        ]
        fields_optional = "__all__"


MEMBERSHIP_FIELDS = ["household", "person", "relationship", "start", "end", "reason"]


class MembershipOut(ModelSchema):
    class Meta:
        model = Membership
        fields = ["id", *MEMBERSHIP_FIELDS]


class MembershipIn(ModelSchema):
    model_config = ConfigDict(populate_by_name=True)

    class Meta:
        model = Membership
        fields = MEMBERSHIP_FIELDS
        fields_optional = "__all__"


PARTYBRANCH_FIELDS = ["community", "name", "kind", "parent", "secretary", "established", "note"]


class PartyBranchOut(ModelSchema):
    class Meta:
        model = PartyBranch
        fields = ["id", *PARTYBRANCH_FIELDS]


class PartyBranchIn(ModelSchema):
    model_config = ConfigDict(populate_by_name=True)

    class Meta:
        model = PartyBranch
        fields = PARTYBRANCH_FIELDS
        fields_optional = "__all__"


COMPOUND_FIELDS = ["community", "name", "address", "property_company", "note"]


class CompoundOut(ModelSchema):
    class Meta:
        model = Compound
        fields = ["id", *COMPOUND_FIELDS]


class CompoundIn(ModelSchema):
    model_config = ConfigDict(populate_by_name=True)

    class Meta:
        model = Compound
        fields = COMPOUND_FIELDS
        fields_optional = "__all__"


BUILDING_FIELDS = ["compound", "name", "floors", "note"]


class BuildingOut(ModelSchema):
    class Meta:
        model = Building
        fields = ["id", *BUILDING_FIELDS]


class BuildingIn(ModelSchema):
    model_config = ConfigDict(populate_by_name=True)

    class Meta:
        model = Building
        fields = BUILDING_FIELDS
        fields_optional = "__all__"


DWELLING_FIELDS = ["building", "unit", "room", "area", "use", "note"]


class DwellingOut(ModelSchema):
    class Meta:
        model = Dwelling
        fields = ["id", *DWELLING_FIELDS]


class DwellingIn(ModelSchema):
    model_config = ConfigDict(populate_by_name=True)

    class Meta:
        model = Dwelling
        fields = DWELLING_FIELDS
        fields_optional = "__all__"


TAG_FIELDS = ["community", "name", "color", "description"]


class TagOut(ModelSchema):
    class Meta:
        model = Tag
        fields = ["id", *TAG_FIELDS]


class TagIn(ModelSchema):
    model_config = ConfigDict(populate_by_name=True)

    class Meta:
        model = Tag
        fields = TAG_FIELDS
        fields_optional = "__all__"


class RevealOut(Schema):
    id_number: str
    phone: str
    phone_other: str


@router.post("/persons/{pk}/reveal/", response=RevealOut, summary="查看居民身份证号和电话明文（记录访问日志）")
def reveal_person(request: HttpRequest, pk: int):
    if not scoping.has_perm(request.user, Person, "reveal"):
        raise PermissionDenied
    person = scoping.get_scoped_object(Person.objects.all(), request.user, "reveal", pk=pk)
    return services.reveal(request.user, person)


@router.get("/stats/", summary="人口统计（社区，或街道/区县汇总）")
def registry_stats(request: HttpRequest, division: str, as_of: datetime.date | None = None):
    """Figures for the division with this code (community, street or county) within the caller's scope."""
    if not scoping.has_perm(request.user, Person, "view"):
        raise PermissionDenied
    target = stats.divisions_for(request.user).filter(code=division).first()
    if target is None:
        raise Http404
    return stats.compute(target, user=request.user, as_of=as_of)


crud(router, PersonViewSet, out=PersonOut, payload=PersonIn)
crud(router, HouseholdViewSet, out=HouseholdOut, payload=HouseholdIn)
crud(router, MembershipViewSet, out=MembershipOut, payload=MembershipIn)
crud(router, PartyBranchViewSet, out=PartyBranchOut, payload=PartyBranchIn)
crud(router, CompoundViewSet, out=CompoundOut, payload=CompoundIn)
crud(router, BuildingViewSet, out=BuildingOut, payload=BuildingIn)
crud(router, DwellingViewSet, out=DwellingOut, payload=DwellingIn)
crud(router, TagViewSet, out=TagOut, payload=TagIn)
