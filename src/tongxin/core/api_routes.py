"""API of core under /api/v1/core/: the change log (read only), holidays, and bulk import jobs."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, ModelSchema, Router, Schema, Status, UploadedFile

from tongxin.core import scoping
from tongxin.core.api import ErrorOut, crud, model_schemas
from tongxin.core.api_contract import ObjectId
from tongxin.core.forms import ImportUploadForm
from tongxin.core.importfile import ImportFileError, check_file
from tongxin.core.models import ImportJob, ObjectChange
from tongxin.core.views.pages import HolidayViewSet, ObjectChangeViewSet

router = Router(tags=["基础"])


class ObjectChangeOut(ModelSchema):
    class Meta:
        model = ObjectChange
        fields = [
            "id",
            "time",
            "user",
            "user_name",
            "request_id",
            "source",
            "action",
            "step",
            "content_type",
            "object_id",
            "object_repr",
            "community",
            "prechange_data",
            "postchange_data",
            "message",
        ]


HolidayOut, HolidayIn = model_schemas(HolidayViewSet)


crud(router, ObjectChangeViewSet, out=ObjectChangeOut)
crud(router, HolidayViewSet, out=HolidayOut, payload=HolidayIn)


# -- bulk imports: the same jobs as the upload pages ------------------------------------------------


class ImportJobOut(Schema):
    """An import job: its status, progress, counts and problem rows (the first 1000)."""

    id: int
    target: str
    file_name: str
    community: str | None = None
    status: str
    total: int
    processed: int
    summary: dict
    problems: list
    error: str
    batch_id: str | None = None

    @staticmethod
    def resolve_community(obj: ImportJob) -> str | None:
        return obj.community.code if obj.community_id else None

    @staticmethod
    def resolve_problems(obj: ImportJob) -> list:
        return obj.problems[:1000]

    @staticmethod
    def resolve_batch_id(obj: ImportJob) -> str | None:
        return str(obj.batch_id) if obj.batch_id else None


def _import_job(request: HttpRequest, pk: int) -> ImportJob:
    qs = ImportJob.objects.select_related("community")
    if not request.user.is_superuser:
        qs = qs.filter(user=request.user)
    job = qs.filter(pk=pk).first()
    if job is None:
        raise Http404
    return job


@router.post("/imports/", response={201: ImportJobOut, 400: ErrorOut, 403: ErrorOut}, summary="上传导入文件")
def create_import(
    request: HttpRequest,
    file: File[UploadedFile],
    target: Form[str],
    community: Form[str] = "",
    commit: Form[bool] = False,
    all_or_nothing: Form[bool] = False,
):
    """Upload a file for ``target`` (a model label such as ``registry.Person``). Without ``commit`` the job
    validates only (a preview: counts and problem rows); commit it with ``POST /imports/{id}/commit/``.
    With ``commit`` the file is validated and written in one go. Poll ``GET /imports/{id}/``."""
    from tongxin.core.views.imports import enqueue, importer_for

    try:
        importer = importer_for(target)
    except LookupError:
        return Status(400, {"detail": _("未知的导入对象“%(t)s”") % {"t": target}})
    if not scoping.has_perm(request.user, importer.model, "import"):
        return Status(403, {"detail": _("没有导入权限")})
    form = ImportUploadForm({"all_or_nothing": all_or_nothing}, {"file": file})
    if not form.is_valid():
        return Status(400, {"detail": "；".join(m for errs in form.errors.values() for m in errs)})
    try:  # a hostile file (zip bomb, wrong type) is refused before a job is made, as on the page
        check_file(file, file.name)
    except ImportFileError as exc:
        return Status(400, {"detail": str(exc)})
    division = None
    if importer.needs_community:
        allowed = scoping.allowed_divisions(request.user, importer.model, "import", levels=("community",))
        division = allowed.filter(code=community).first()
        if division is None:
            return Status(403, {"detail": _("不能导入到社区“%(c)s”（不存在或超出管辖范围）") % {"c": community}})
    job = ImportJob.objects.create(
        user=request.user,
        target=importer.model._meta.label,
        file=file,
        file_name=file.name,
        all_or_nothing=all_or_nothing,
        community=division,
    )
    enqueue(job, commit=commit)
    job.refresh_from_db()
    return Status(201, job)


@router.get("/imports/{pk}/", response=ImportJobOut, summary="导入任务状态")
def get_import(request: HttpRequest, pk: ObjectId):
    return _import_job(request, pk)


@router.post("/imports/{pk}/commit/", response={200: ImportJobOut, 409: ErrorOut}, summary="确认导入（预览后）")
def commit_import(request: HttpRequest, pk: ObjectId):
    from tongxin.core.views.imports import enqueue, importer_for

    job = _import_job(request, pk)
    if job.status != ImportJob.Status.PREVIEW:
        return Status(409, {"detail": _("该导入任务当前不能确认导入")})
    if not scoping.has_perm(request.user, importer_for(job.target).model, "import"):
        raise PermissionDenied
    job.status = ImportJob.Status.PENDING
    job.processed = 0
    job.save(update_fields=["status", "processed", "last_updated"])
    enqueue(job, commit=True)
    job.refresh_from_db()
    return Status(200, job)


@router.post(
    "/imports/{pk}/restart/",
    response={200: ImportJobOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="重新开始失败的导入任务",
)
def restart_import(request: HttpRequest, pk: ObjectId):
    """Start a failed job again (its worker stopped, or it failed on an error): the commit again when it failed
    during the commit, else the preview. 409 when the job is not failed, wrote data, or its file was purged."""
    from tongxin.core.heartbeat import NotRestartable, restart

    job = _import_job(request, pk)
    try:
        job = restart(job, request.user)
    except NotRestartable as exc:
        return Status(409, {"detail": str(exc)})
    return Status(200, job)
