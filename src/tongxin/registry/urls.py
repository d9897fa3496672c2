"""URLs of the registry."""

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

app_name = "registry"
urlpatterns = [
    *PersonViewSet.urls(),
    *HouseholdViewSet.urls(),
    *MembershipViewSet.urls(),
    *PartyBranchViewSet.urls(),
    *CompoundViewSet.urls(),
    *BuildingViewSet.urls(),
    *DwellingViewSet.urls(),
    *TagViewSet.urls(),
]
