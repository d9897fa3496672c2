"""Forms of the registry."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tongxin.core import crypto, idnumber, normalize, scoping
from tongxin.core.forms import DATE, BulkEditForm, ScopedModelForm
from tongxin.org.models import Division, Grid
from tongxin.registry.models import (
    HEAD_RELATIONSHIPS,
    Building,
    Compound,
    Dwelling,
    Household,
    Membership,
    PartyBranch,
    Person,
    Tag,
)


class CommunityForm(ScopedModelForm):
    """Community choice limited to communities (not streets) where the user may add the model."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "community" in self.fields:
            self.fields["community"].queryset = self.fields["community"].queryset.filter(level=Division.Level.COMMUNITY)
            if self.fields["community"].queryset.count() == 1 and not self.instance.pk:
                self.fields["community"].initial = self.fields["community"].queryset.first()


class PersonForm(CommunityForm):
    """Add or edit a resident. Stored ID numbers and phones are never put into the page (ScopedModelForm: the
    fields show a masked placeholder, and left blank they keep the stored value)."""

    class Meta:
        model = Person
        fields = (
            "community",
            "name",
            "id_number",
            "sex",
            "birth_date",
            "ethnicity",
            "phone",
            "phone_other",
            "group",
            "grid",
            "registration_status",
            "education",
            "marital_status",
            "political_status",
            "party_branch",
            "party_joined",
            "hukou_address",
            "current_address",
            "occupation",
            "employer",
            "tags",
            "notes",
            "life_status",
            "life_status_date",
        )
        widgets = {
            "id_number": forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
            "phone": forms.TextInput(attrs={"inputmode": "tel"}),
            "phone_other": forms.TextInput(),
            "birth_date": DATE,
            "party_joined": DATE,
            "life_status_date": DATE,
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = self.fields["group"].queryset.filter(level=Division.Level.GROUP)
        self.fields["id_number"].help_text = _("18 位；15 位旧号码会自动升级。填写后性别和出生日期可留空。")
        # Left out (an API client creating a resident): the stored status, 健在 for a new resident.
        self.fields["life_status"].required = False
        if self.instance.pk:
            # Moving out and death end the household membership: the status form on the person's page.
            for name in ("life_status", "life_status_date"):
                self.fields[name].disabled = True
            self.fields["life_status"].help_text = _("迁出、死亡请在居民页面的“人员状态”中办理")

    def clean_life_status(self):
        if self.instance.pk:
            sent = self.data.get("life_status") if hasattr(self.data, "get") else None
            if sent not in (None, "", self.instance.life_status):  # the API sends what the page cannot
                raise forms.ValidationError(_("迁出、死亡等人员状态变更请通过人员状态办理（会同时结束户成员关系）"))
            return self.instance.life_status
        return self.cleaned_data.get("life_status") or Person.LifeStatus.LIVING

    def clean_phone(self) -> str:
        """A mainland mobile or a landline with its area code, normalised (so that search finds it)."""
        text = self.cleaned_data.get("phone", "")
        value, ok = normalize.phone(text)
        if not ok:
            raise forms.ValidationError(_("无法识别的电话号码“%(v)s”（手机 11 位，座机请带区号）") % {"v": text})
        return value

    def clean_phone_other(self) -> str:
        """Further numbers, normalised, separated by commas."""
        text = self.cleaned_data.get("phone_other", "")
        good, bad = normalize.phones(text)
        if bad:
            raise forms.ValidationError(_("无法识别的电话号码“%(v)s”") % {"v": "、".join(bad)})
        return ",".join(good)

    def clean(self):
        data = super().clean()
        community = data.get("community")
        moved = self.instance.pk and community is not None and community.pk != self.instance.community_id
        if moved and Membership.objects.filter(person_id=self.instance.pk, end__isnull=True).exists():
            self.add_error(
                "community",
                _("该居民仍是本社区某户的成员：跨社区迁移请由原社区办理迁出，再由新社区登记（或导入花名册）"),
            )
        number = data.get("id_number")
        if number and "id_number" not in self.errors:
            try:
                number = idnumber.parse(number).number
            except idnumber.IdNumberError:
                return data
            clash = Person.objects.filter(id_hash=crypto.keyed_hash("id", number)).exclude(pk=self.instance.pk)
            other = clash.first()
            if other is not None:
                visible = self.user is not None and scoping.can(self.user, other, "view")
                self.add_error(
                    "id_number",
                    _("该身份证号已登记为居民“%(n)s”（%(c)s）") % {"n": other.name, "c": other.community}
                    if visible
                    else _("该身份证号已登记在您管辖范围以外的社区"),
                )
        return data


class HouseholdForm(CommunityForm):
    """Add or edit a household."""

    class Meta:
        model = Household
        fields = (
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
        )
        widgets = {"status_date": DATE, "note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = self.fields["group"].queryset.filter(level=Division.Level.GROUP)
        if self.instance.pk:
            self.fields["head"].queryset = Person.objects.filter(
                memberships__household=self.instance, memberships__end__isnull=True
            )
        else:
            self.fields["head"].queryset = Person.objects.none()
            self.fields["head"].help_text = _("添加成员后再指定户主")


class MembershipForm(CommunityForm):
    """Add a person to a household (or edit a membership's relationship and dates)."""

    class Meta:
        model = Membership
        fields = ("household", "person", "relationship", "start", "end", "reason")
        widgets = {"start": DATE, "end": DATE}

    def clean(self):
        data = super().clean()
        household, person = data.get("household"), data.get("person")
        if household is not None:
            self.instance.community_id = household.community_id
        if household and person and person.community_id != household.community_id:
            self.add_error("person", _("居民“%(p)s”不在“%(h)s”所在的社区") % {"p": person, "h": household})
        if person and not data.get("end"):
            current = Membership.objects.filter(person=person, end__isnull=True).exclude(pk=self.instance.pk).first()
            if current is not None:
                self.add_error(
                    "person",
                    _("居民“%(p)s”当前属于“%(h)s”，请在居民页面办理调户") % {"p": person, "h": current.household},
                )
        if person and not data.get("end") and person.life_status != Person.LifeStatus.LIVING and not self.instance.pk:
            self.add_error(
                "person", _("居民“%(p)s”的人员状态为%(s)s") % {"p": person, "s": person.get_life_status_display()}
            )
        if household and data.get("relationship") in HEAD_RELATIONSHIPS and not data.get("end"):
            other = (
                Membership.objects.filter(household=household, end__isnull=True, relationship__in=HEAD_RELATIONSHIPS)
                .exclude(pk=self.instance.pk)
                .select_related("person")
                .first()
            )
            if other is not None:
                self.add_error(
                    "relationship",
                    _("“%(h)s”已有户主“%(p)s”，一户只能有一个户主") % {"h": household, "p": other.person},
                )
        return data

    def save(self, commit=True):
        previous = self.initial.get("household") if self.instance.pk else None  # before this edit
        membership = super().save(commit=commit)
        if commit:
            from tongxin.registry.services import sync_membership

            sync_membership(membership, previous)
        return membership


class MoveForm(forms.Form):
    """Move a person into another household (调户) of their community, given by its household number;
    the current membership ends on the date."""

    household = forms.CharField(label=_("迁入户号"), max_length=32)
    relationship = forms.ChoiceField(label=_("与户主关系"), choices=Membership._meta.get_field("relationship").choices)
    date = forms.DateField(label=_("日期"), widget=DATE)
    reason = forms.CharField(label=_("原因"), max_length=100, required=False)

    def __init__(self, *args, user=None, person=None, **kwargs):
        super().__init__(*args, **kwargs)
        qs = Household.objects.filter(status=Household.Status.ACTIVE)
        if person is not None:
            qs = qs.filter(community_id=person.community_id)
        self.households = scoping.restrict(qs, user, "change") if user else qs
        self.fields["household"].widget.attrs.update({"placeholder": _("如 CG-00012"), "autocomplete": "off"})
        from tongxin.core.forms import style

        style(self)

    def clean_household(self) -> Household:
        """The household with this number in the person's community (within the user's scope)."""
        number = self.cleaned_data["household"].strip()
        household = self.households.filter(number=number).first()
        if household is None:
            raise forms.ValidationError(_("本社区没有在册的户号“%(n)s”（或超出您的管辖范围）") % {"n": number})
        return household


class LifeStatusForm(forms.Form):
    """Mark a person moved out or deceased (a person is never deleted by normal work)."""

    status = forms.ChoiceField(label=_("人员状态"), choices=Person.LifeStatus.choices)
    date = forms.DateField(label=_("日期"), widget=DATE)
    reason = forms.CharField(label=_("说明"), max_length=100, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from tongxin.core.forms import style

        style(self)


class PersonBulkEditForm(BulkEditForm):
    """Set the group, grid, registration status or a tag of many residents."""

    model = Person
    group = forms.ModelChoiceField(Division.objects.filter(level=Division.Level.GROUP), label=_("居民小组"))
    grid = forms.ModelChoiceField(Grid.objects.all(), label=_("网格"))
    registration_status = forms.ChoiceField(
        label=_("人口类型"), choices=[("", "—"), *Person._meta.get_field("registration_status").choices]
    )
    tags = forms.ModelMultipleChoiceField(Tag.objects.all(), label=_("标签"))


class PartyBranchForm(CommunityForm):
    """Add or edit a party organisation."""

    class Meta:
        model = PartyBranch
        fields = ("community", "name", "kind", "parent", "secretary", "established", "note")
        widgets = {"established": DATE, "note": forms.Textarea(attrs={"rows": 2})}


class CompoundForm(CommunityForm):
    """Add or edit a compound."""

    class Meta:
        model = Compound
        fields = ("community", "name", "address", "property_company", "note")
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}


class BuildingForm(ScopedModelForm):
    """Add or edit a building (its community is the compound's)."""

    class Meta:
        model = Building
        fields = ("compound", "name", "floors", "note")
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}

    def clean(self):
        data = super().clean()
        if data.get("compound"):
            self.instance.community_id = data["compound"].community_id
        return data


class DwellingForm(ScopedModelForm):
    """Add or edit a dwelling (its community is the building's)."""

    class Meta:
        model = Dwelling
        fields = ("building", "unit", "room", "area", "use", "note")
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}

    def clean(self):
        data = super().clean()
        if data.get("building"):
            self.instance.community_id = data["building"].community_id
        return data


class TagForm(CommunityForm):
    """Add or edit a tag."""

    class Meta:
        model = Tag
        fields = ("community", "name", "color", "description")
