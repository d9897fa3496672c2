"""Forms of the cases module: the case (new cases go through ``services.report``), categories, disputes,
mediation sessions, meetings, and the small forms of the workflow steps."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongxin.cases import services
from tongxin.cases.models import Case, Category, Dispute, FollowUp, MediationSession, Meeting, Satisfaction
from tongxin.cases.workflow import due_for
from tongxin.core import normalize, scoping
from tongxin.core.forms import DATE, MultipleFileField, ScopedModelForm, style
from tongxin.core.forms import StepForm as CoreStepForm
from tongxin.org.models import Division

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class CaseForm(ScopedModelForm):
    """A case's descriptive fields. Saving a new case reports it (number, due time, timeline, notifications);
    changing an open case's category recomputes its due time under the new rule."""

    photos = MultipleFileField(label=_("照片或附件"))

    class Meta:
        model = Case
        fields = (
            "community",
            "grid",
            "category",
            "kind",
            "source",
            "title",
            "description",
            "address",
            "latitude",
            "longitude",
            "priority",
            "reporter_person",
            "reporter_name",
            "reporter_phone",
            "anonymous",
            "persons",
            "involves_ethnic",
            "confidential",
            "reported_at",
            "external_ref",
            "meeting",
        )
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "reported_at": DATETIME,
            "reporter_phone": forms.TextInput(attrs={"inputmode": "tel"}),
            "latitude": forms.NumberInput(attrs={"step": "0.000001"}),
            "longitude": forms.NumberInput(attrs={"step": "0.000001"}),
        }

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = self.fields["community"].queryset.filter(level=Division.Level.COMMUNITY)
        self.fields["title"].required = False
        self.fields["title"].help_text = _("留空则取描述的第一句")
        self.fields["reported_at"].required = False
        self.fields["reported_at"].help_text = _("默认为现在；补录纸质台账时可填写更早的时间")
        self.fields["category"].queryset = Category.objects.filter(active=True).select_related("parent")
        if self.user is not None:
            self.fields["persons"].queryset = scoping.restrict(self.fields["persons"].queryset, self.user, "view")
        for name in ("reporter_person", "persons", "meeting"):
            self.fields[name].required = False
        if self.instance.pk:  # reporting facts do not change after the report; the workflow changes the rest
            for name in ("community", "reported_at", "source", "kind"):
                self.fields[name].disabled = True
            del self.fields["photos"]

    def clean_reporter_phone(self) -> str:
        """A normalised phone (left blank on an existing case, ScopedModelForm keeps the stored one)."""
        text = (self.cleaned_data.get("reporter_phone") or "").strip()
        if not text:
            return ""
        value, ok = normalize.phone(text)
        if not ok:
            raise forms.ValidationError(_("无法识别的电话号码“%(v)s”（手机 11 位，座机请带区号）") % {"v": text})
        return value

    def clean_reported_at(self) -> Any:
        """Earlier times are allowed (cases copied from paper logs), later ones are not."""
        value = self.cleaned_data.get("reported_at")
        error = services.report_errors(None, None, None, value).get("reported_at")
        if error and not self.instance.pk:
            raise forms.ValidationError(error)
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name, error in services.report_errors(
            data.get("community"), data.get("category"), data.get("grid"), None
        ).items():
            self.add_error(name, error)
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            self.add_error("longitude", _("经度和纬度需同时填写"))
        return data

    def save(self, commit: bool = True) -> Case:
        if self.instance.pk:
            old = Case.objects.filter(pk=self.instance.pk).values_list("category_id", flat=True).first()
            case = super().save(commit=False)
            if case.category_id != old and case.is_open:
                case.due_at = due_for(case.category, case.community, case.reported_at)
            if commit:
                case.save()
                self.save_m2m()
            return case
        data = {k: v for k, v in self.cleaned_data.items() if k in self._meta.fields and k != "persons"}
        data = {k: v for k, v in data.items() if v not in (None, "") or k in ("title",)}
        data.setdefault("reported_at", timezone.now())
        files, persons = self.cleaned_data.get("photos") or [], self.cleaned_data.get("persons") or []
        case = services.report(self.user, files=files, persons=persons, **data)
        # the generic views hold on to form.instance (the scope check after saving): fill it in place
        self.instance.__dict__.update({k: v for k, v in case.__dict__.items() if k != "_state"})
        self.instance._state.adding, self.instance._state.db = False, case._state.db
        return self.instance


class QuickReportForm(forms.Form):
    """The grid member's report on a phone: category, photo, what and where — three screens."""

    category = forms.ModelChoiceField(
        Category.objects.none(),
        label=_("分类"),
        error_messages={"required": _("请先选择事件分类"), "invalid_choice": _("所选分类不存在或已停用，请重新选择")},
    )
    description = forms.CharField(
        label=_("描述"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": _("请填写事件描述")},
    )
    address = forms.CharField(label=_("地点"), max_length=200, required=False)
    latitude = forms.DecimalField(max_digits=9, decimal_places=6, required=False, widget=forms.HiddenInput)
    longitude = forms.DecimalField(max_digits=9, decimal_places=6, required=False, widget=forms.HiddenInput)
    grid = forms.ModelChoiceField(None, label=_("网格"), required=False)
    community = forms.ModelChoiceField(None, label=_("社区/村"))
    involves_ethnic = forms.BooleanField(label=_("涉及民族因素"), required=False)
    photos = MultipleFileField(label=_("照片"))

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        from tongxin.org.models import Grid

        self.user = user
        communities = scoping.allowed_divisions(user, Case, "add", levels=(Division.Level.COMMUNITY,))
        self.fields["community"].queryset = communities
        if communities.count() == 1:
            self.fields["community"].initial = communities.first()
        self.fields["grid"].queryset = scoping.restrict(Grid.objects.filter(community__in=communities), user, "view")
        grids = list(self.fields["grid"].queryset[:2])
        if len(grids) == 1:
            self.fields["grid"].initial = grids[0]
        self.fields["category"].queryset = Category.objects.filter(active=True)
        self.fields["photos"].widget.attrs.update({"accept": "image/*"})
        style(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name, error in services.report_errors(
            data.get("community"), data.get("category"), data.get("grid"), None
        ).items():
            self.add_error(name, error)
        if not data.get("address") and data.get("latitude") is None:
            self.add_error("address", _("请填写地点或获取定位"))
        return data


class CategoryForm(ScopedModelForm):
    """A category and its time limit. Without a community it is a deployment default (administrators)."""

    class Meta:
        model = Category
        fields = (
            "community",
            "parent",
            "code",
            "name",
            "kind",
            "rule",
            "amount",
            "priority",
            "responsible_role",
            "partner",
            "keywords",
            "description",
            "sort",
            "active",
        )
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = self.fields["community"].queryset.filter(level=Division.Level.COMMUNITY)
        user = self.user
        if user is not None and scoping.scope_q(user, Category, "add") is not None:
            self.fields["community"].required = True  # only deployment-wide roles edit the defaults


class DisputeForm(ScopedModelForm):
    """The mediation record of a dispute case."""

    class Meta:
        model = Dispute
        fields = (
            "case",
            "community",
            "parties",
            "parties_text",
            "mediators",
            "mediators_text",
            "agreement",
            "result",
            "result_date",
            "transferred_to",
        )
        widgets = {
            "parties_text": forms.Textarea(attrs={"rows": 2}),
            "agreement": forms.Textarea(attrs={"rows": 4}),
            "result_date": DATE,
        }

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["case"].queryset = self.fields["case"].queryset.filter(kind=Case.Kind.DISPUTE)
        for name in ("parties", "mediators"):
            self.fields[name].required = False
        if self.instance.pk:
            self.fields["case"].disabled = True
            self.fields["community"].disabled = True

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        case, community = data.get("case"), data.get("community")
        if case is not None and community is not None and case.community_id != community.pk:
            self.add_error("case", _("事件 %(n)s 不属于%(c)s") % {"n": case.number, "c": community})
        return data


class MediationSessionForm(ScopedModelForm):
    """One mediation session."""

    class Meta:
        model = MediationSession
        fields = ("dispute", "community", "time", "place", "participants", "notes", "outcome")
        widgets = {
            "time": DATETIME,
            "participants": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 4}),
        }


class MeetingForm(ScopedModelForm):
    """A public-sentiment meeting (民情恳谈会)."""

    class Meta:
        model = Meeting
        fields = ("community", "date", "place", "topic", "host", "attendees", "attendee_count", "minutes")
        widgets = {
            "date": DATE,
            "attendees": forms.Textarea(attrs={"rows": 2}),
            "minutes": forms.Textarea(attrs={"rows": 5}),
        }


# -- the workflow steps -----------------------------------------------------------------------------------


class StepForm(CoreStepForm):
    """The input of the case workflow's steps (cases.workflow): each step reads the fields its row names."""

    assignee = forms.ModelChoiceField(None, label=_("承办人"), required=False)
    into = forms.CharField(
        label=_("并入事件编号"), required=False, max_length=20, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    satisfaction = forms.TypedChoiceField(label=_("满意度"), choices=Satisfaction.choices, coerce=int, required=False)
    method = forms.ChoiceField(label=_("回访方式"), choices=FollowUp.Method.choices, required=False)
    photos = MultipleFileField(label=_("照片"))

    def __init__(self, *args: Any, obj: Case | None = None, **kwargs: Any):
        super().__init__(*args, obj=obj, **kwargs)
        from tongxin.core.models import User

        field = self.fields["assignee"]
        field.queryset = assignable_users(obj.community) if obj is not None else User.objects.none()
        field.label_from_instance = lambda user: user.display_name
        field.empty_label = "—"
        if obj is not None:
            field.initial = obj.assignee_id
        self.fields["photos"].widget.attrs.update({"accept": "image/*"})
        style(self)


def assignable_users(community: Division) -> Any:
    """Users who may work on cases in a community: a role there or above, or on one of its grids."""
    from tongxin.core.models import User
    from tongxin.org.models import RoleAssignment

    perm = scoping.perm_name(Case, "change")
    rows = RoleAssignment.objects.filter(division__path__in=scoping.path_prefixes(community.path), user__is_active=True)
    ids = {
        user_id
        for user_id, patterns in rows.values_list("user_id", "role__permissions")
        if scoping.Grant(tuple(patterns or ()), "", None).allows(perm)
    }
    return User.objects.filter(pk__in=ids).order_by("name", "username")


class BulkAssignForm(forms.Form):
    """The director's board: give the ticked cases to one person."""

    assignee = forms.ModelChoiceField(None, label=_("承办人"))
    note = forms.CharField(label=_("分派说明"), required=False, max_length=500)

    def __init__(self, *args: Any, communities: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        from tongxin.core.models import User

        qs = User.objects.none()
        for community in communities or ():
            qs = qs | assignable_users(community)
        self.fields["assignee"].queryset = qs.distinct().order_by("name", "username")
        style(self)
