"""Population registry: compounds, buildings and dwellings; households; persons and their household
memberships; party branches; tags.

Personal data (ID numbers, phones) is stored encrypted with keyed hashes beside it for lookup
(DESIGN rule 4). ``Person.household`` and ``Person.relationship`` mirror the person's current
membership so that lists, exports and statistics need no join on the history table.
"""

from __future__ import annotations

import datetime
from typing import ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongxin.core import codes, crypto, idnumber, pinyin
from tongxin.core.fields import EncryptedTextField, KeyField
from tongxin.core.models import TongxinModel
from tongxin.org.models import Division, Grid

HEAD_RELATIONSHIPS = ("01", "02")  # GB/T 4761: 本人, 户主 — both mark the head in a household register
DERIVED_FIELDS = ("id_hash", "id_tail", "phone_hash", "phone_tail", "pinyin", "initials")
AGE_BANDS = (("0-17", 0, 17), ("18-59", 18, 59), ("60-64", 60, 64), ("65-79", 65, 79), ("80+", 80, 200))


# References into the division tree and to grids (reference data: never deleted while referenced, which
# Django's PROTECT enforces, or nulled by Django for SET_NULL) carry no database constraint: a checked
# reference costs every row a trigger at commit, several per person of a million-row register import. The
# links between the registry's own rows (person, household, membership) keep theirs.


def _community_fk(related_name: str, indexed: bool = True) -> models.ForeignKey:
    """The community a row belongs to. ``indexed=False`` for a model whose Meta has indexes that start with
    the community (they serve its lookups; one more index would cost every imported row an insert)."""
    return models.ForeignKey(
        Division,
        verbose_name=_("所属社区/村"),
        on_delete=models.PROTECT,
        related_name=related_name,
        limit_choices_to={"level": Division.Level.COMMUNITY},
        db_constraint=False,
        db_index=indexed,
    )


def _group_fk(related_name: str) -> models.ForeignKey:
    return models.ForeignKey(
        Division,
        verbose_name=_("居民小组"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name=related_name,
        limit_choices_to={"level": Division.Level.GROUP},
        db_constraint=False,
    )


def _grid_fk(related_name: str) -> models.ForeignKey:
    return models.ForeignKey(
        Grid,
        verbose_name=_("网格"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name=related_name,
        db_constraint=False,
    )


class TagColor(models.TextChoices):
    """A tag's colour: the Bootstrap colour names its badge uses, shown by their Chinese names."""

    BLUE = "primary", _("蓝色")
    GREY = "secondary", _("灰色")
    GREEN = "success", _("绿色")
    RED = "danger", _("红色")
    YELLOW = "warning", _("黄色")
    CYAN = "info", _("青色")
    DARK = "dark", _("黑色")


class Tag(TongxinModel):
    """A label a community puts on its residents (e.g. 退役军人, 独居老人, 志愿者)."""

    community = _community_fk("person_tags")
    name = models.CharField(_("名称"), max_length=32)
    color = models.CharField(_("颜色"), max_length=16, choices=TagColor.choices, blank=True, default=TagColor.GREY)
    description = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("标签")
        verbose_name_plural = _("标签")
        ordering = ("community__code", "name")
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="registry_tag_unique_name")]

    def __str__(self) -> str:
        return self.name


class PartyBranch(TongxinModel):
    """A party organisation of a community (党总支 or 党支部), possibly under another one."""

    class Kind(models.TextChoices):
        GENERAL = "general", _("党总支")
        BRANCH = "branch", _("党支部")
        COMMITTEE = "committee", _("党委")

    community = _community_fk("party_branches")
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.BRANCH)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级党组织"), on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    secretary = models.CharField(_("书记"), max_length=64, blank=True)
    established = models.DateField(_("成立日期"), null=True, blank=True)
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("党组织")
        verbose_name_plural = _("党组织")
        ordering = ("community__code", "name")
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="registry_branch_unique_name")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """A branch's parent belongs to the same community."""
        if self.parent_id and self.community_id and self.parent.community_id != self.community_id:
            raise ValidationError({"parent": _("上级党组织必须属于同一社区")})


class Compound(TongxinModel):
    """A residential compound (小区) or natural village area of a community."""

    community = _community_fk("compounds")
    name = models.CharField(_("名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=255, blank=True)
    property_company = models.CharField(_("物业公司"), max_length=100, blank=True)
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("小区")
        verbose_name_plural = _("小区")
        ordering = ("community__code", "name")
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="registry_compound_unique_name")]

    def __str__(self) -> str:
        return self.name


class Building(TongxinModel):
    """A building (楼栋) of a compound."""

    community = _community_fk("buildings")
    compound = models.ForeignKey(Compound, verbose_name=_("小区"), on_delete=models.PROTECT, related_name="buildings")
    name = models.CharField(_("楼栋"), max_length=64)
    floors = models.PositiveSmallIntegerField(_("层数"), null=True, blank=True)
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("楼栋")
        verbose_name_plural = _("楼栋")
        ordering = ("compound__name", "name")
        constraints = [models.UniqueConstraint(fields=["compound", "name"], name="registry_building_unique_name")]

    def __str__(self) -> str:
        return f"{self.compound.name}{self.name}" if self.compound_id else self.name

    def clean(self) -> None:
        """The building lies in its compound's community."""
        if self.compound_id:
            self.community_id = self.compound.community_id


class Dwelling(TongxinModel):
    """A dwelling (房屋): a flat in a building, or a house."""

    class Use(models.TextChoices):
        OWNER = "owner", _("自住")
        RENTED = "rented", _("出租")
        VACANT = "vacant", _("空置")
        BUSINESS = "business", _("商用")
        OTHER = "other", _("其他")

    community = _community_fk("dwellings")
    building = models.ForeignKey(Building, verbose_name=_("楼栋"), on_delete=models.PROTECT, related_name="dwellings")
    unit = models.CharField(_("单元"), max_length=16, blank=True)
    room = models.CharField(_("房号"), max_length=32)
    area = models.DecimalField(_("面积（㎡）"), max_digits=8, decimal_places=2, null=True, blank=True)
    use = models.CharField(_("用途"), max_length=16, choices=Use.choices, default=Use.OWNER)
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("房屋")
        verbose_name_plural = _("房屋")
        ordering = ("building__compound__name", "building__name", "unit", "room")
        constraints = [
            models.UniqueConstraint(fields=["building", "unit", "room"], name="registry_dwelling_unique_room"),
        ]

    def __str__(self) -> str:
        unit = f"{self.unit}单元" if self.unit and not self.unit.endswith("单元") else self.unit
        return f"{self.building}{unit}{self.room}"

    def clean(self) -> None:
        """The dwelling lies in its building's community."""
        if self.building_id:
            self.community_id = self.building.community_id


class Household(TongxinModel):
    """A household (户) of a community: its number, group, grid, dwelling, address, head and status."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("在册")
        MOVED_OUT = "moved_out", _("迁出")
        DISSOLVED = "dissolved", _("注销")

    class Kind(models.TextChoices):
        FAMILY = "family", _("家庭户")
        COLLECTIVE = "collective", _("集体户")

    community = _community_fk("households", indexed=False)  # (community, number), (community, status)
    number = models.CharField(_("户号"), max_length=32)  # searched by number alone: see Meta.indexes
    group = _group_fk("group_households")
    grid = _grid_fk("households")
    dwelling = models.ForeignKey(  # indexed where set (Meta): few households are linked to a dwelling
        Dwelling,
        verbose_name=_("房屋"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="households",
        db_index=False,
    )
    kind = models.CharField(_("户别"), max_length=16, choices=Kind.choices, default=Kind.FAMILY)
    registration_status = models.CharField(
        _("人口类型"), max_length=16, choices=codes.choices("registration_status"), blank=True
    )
    address = models.CharField(_("住址"), max_length=255, blank=True)
    head = models.ForeignKey(
        "Person", verbose_name=_("户主"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    status_date = models.DateField(_("状态日期"), null=True, blank=True)
    note = models.TextField(_("备注"), blank=True)

    scope_grid: ClassVar[str | None] = "grid"

    class Meta:
        verbose_name = _("户")
        verbose_name_plural = _("户")
        ordering = ("community__code", "number")
        constraints = [models.UniqueConstraint(fields=["community", "number"], name="registry_household_unique_number")]
        indexes = [
            models.Index(fields=["community", "status"], name="registry_household_status"),
            # the search box's exact household number (one index: db_index would add a pattern twin)
            models.Index(fields=["number"], name="registry_household_number"),
            models.Index(
                fields=["dwelling"], condition=models.Q(dwelling__isnull=False), name="registry_household_dwelling"
            ),
        ]

    def __str__(self) -> str:
        return self.label(self.number)

    @staticmethod
    def label(number: str) -> str:
        """How a household with this number is shown (its ``str``)."""
        return _("%(number)s户") % {"number": number}


class Person(TongxinModel):
    """A resident (居民): one row per real person across the deployment, never deleted by normal work.

    ``id_number`` and the phones are encrypted at rest; ``id_hash`` / ``id_tail`` and ``phone_hash`` /
    ``phone_tail`` are keyed hashes for exact and last-four-digit lookup; ``pinyin`` / ``initials``
    hold the name's usual reading, further readings are rows of :class:`NameKey`.
    """

    class LifeStatus(models.TextChoices):
        LIVING = "living", _("健在")
        MOVED_OUT = "moved_out", _("迁出")
        DECEASED = "deceased", _("死亡")

    community = _community_fk("persons", indexed=False)  # (community, life_status), (community, name, …)
    group = _group_fk("group_persons")
    grid = _grid_fk("persons")
    household = models.ForeignKey(
        Household, verbose_name=_("户"), on_delete=models.SET_NULL, null=True, blank=True, related_name="persons"
    )
    relationship = models.CharField(_("与户主关系"), max_length=2, choices=codes.choices("relationship"), blank=True)
    name = models.CharField(_("姓名"), max_length=64)
    id_number = EncryptedTextField(_("公民身份号码"), blank=True)
    id_hash = KeyField(max_length=32, blank=True, editable=False)  # looked up by its unique index
    id_tail = KeyField(max_length=16, blank=True, editable=False)
    sex = models.CharField(_("性别"), max_length=1, choices=codes.choices("sex"), blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    ethnicity = models.CharField(_("民族"), max_length=2, choices=codes.choices("ethnicity"), blank=True)
    phone = EncryptedTextField(_("联系电话"), blank=True)
    phone_hash = KeyField(max_length=32, blank=True, editable=False)
    phone_tail = KeyField(max_length=16, blank=True, editable=False)
    phone_other = EncryptedTextField(_("其他电话"), blank=True)
    education = models.CharField(_("文化程度"), max_length=2, choices=codes.choices("education"), blank=True)
    marital_status = models.CharField(_("婚姻状况"), max_length=2, choices=codes.choices("marital_status"), blank=True)
    political_status = models.CharField(
        _("政治面貌"), max_length=2, choices=codes.choices("political_status"), blank=True
    )
    party_branch = models.ForeignKey(
        PartyBranch,
        verbose_name=_("所在党组织"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        db_index=False,  # indexed where set (Meta): most residents are not party members
    )
    party_joined = models.DateField(_("入党日期"), null=True, blank=True)
    registration_status = models.CharField(
        _("人口类型"), max_length=16, choices=codes.choices("registration_status"), blank=True
    )
    hukou_address = models.CharField(_("户籍地址"), max_length=255, blank=True)
    current_address = models.CharField(_("现住址"), max_length=255, blank=True)
    occupation = models.CharField(_("职业"), max_length=64, blank=True)
    employer = models.CharField(_("工作单位"), max_length=128, blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("标签"), blank=True, related_name="persons")
    notes = models.TextField(_("备注"), blank=True)
    life_status = models.CharField(_("人员状态"), max_length=16, choices=LifeStatus.choices, default=LifeStatus.LIVING)
    life_status_date = models.DateField(_("状态日期"), null=True, blank=True)
    pinyin = models.CharField(max_length=128, blank=True, editable=False)
    initials = models.CharField(max_length=32, blank=True, editable=False)

    scope_grid: ClassVar[str | None] = "grid"
    personal_fields: ClassVar[tuple[str, ...]] = ("id_number", "phone", "phone_other")
    # the birth date is what an ID number's mask hides: the year only to who may not reveal the person
    quasi_fields: ClassVar[tuple[str, ...]] = ("birth_date",)
    audit_exclude: ClassVar[tuple[str, ...]] = ("created", "last_updated", *DERIVED_FIELDS)

    class Meta:
        verbose_name = _("居民")
        verbose_name_plural = _("居民")
        ordering = ("community__code", "name", "pk")
        constraints = [
            models.UniqueConstraint(
                fields=["id_hash"], condition=~models.Q(id_hash=""), name="registry_person_unique_id_number"
            ),
            models.CheckConstraint(
                condition=models.Q(life_status__in=["living", "moved_out", "deceased"]),
                name="registry_person_life_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["community", "life_status"], name="registry_person_status"),
            models.Index(fields=["community", "name", "birth_date"], name="registry_person_name_birth"),
            # One index per searched column (each index costs every import row a random insert): exact
            # and prefix lookups of names and readings share a pattern index on PostgreSQL (a plain one
            # elsewhere); the keyed hashes are only ever compared for equality.
            models.Index(fields=["name"], name="registry_person_name", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["pinyin"], name="registry_person_pinyin", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["initials"], name="registry_person_initials", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["id_tail"], name="registry_person_id_tail"),
            # where set: a blank value is never looked up (many residents have no phone)
            models.Index(fields=["phone_hash"], condition=~models.Q(phone_hash=""), name="registry_person_phone_hash"),
            models.Index(fields=["phone_tail"], condition=~models.Q(phone_tail=""), name="registry_person_phone_tail"),
            models.Index(
                fields=["party_branch"], condition=models.Q(party_branch__isnull=False), name="registry_person_branch"
            ),
            # the few persons without an ID number, whom an import row with a new one may be (by name + birth
            # date + sex): whether a community has any is one probe, not a scan of its persons
            models.Index(
                fields=["community", "name", "birth_date"], condition=models.Q(id_hash=""), name="registry_person_noid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def lookup_values(
        id_number: str, phone: str, name: str, id_hash: str | None = None
    ) -> tuple[dict[str, str], list[str]]:
        """The lookup columns (:data:`DERIVED_FIELDS`) of these clear values, and the name's further readings
        (``id_hash``: the ID number's keyed hash when the caller has it already)."""
        full, initials = pinyin.keys(name)
        first_full = full[0][:128] if full else ""
        first_initials = initials[0][:32] if initials else ""
        values = {
            "id_hash": crypto.keyed_hash("id", id_number) if id_hash is None else id_hash,
            "id_tail": crypto.suffix_hash("id", id_number),
            "phone_hash": crypto.keyed_hash("phone", phone),
            "phone_tail": crypto.suffix_hash("phone", phone),
            "pinyin": first_full,
            "initials": first_initials,
        }
        return values, sorted({*full[1:], *initials[1:]} - {first_full, first_initials})

    def derive(self) -> list[str]:
        """Recompute the lookup columns from the clear values; return the name's further readings."""
        values, extra = self.lookup_values(self.id_number or "", self.phone or "", self.name)
        for attname, value in values.items():
            setattr(self, attname, value)
        return extra

    def clean(self) -> None:
        """GB 11643 ID number (check digit, real birth date) agreeing with sex and birth date, which
        are derived from it when blank; without an ID, name, sex and birth date are required."""
        errors: dict[str, str] = {}
        if self.id_number:
            try:
                info = idnumber.parse(self.id_number)
            except idnumber.IdNumberError as exc:
                errors["id_number"] = str(exc)
            else:
                self.id_number = info.number
                if not self.sex:
                    self.sex = info.sex
                elif self.sex in ("1", "2") and self.sex != info.sex:
                    errors["sex"] = _("性别“%(s)s”与身份证号不符（应为%(e)s）") % {
                        "s": codes.table("sex").name_of(self.sex),
                        "e": codes.table("sex").name_of(info.sex),
                    }
                if not self.birth_date:
                    self.birth_date = info.birth_date
                elif self.birth_date != info.birth_date:
                    errors["birth_date"] = _("出生日期 %(d)s 与身份证号不符（应为 %(e)s）") % {
                        "d": self.birth_date,
                        "e": info.birth_date,
                    }
        else:
            if not self.sex:
                errors["sex"] = _("没有身份证号的居民必须填写性别")
            if not self.birth_date:
                errors["birth_date"] = _("没有身份证号的居民必须填写出生日期")
        if self.group_id and self.community_id and self.group.parent_id != self.community_id:
            errors["group"] = _("居民小组“%(g)s”不属于本社区") % {"g": self.group}
        if self.grid_id and self.community_id and self.grid.community_id != self.community_id:
            errors["grid"] = _("网格“%(g)s”不属于本社区") % {"g": self.grid}
        if self.party_branch_id and self.community_id and self.party_branch.community_id != self.community_id:
            errors["party_branch"] = _("党组织“%(b)s”不属于本社区") % {"b": self.party_branch}
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs) -> None:
        """Keep the lookup columns and the further name readings in step with the clear values."""
        extra = self.derive()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], *DERIVED_FIELDS}
        super().save(*args, **kwargs)
        NameKey.sync(self, extra)

    @property
    def age(self) -> int | None:
        """Age today in whole years (None without a birth date)."""
        return idnumber.age_on(self.birth_date, datetime.date.today()) if self.birth_date else None

    def quasi_masked(self) -> bool:
        """Whether the birth date is shown as its year to who may not reveal the person: when it would complete
        the masked ID number; a person without one is known by name and birth date (core.privacy)."""
        return bool(self.id_hash)

    @property
    def age_by_year(self) -> int | None:
        """Age from the birth year alone (this year minus it), what a user who may not reveal the person
        sees: the exact age would tell, day by day, whether the birthday has passed."""
        return datetime.date.today().year - self.birth_date.year if self.birth_date else None

    @property
    def is_party_member(self) -> bool:
        """Full or probationary member of the CPC."""
        return self.political_status in ("01", "02")


class NameKey(models.Model):
    """A further pinyin reading of a person's name (full or initials), for search: 曾 is zeng and ceng."""

    # person_id lookups use the unique (person, key) index; keys are searched by prefix (one pattern index)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="name_keys", db_index=False)
    key = models.CharField(max_length=128)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "key"], name="registry_namekey_unique")]
        indexes = [models.Index(fields=["key"], name="registry_namekey_key", opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return self.key

    @classmethod
    def sync(cls, person: Person, keys: list[str]) -> None:
        """Make the person's rows exactly ``keys``."""
        current = set(cls.objects.filter(person=person).values_list("key", flat=True)) if person.pk else set()
        wanted = set(keys)
        if current - wanted:
            cls.objects.filter(person=person, key__in=current - wanted).delete()
        if wanted - current:
            cls.objects.bulk_create([cls(person=person, key=k) for k in sorted(wanted - current)])


class Membership(TongxinModel):
    """A person's membership of a household, with the GB/T 4761 relationship and its period; a move
    ends one membership and starts another, so the history is kept."""

    community = _community_fk("memberships")
    # PROTECT: a household with members (past or present) keeps its history; mark it dissolved instead
    # db_index=False: the (household, end) index serves lookups by household
    household = models.ForeignKey(
        Household, verbose_name=_("户"), on_delete=models.PROTECT, related_name="memberships", db_index=False
    )
    person = models.ForeignKey(Person, verbose_name=_("居民"), on_delete=models.CASCADE, related_name="memberships")
    relationship = models.CharField(_("与户主关系"), max_length=2, choices=codes.choices("relationship"), blank=True)
    start = models.DateField(_("起始日期"), null=True, blank=True)
    end = models.DateField(_("结束日期"), null=True, blank=True)
    reason = models.CharField(_("变动原因"), max_length=100, blank=True)

    scope_grid: ClassVar[str | None] = "household__grid"

    class Meta:
        verbose_name = _("户成员")
        verbose_name_plural = _("户成员")
        ordering = ("household_id", "relationship", "pk")
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(end__isnull=True), name="registry_membership_one_current"
            ),
        ]
        indexes = [models.Index(fields=["household", "end"], name="registry_membership_current")]

    def __str__(self) -> str:
        return f"{self.person} · {self.household} · {self.get_relationship_display()}"

    @property
    def is_head(self) -> bool:
        """The head of the household (户主/本人)."""
        return self.relationship in HEAD_RELATIONSHIPS

    def delete(self, *args, **kwargs):
        """Deleting a current membership (a data-entry mistake) releases the person and, if they were its
        head, the household: nothing keeps pointing at a membership that no longer exists."""
        from django.db import transaction

        with transaction.atomic():
            result = super().delete(*args, **kwargs)
            if self.end is None:
                person = Person.objects.filter(pk=self.person_id, household_id=self.household_id).first()
                if person is not None:
                    person.household, person.relationship = None, ""
                    person.save()
                household = Household.objects.filter(pk=self.household_id, head_id=self.person_id).first()
                if household is not None:
                    household.head = None
                    household.save()
        return result
