"""Bulk import pages: upload → preview (dry run) → commit with a progress bar → result and error workbook."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from tongxin.core import privacy, scoping
from tongxin.core.forms import ImportUploadForm
from tongxin.core.importer import error_workbook
from tongxin.core.importfile import ImportFileError, check_file
from tongxin.core.models import ImportJob
from tongxin.core.registry import registry
from tongxin.core.views.generic import ViewSetView


def importer_for(target: str):
    """The importer class of a model label (``org.Grid``)."""
    for vs in registry.all():
        if vs.model._meta.label == target and vs.importer is not None:
            return vs.importer
    raise LookupError(target)


def enqueue(job: ImportJob, commit: bool) -> None:
    """Hand the job to the worker."""
    from tongxin.core.tasks import run_import

    run_import.enqueue(job.pk, commit)


class ImportStartView(ViewSetView):
    """Upload a file; the preview (dry run) starts in the background."""

    def get(self, request: HttpRequest) -> HttpResponse:
        self.require("import")
        if request.GET.get("template"):
            from tongxin.core.export import XLSX_TYPE

            response = HttpResponse(self.viewset.importer.template(), content_type=XLSX_TYPE)
            name = f"{self.model._meta.verbose_name}导入模板.xlsx"
            from urllib.parse import quote

            response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
            return response
        return self.render(self.upload_form())

    def upload_form(self, data=None, files=None) -> ImportUploadForm:
        """The upload form; importers into one community (the register) also ask which community."""
        communities = None
        if self.viewset.importer.needs_community:
            communities = scoping.allowed_divisions(self.request.user, self.model, "import", levels=("community",))
        return ImportUploadForm(data, files, communities=communities)

    def render(self, form, status=200):
        importer = self.viewset.importer
        headers = importer.header_help()
        jobs = ImportJob.objects.filter(target=self.model._meta.label, user=self.request.user)[:10]
        return render(
            self.request,
            "core/import_start.html",
            self.base_context(form=form, headers=headers, jobs=jobs, upload_help=importer.upload_help),
            status=status,
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        self.require("import")
        form = self.upload_form(request.POST, request.FILES)
        if not form.is_valid():
            return self.render(form, status=400)
        upload = form.cleaned_data["file"]
        try:  # a file that is not what its name says, or a zip bomb: refused now, not in the worker
            check_file(upload, upload.name)
        except ImportFileError as exc:
            form.add_error("file", str(exc))
            return self.render(form, status=400)
        job = ImportJob.objects.create(
            user=request.user,
            target=self.model._meta.label,
            file=upload,
            file_name=upload.name,
            all_or_nothing=form.cleaned_data["all_or_nothing"],
            community=form.cleaned_data.get("community"),
        )
        enqueue(job, commit=False)
        return HttpResponseRedirect(job.get_absolute_url())


def _job_for(request: HttpRequest, pk: int, action: str = "view") -> ImportJob:
    """An import job is its uploader's (its rows are checked against that user's scope); others who may view
    import jobs of its community can look at it (404 outside their scope, 403 without the permission)."""
    job = ImportJob.objects.select_related("user").filter(pk=pk).first()
    if job is not None and (job.user_id == request.user.pk or request.user.is_superuser):
        return job
    if job is None or action != "view":  # only the uploader commits a job
        raise Http404
    if not scoping.has_perm(request.user, ImportJob, "view"):
        raise PermissionDenied
    if not scoping.restrict(ImportJob.objects.filter(pk=pk), request.user, "view").exists():
        raise Http404
    return job


class ImportJobView(LoginRequiredMixin, View):
    """The job page: progress bar while it runs (HTMX polling), then the preview or the result."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = _job_for(request, pk)
        vs = next((v for v in registry.all() if v.model._meta.label == job.target), None)
        model = vs.model if vs else None
        # The problem rows hold the file's raw cells (ID numbers, phones, health notes …): the uploader sees them;
        # others only when they may reveal every class of personal data the model has, in the job's community.
        kinds = set(privacy.classes(model).values()) if model is not None else set()
        show_rows = (
            job.user_id == request.user.pk
            or request.user.is_superuser
            or all(
                scoping.allowed_divisions(request.user, model, privacy.REVEAL_ACTION[kind])
                .filter(pk=job.community_id)
                .exists()
                for kind in kinds
            )
        )
        if request.GET.get("errors"):
            if not show_rows:
                raise PermissionDenied
            from urllib.parse import quote

            from tongxin.core import audit
            from tongxin.core.export import XLSX_TYPE

            response = HttpResponse(error_workbook(job), content_type=XLSX_TYPE)
            # the workbook is always XLSX, whatever the upload was: 未导入的行-名单.xlsx (not 名单.xlsx.xlsx)
            stem = job.file_name.rsplit(".", 1)[0] if "." in job.file_name else job.file_name
            response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote('未导入的行-' + stem + '.xlsx')}"
            rejected = sum(1 for p in job.problems if p.get("status") == "rejected")
            if model is not None and privacy.classes(model):
                audit.log_access(
                    model, "export", row_count=rejected, community_id=job.community_id, detail=_("导入错误行")
                )
            return response
        ctx = {
            "job": job,
            "list_url": reverse(vs.url_name("list")) if vs else "",
            "verbose_name": vs.model._meta.verbose_name if vs else job.target,
            "rejected": [p for p in job.problems if p.get("status") == "rejected"][:500] if show_rows else [],
            "warned": (
                [p for p in job.problems if p.get("status") != "rejected" and p.get("warnings")][:500]
                if show_rows
                else []
            ),
        }
        template = "core/_import_progress.html" if request.headers.get("HX-Request") else "core/import_job.html"
        return render(request, template, ctx)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = _job_for(request, pk, "commit")
        if job.status != ImportJob.Status.PREVIEW:
            messages.error(request, _("该导入任务当前不能确认导入"))
            return HttpResponseRedirect(job.get_absolute_url())
        model = importer_for(job.target).model
        if not scoping.has_perm(request.user, model, "import"):
            raise Http404
        job.status = ImportJob.Status.PENDING
        job.processed = 0
        job.save(update_fields=["status", "processed", "last_updated"])
        enqueue(job, commit=True)
        return HttpResponseRedirect(job.get_absolute_url())


class ImportJobRestartView(LoginRequiredMixin, View):
    """“重新开始”: the uploader starts a failed job again (its worker died, or it failed on an error); see
    :func:`tongxin.core.heartbeat.restart`."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        from tongxin.core.heartbeat import NotRestartable, restart

        job = _job_for(request, pk, "restart")
        try:
            restart(job, request.user)
        except NotRestartable as exc:
            messages.error(request, str(exc))
        return HttpResponseRedirect(job.get_absolute_url())
