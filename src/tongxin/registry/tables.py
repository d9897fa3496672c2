"""Tables of the registry (list pages and exports)."""

from django.utils.translation import gettext_lazy as _

from tongxin.core.tables import Column, Table
from tongxin.registry.models import Building, Compound, Dwelling, Household, Membership, PartyBranch, Person, Tag


class PersonTable(Table):
    """Residents. ID numbers and phones are masked on the page and, without the reveal permission, in exports."""

    model = Person
    name = Column(linkify=True)
    household_number = Column("household__number", _("户号"), order_by="household__number")
    age = Column(render=lambda p: p.age, coarse=lambda p: p.age_by_year, verbose_name=_("年龄"), order_by="-birth_date")
    tag_list = Column(render=lambda p: [t.name for t in p.tags.all()], verbose_name=_("标签"), order_by=False)
    fields = (
        "name",
        "id_number",
        "sex",
        "birth_date",
        "age",
        "ethnicity",
        "household_number",
        "relationship",
        "community",
        "group",
        "grid",
        "phone",
        "registration_status",
        "political_status",
        "party_branch",
        "education",
        "marital_status",
        "current_address",
        "hukou_address",
        "employer",
        "occupation",
        "life_status",
        "tag_list",
        "notes",
        "last_updated",
    )
    default_columns = (
        "name",
        "id_number",
        "sex",
        "age",
        "ethnicity",
        "household_number",
        "relationship",
        "group",
        "grid",
        "phone",
        "registration_status",
        "life_status",
    )


class HouseholdTable(Table):
    """Households with their head and size."""

    model = Household
    number = Column(linkify=True)
    size = Column(render=lambda h: getattr(h, "size", None), verbose_name=_("人数"), order_by="size")
    fields = (
        "number",
        "community",
        "group",
        "grid",
        "head",
        "size",
        "kind",
        "registration_status",
        "address",
        "dwelling",
        "status",
        "status_date",
        "last_updated",
    )
    default_columns = ("number", "community", "group", "grid", "head", "size", "address", "status")


class MembershipTable(Table):
    """Household memberships (current and past)."""

    model = Membership
    person = Column(linkify=True)
    fields = ("person", "household", "relationship", "start", "end", "reason", "community")


class PartyBranchTable(Table):
    """Party organisations with their member counts."""

    model = PartyBranch
    name = Column(linkify=True)
    member_count = Column(render=lambda b: getattr(b, "member_count", None), verbose_name=_("党员人数"))
    fields = ("name", "kind", "community", "parent", "secretary", "member_count", "established")


class CompoundTable(Table):
    """Compounds."""

    model = Compound
    name = Column(linkify=True)
    fields = ("name", "community", "address", "property_company")


class BuildingTable(Table):
    """Buildings."""

    model = Building
    name = Column(linkify=True)
    fields = ("name", "compound", "community", "floors")


class DwellingTable(Table):
    """Dwellings."""

    model = Dwelling
    label = Column(render=lambda d: str(d), verbose_name=_("房屋"), linkify=True, order_by="room")
    fields = ("label", "building", "unit", "room", "area", "use", "community")


class TagTable(Table):
    """Tags."""

    model = Tag
    name = Column(linkify=True)
    fields = ("name", "community", "color", "description")
