"""Everything else the visits module declares: workflow table, table, filterset, forms, viewset, API."""

import django_filters
from ninja import Router, Schema

from tongxin.core.api import crud, model_schemas, workflow_endpoints
from tongxin.core.filters import BaseFilterSet
from tongxin.core.forms import MultipleFileField, ScopedModelForm
from tongxin.core.forms import StepForm as CoreStepForm
from tongxin.core.tables import Column, Table
from tongxin.core.views.generic import ObjectViewSet
from tongxin.core.workflow import REQUIRED, Step, Workflow, may

from .models import Visit, VisitPhoto

S = Visit.Status
WORKFLOW = Workflow(
    Visit,
    steps=(
        Step("submit", "提交", sources=(S.DRAFT,), target=S.SUBMITTED, rule=may("change"), photos=True),
        Step("approve", "审核通过", sources=(S.SUBMITTED,), target=S.APPROVED, rule=may("approve")),
        Step(
            "send_back",
            "退回",
            sources=(S.SUBMITTED,),
            target=S.DRAFT,
            rule=may("approve"),
            note=REQUIRED,
            note_label="理由",
            danger=True,
        ),
    ),
    describe=lambda visit: f"走访“{visit}”",
    attach=lambda ctx, f: VisitPhoto(visit=ctx.obj).store(f, ctx.user),
)


class VisitTable(Table):
    model = Visit
    resident = Column(linkify=True)
    fields = ("resident", "community", "grid", "phone", "health", "status", "last_updated")


class VisitFilterSet(BaseFilterSet):
    search_fields = ("resident",)
    status = django_filters.ChoiceFilter(choices=S.choices, label="状态")

    class Meta:
        model = Visit
        fields = ("community", "grid", "status")


class VisitForm(ScopedModelForm):
    class Meta:
        model = Visit
        fields = ("community", "grid", "resident", "phone", "health")


class VisitStepForm(CoreStepForm):
    photos = MultipleFileField(label="照片")


class VisitViewSet(ObjectViewSet):
    model = Visit
    segment = "visits"
    table = VisitTable
    filterset = VisitFilterSet
    form = VisitForm
    select_related = ("community", "grid")
    workflow = WORKFLOW
    step_form = VisitStepForm
    files = "photos"


class StepIn(Schema):
    note: str = ""


VisitOut, VisitIn = model_schemas(VisitViewSet, extra_out=("status",))
router = Router(tags=["走访"])
crud(router, VisitViewSet, out=VisitOut, payload=VisitIn)
workflow_endpoints(router, VisitViewSet, out=VisitOut, body=StepIn)
urlpatterns = VisitViewSet.urls()
