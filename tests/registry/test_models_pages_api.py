"""Generic page/API tests for every registry model: scoping, permissions, audit, pinned query counts."""

import datetime
import itertools

from tongxin.core import idnumber
from tongxin.core.testing import ModelTestCase
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

_seq = itertools.count(1)


def make_person(community, **extra):
    n = next(_seq)
    birth = datetime.date(1960, 1, 1) + datetime.timedelta(days=37 * n)
    data = {
        "community": community,
        "name": f"居民{n}",
        "id_number": idnumber.make(community.code[:6], birth, 2 * n + 1),
        "phone": f"139{n:08d}",
    }
    data.update(extra)
    return Person.objects.create(**data)


def make_household(community, **extra):
    return Household.objects.create(community=community, number=f"H{next(_seq):05d}", **extra)


class TestPerson(ModelTestCase):
    viewset = PersonViewSet
    bulk_edit = ("registration_status", "floating")

    def make(self, world, community):
        tag, _ = Tag.objects.get_or_create(community=community, name="独居老人")
        person = make_person(community, household=make_household(community), relationship="02")
        person.tags.add(tag)
        return person

    def valid_data(self, world, community):
        n = next(_seq)
        return {
            "community": community.pk,
            "name": f"新居民{n}",
            "id_number": idnumber.make(community.code[:6], datetime.date(1985, 3, 4), 2 * n),
            "ethnicity": "07",
            "registration_status": "household",
            "life_status": "living",
        }


class TestHousehold(ModelTestCase):
    viewset = HouseholdViewSet

    def make(self, world, community):
        household = make_household(community)
        head = make_person(community, household=household, relationship="02")
        Membership.objects.create(community=community, household=household, person=head, relationship="02")
        household.head = head
        household.save()
        return household

    def valid_data(self, world, community):
        return {"community": community.pk, "number": f"N{next(_seq)}", "kind": "family", "status": "active"}


class TestMembership(ModelTestCase):
    viewset = MembershipViewSet

    def make(self, world, community):
        household = make_household(community)
        person = make_person(community, household=household, relationship="10")
        return Membership.objects.create(community=community, household=household, person=person, relationship="10")

    def valid_data(self, world, community):
        household = make_household(community)
        person = make_person(community)
        return {"household": household.pk, "person": person.pk, "relationship": "02"}


class TestPartyBranch(ModelTestCase):
    viewset = PartyBranchViewSet

    def make(self, world, community):
        branch = PartyBranch.objects.create(community=community, name=f"第{next(_seq)}党支部")
        make_person(community, political_status="01", party_branch=branch)
        return branch

    def valid_data(self, world, community):
        return {"community": community.pk, "name": f"新党支部{next(_seq)}", "kind": "branch"}


class TestCompound(ModelTestCase):
    viewset = CompoundViewSet

    def make(self, world, community):
        return Compound.objects.create(community=community, name=f"小区{next(_seq)}")

    def valid_data(self, world, community):
        return {"community": community.pk, "name": f"新小区{next(_seq)}"}


def make_building(community):
    compound = Compound.objects.create(community=community, name=f"小区{next(_seq)}")
    return Building.objects.create(community=community, compound=compound, name=f"{next(_seq)}栋")


class TestBuilding(ModelTestCase):
    viewset = BuildingViewSet

    def make(self, world, community):
        return make_building(community)

    def valid_data(self, world, community):
        compound = Compound.objects.create(community=community, name=f"小区{next(_seq)}")
        return {"compound": compound.pk, "name": "1栋", "floors": 6}


class TestDwelling(ModelTestCase):
    viewset = DwellingViewSet

    def make(self, world, community):
        building = make_building(community)
        return Dwelling.objects.create(community=community, building=building, unit="1", room=f"{next(_seq)}")

    def valid_data(self, world, community):
        return {"building": make_building(community).pk, "unit": "2", "room": "301", "use": "owner"}


class TestTag(ModelTestCase):
    viewset = TagViewSet

    def make(self, world, community):
        return Tag.objects.create(community=community, name=f"标签{next(_seq)}")

    def valid_data(self, world, community):
        return {"community": community.pk, "name": f"新标签{next(_seq)}", "color": "primary"}
