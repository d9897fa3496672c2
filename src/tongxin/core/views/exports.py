"""The page of a background export (:mod:`tongxin.core.exportjobs`): a progress bar while the worker writes the
file, then its download link. A job is its owner's alone: anyone else gets 404, whatever their role."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from tongxin.core.export import XLSX_TYPE
from tongxin.core.models import ExportJob


class ExportJobView(LoginRequiredMixin, View):
    """The job page (polled by HTMX while the job runs) and, with ``?download=1``, the file."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = ExportJob.objects.filter(pk=pk, user=request.user).first()
        if job is None:
            raise Http404
        if request.GET.get("download"):
            if job.status != ExportJob.Status.DONE or not job.file:
                raise Http404
            content_type = XLSX_TYPE if job.fmt == ExportJob.Format.XLSX else "text/csv; charset=utf-8"
            response = FileResponse(job.file.open("rb"), content_type=content_type)
            response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(job.file_name)}"
            return response
        template = "core/_export_progress.html" if request.headers.get("HX-Request") else "core/export_job.html"
        return render(request, template, {"job": job})
