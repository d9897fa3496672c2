"""API of the care module under /api/v1/care/: programmes, enrolments (with their workflow steps,
``POST /enrolments/{pk}/<step>/``) and visits. Enrolments are sensitive: the same scope as the pages."""

from __future__ import annotations

import datetime

from ninja import Router, Schema

from tongxin.care.views import CarePlanViewSet, EnrolmentViewSet, ProgrammeViewSet, VisitViewSet
from tongxin.core.api import crud, model_schemas, workflow_endpoints

router = Router(tags=["关爱服务"])


class StepIn(Schema):
    """A step's input: its note and, for 公示, the notice's first day."""

    note: str = ""
    notice_start: datetime.date | None = None


ProgrammeOut, ProgrammeIn = model_schemas(ProgrammeViewSet)
EnrolmentOut, EnrolmentIn = model_schemas(
    EnrolmentViewSet,
    extra_out=("status", "surveyed_on", "reviewed_on", "notice_start", "notice_end", "objection_open", "approved_on",
               "ended_on", "next_recheck", "persons_covered", "monthly_amount"),
)  # fmt: skip
VisitOut, VisitIn = model_schemas(VisitViewSet, extra_out=("household", "visitor", "case"))
PlanOut, PlanIn = model_schemas(CarePlanViewSet, extra_out=("status", "version", "reviewed_on"))

crud(router, ProgrammeViewSet, out=ProgrammeOut, payload=ProgrammeIn)
crud(router, EnrolmentViewSet, out=EnrolmentOut, payload=EnrolmentIn)
workflow_endpoints(router, EnrolmentViewSet, out=EnrolmentOut, body=StepIn)
crud(router, VisitViewSet, out=VisitOut, payload=VisitIn)
crud(router, CarePlanViewSet, out=PlanOut, payload=PlanIn)
workflow_endpoints(router, CarePlanViewSet, out=PlanOut, body=StepIn)
