"""Forms of the care module."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tongxin.care.models import CarePlan, Enrolment, HealthCheck, Programme, Visit
from tongxin.core.forms import DATE, MultipleFileField, ScopedModelForm, StepForm


class ProgrammeForm(ScopedModelForm):
    """A programme and its rules. Without a community it is a deployment default (administrators)."""

    class Meta:
        model = Programme
        fields = ("community", "code", "name", "unit", "visit_every", "review_every", "pays_benefit", "amount",
                  "amount_per", "notice_days", "notice_working_days", "recheck_months", "min_age", "max_age",
                  "eligibility", "sort", "active")  # fmt: skip


class EnrolmentForm(ScopedModelForm):
    """An application: who (a person, or a household for a household programme), which programme, where.
    The status moves only through the workflow's steps."""

    same_community = ("person", "household")

    class Meta:
        model = Enrolment
        fields = ("community", "grid", "programme", "person", "household", "applied_on", "responsible", "bank_name",
                  "bank_account", "notes")  # fmt: skip
        widgets = {"applied_on": DATE}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        programme, person, household = (cleaned.get(k) for k in ("programme", "person", "household"))
        if programme is not None:
            if programme.unit == "household" and household is None:
                self.add_error("household", _("“%(p)s”按户纳入，请选择户") % {"p": programme})
            if programme.unit == "person" and person is None:
                self.add_error("person", _("“%(p)s”按人纳入，请选择居民") % {"p": programme})
        return cleaned


class EnrolmentStepForm(StepForm):
    """The input of an enrolment's steps: the note, and the first day of a public notice."""

    notice_start = forms.DateField(label=_("公示开始日期"), required=False,
                                   widget=DATE)  # fmt: skip


class VisitForm(ScopedModelForm):
    """A visit as recorded on a phone: who, how, when, what was found and needed, and photos."""

    photos = MultipleFileField(label=_("照片"), required=False)

    same_community = ("person",)

    class Meta:
        model = Visit
        fields = ("community", "grid", "person", "kind", "visited_on", "findings", "needs", "latitude", "longitude")
        widgets = {"visited_on": DATE}

    def save(self, commit: bool = True) -> Visit:
        """The visit (its household and grid from the person's when not given, the visitor the user who records
        it), then its photos."""
        visit = self.instance
        if visit.person_id:
            visit.household_id = visit.household_id or visit.person.household_id
            visit.grid_id = visit.grid_id or visit.person.grid_id
        if visit.visitor_id is None and getattr(self.user, "pk", None):
            visit.visitor = self.user
        visit = super().save(commit)
        if commit:
            from tongxin.care.models import VisitPhoto

            for f in self.cleaned_data.get("photos") or []:
                VisitPhoto(visit=visit).store(f, self.user)
        return visit


class CarePlanForm(ScopedModelForm):
    """A care plan (一人一策); its version moves with the 季度复核 step, its status with 结束计划."""

    same_community = ("person",)

    class Meta:
        model = CarePlan
        fields = ("community", "grid", "person", "needs", "goals", "measures", "responsible", "grid_member",
                  "next_review")  # fmt: skip
        widgets = {"next_review": DATE}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        person = cleaned.get("person")
        if person is not None and not self.instance.pk:
            active = CarePlan.objects.filter(person=person, status=CarePlan.Status.ACTIVE).exists()
            if active:
                self.add_error("person", _("%(p)s 已有执行中的关爱计划，请在原计划上修改和复核") % {"p": person})
        return cleaned


class HealthCheckForm(ScopedModelForm):
    """A health check, typed in or imported from the clinic's spreadsheet."""

    same_community = ("person",)

    class Meta:
        model = HealthCheck
        fields = ("community", "person", "checked_on", "systolic", "diastolic", "glucose", "clinic", "conclusion")
        widgets = {"checked_on": DATE}
