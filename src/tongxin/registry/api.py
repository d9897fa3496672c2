"""API of the registry under /api/v1/registry/: persons (ID numbers and phones masked), households,
memberships, party branches, compounds, buildings, dwellings, tags; reveal; statistics."""

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Field, ModelSchema, Router
from ninja.orm import create_schema

from tongxin.core import scoping
from tongxin.core.api import ErrorOut, InSchema, crud, model_schemas
from tongxin.core.privacy import masked, shown
from tongxin.registry import stats
from tongxin.registry.models import Person
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
    birth_date: str = Field(
        "",
        description="出生日期 YYYY-MM-DD；对无权查看明文的用户只显示出生年份 YYYY（与脱敏身份证号合起来不能还原号码）",
    )

    class Meta:
        model = Person
        fields = ["id", *[f for f in PERSON_FIELDS if f != "birth_date"], "last_updated"]

    @staticmethod
    def resolve_birth_date(obj: Person) -> str:
        value = shown(obj, "birth_date")
        return "" if value is None else str(value)

    @staticmethod
    def resolve_id_number(obj: Person) -> str:
        return masked(obj, "id_number", obj.id_number) or ""

    @staticmethod
    def resolve_phone(obj: Person) -> str:
        return masked(obj, "phone", obj.phone) or ""


PersonIn = create_schema(
    Person, name="PersonIn", fields=list(PersonViewSet.form.Meta.fields), optional_fields="__all__", base_class=InSchema
)


HouseholdOut, HouseholdIn = model_schemas(
    HouseholdViewSet, extra_out=("last_updated",), custom_out=[("size", int | None, None)]
)
MembershipOut, MembershipIn = model_schemas(MembershipViewSet)
PartyBranchOut, PartyBranchIn = model_schemas(PartyBranchViewSet)
CompoundOut, CompoundIn = model_schemas(CompoundViewSet)
BuildingOut, BuildingIn = model_schemas(BuildingViewSet, extra_out=("community",))
DwellingOut, DwellingIn = model_schemas(DwellingViewSet, extra_out=("community",))
TagOut, TagIn = model_schemas(TagViewSet)


@router.get(
    "/stats/",
    response={200: dict[str, Any], 403: ErrorOut, 404: ErrorOut},
    summary="人口统计（社区，或街道/区县汇总）",
)
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
