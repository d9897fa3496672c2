"""Declarative generic views. A domain app writes a few lines::

    class GridViewSet(ObjectViewSet):
        model = Grid
        segment = "grids"
        table = GridTable
        filterset = GridFilterSet
        form = GridForm

    urlpatterns = GridViewSet.urls()

and gets list (filter, search, sort, paginate, export CSV/XLSX), detail with history, add/edit,
delete, bulk edit, bulk delete and bulk import, all scoped to the user and audited.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar

from django import forms as dj_forms
from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import models, transaction
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from tongxin.core import audit, files, paging, privacy, scoping
from tongxin.core.export import export_response
from tongxin.core.forms import BulkEditForm, StepForm
from tongxin.core.models import ObjectChange
from tongxin.core.registry import registry
from tongxin.core.tables import Table
from tongxin.core.workflow import Workflow

SEGMENT = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")


class OutOfScope(Exception):
    """A write would leave the user's scope."""


class ObjectViewSet:
    """The declaration of a model's pages. Subclass and set the attributes; call :meth:`urls`."""

    model: ClassVar[type[models.Model]]
    #: the URL and API path segment: the model's English name, plural, in kebab case ("party-branches",
    #: "categories"); declared, never derived, because English plurals cannot be
    segment: ClassVar[str] = ""
    table: ClassVar[type[Table]]
    filterset: ClassVar[type | None] = None
    form: ClassVar[type[dj_forms.ModelForm] | None] = None
    #: a different form for creating (e.g. a new account also needs a password and a first role)
    add_form: ClassVar[type[dj_forms.ModelForm] | None] = None
    bulk_edit_form: ClassVar[type[BulkEditForm] | None] = None
    importer: ClassVar[type | None] = None
    select_related: ClassVar[tuple[str, ...]] = ()
    prefetch_related: ClassVar[tuple[str, ...]] = ()
    detail_fields: ClassVar[tuple[str, ...]] = ()
    detail_template: ClassVar[str] = "core/object_detail.html"
    #: the model's workflow table (core.workflow): step buttons and forms, the step page and API endpoints
    workflow: ClassVar[Workflow | None] = None
    #: the form of a step's input (``note``, and the fields the steps name)
    step_form: ClassVar[type[dj_forms.Form]] = StepForm
    #: the related name of the model's photos and files (a core.files.FileAttachment model pointing at it):
    #: listed on the detail page and served by ``<segment>/<pk>/files/<file>/`` after a scope check
    files: ClassVar[str] = ""
    #: the key of the menu group the list is in (default: the group its model's module declares)
    menu_group: ClassVar[str] = ""
    icon: ClassVar[str] = "bi-list"
    #: further menu entries after the list: (label, URL name, icon, the permission action they need)
    menu_extra: ClassVar[tuple[tuple[str, str, str, str], ...]] = ()
    actions: ClassVar[tuple[str, ...]] = ("add", "import", "export", "bulk_edit", "bulk_delete", "delete", "change")

    @classmethod
    def queryset(cls) -> models.QuerySet:
        """The base queryset with the relations every page needs (no N+1)."""
        qs = cls.model._default_manager.all()
        if cls.select_related:
            qs = qs.select_related(*cls.select_related)
        prefetch = (*cls.prefetch_related, *((cls.files,) if cls.files not in ("", *cls.prefetch_related) else ()))
        if prefetch:  # the declared files too: the API lists them for every row
            qs = qs.prefetch_related(*prefetch)
        return qs

    @classmethod
    def detail_context(cls, request: HttpRequest, obj: models.Model) -> dict[str, Any]:
        """Extra context for the detail page (related panels); none by default."""
        return {}

    @classmethod
    def list_links(cls, request: HttpRequest) -> list[tuple[str, str, str]]:
        """Extra buttons on the list page: (label, URL, icon); none by default."""
        return []

    @classmethod
    def extra_urls(cls) -> list:
        """Further pages of the model (workflow actions); none by default."""
        return []

    @classmethod
    def check_delete(cls, user: Any, obj: models.Model) -> None:
        """Refuse (``ValidationError`` naming the object) deleting ``obj`` for a reason beyond permission and scope,
        e.g. a user's own role assignment. Called inside the delete's transaction by the pages and the API."""

    @classmethod
    def group(cls) -> str:
        """The menu group of the list: declared, or the one of the module that owns the model."""
        if cls.menu_group:
            return cls.menu_group
        module = apps.get_app_config(cls.model._meta.app_label)
        return module.menu_group.key if getattr(module, "menu_group", None) else ""

    @classmethod
    def path_segment(cls) -> str:
        """The declared :attr:`segment`; a viewset without one cannot be mounted (no guessed ``f"{name}s"``)."""
        if not SEGMENT.fullmatch(cls.segment or ""):
            raise ImproperlyConfigured(
                f"{cls.__name__}.segment must be the model's English plural in kebab case, e.g. 'party-branches'"
            )
        return cls.segment

    @classmethod
    def url_name(cls, action: str) -> str:
        meta = cls.model._meta
        return f"{meta.app_label}:{meta.model_name}_{action}"

    @classmethod
    def urls(cls) -> list:
        """URL patterns of every page of the model, under its declared :attr:`segment`."""
        name, seg = cls.model._meta.model_name, cls.path_segment()
        registry.register(cls)
        patterns = [
            path(f"{seg}/", ObjectListView.as_view(viewset=cls), name=f"{name}_list"),
            path(f"{seg}/<int:pk>/", ObjectDetailView.as_view(viewset=cls), name=f"{name}_detail"),
            path(f"{seg}/<int:pk>/history/", ObjectHistoryView.as_view(viewset=cls), name=f"{name}_history"),
        ]
        if cls.form is not None:
            if "add" in cls.actions:  # some rows are only made by another's workflow (a dispute with its case)
                patterns.append(path(f"{seg}/add/", ObjectEditView.as_view(viewset=cls), name=f"{name}_add"))
            patterns.append(path(f"{seg}/<int:pk>/edit/", ObjectEditView.as_view(viewset=cls), name=f"{name}_edit"))
        if "delete" in cls.actions:
            patterns.append(
                path(f"{seg}/<int:pk>/delete/", ObjectDeleteView.as_view(viewset=cls), name=f"{name}_delete")
            )
        if "bulk_delete" in cls.actions:
            patterns.append(path(f"{seg}/delete/", BulkDeleteView.as_view(viewset=cls), name=f"{name}_bulk_delete"))
        if cls.bulk_edit_form is not None:
            patterns.append(path(f"{seg}/edit/", BulkEditView.as_view(viewset=cls), name=f"{name}_bulk_edit"))
        if cls.workflow is not None:
            step = ObjectStepView.as_view(viewset=cls)
            patterns.append(path(f"{seg}/<int:pk>/step/<slug:step>/", step, name=f"{name}_step"))
        if cls.files:
            serve = ObjectFileView.as_view(viewset=cls)
            patterns.append(path(f"{seg}/<int:pk>/files/<int:file_pk>/", serve, name=f"{name}_file"))
            patterns.append(
                path(f"{seg}/<int:pk>/files/<int:file_pk>/thumb/", serve, {"thumb": True}, name=f"{name}_file_thumb")
            )
        if privacy.classes(cls.model):  # one generic, logged reveal per model with personal data
            reveal = ObjectRevealView.as_view(viewset=cls)
            patterns.append(path(f"{seg}/<int:pk>/reveal/", reveal, name=f"{name}_reveal"))
        if cls.importer is not None:
            from tongxin.core.views.imports import ImportStartView

            patterns.append(path(f"{seg}/import/", ImportStartView.as_view(viewset=cls), name=f"{name}_import"))
        return patterns + cls.extra_urls()


class ViewSetView(LoginRequiredMixin, View):
    """Base of the generic views: knows its viewset and the user's permissions."""

    viewset: type[ObjectViewSet] | None = None

    @property
    def model(self) -> type[models.Model]:
        return self.viewset.model

    def require(self, action: str) -> None:
        """403 unless the user holds ``action`` on the model somewhere."""
        if not scoping.has_perm(self.request.user, self.model, action):
            raise PermissionDenied

    def perms(self) -> dict[str, bool]:
        user = self.request.user
        return {a: scoping.has_perm(user, self.model, a) for a in scoping.ACTIONS}

    def base_context(self, **extra: Any) -> dict[str, Any]:
        meta = self.model._meta
        return {
            "viewset": self.viewset,
            "model_meta": meta,
            "verbose_name": meta.verbose_name,
            "verbose_name_plural": meta.verbose_name_plural,
            "list_url": reverse(self.viewset.url_name("list")),
            "perms": self.perms(),
            **extra,
        }

    def return_url(self, default: str) -> str:
        url = self.request.POST.get("return_url") or self.request.GET.get("return_url")
        if url and url_has_allowed_host_and_scheme(url, allowed_hosts={self.request.get_host()}):
            return url
        return default


def filtered(viewset: type[ObjectViewSet], request: HttpRequest, action: str = "view"):
    """(filterset, queryset): the scoped queryset filtered by the request's query string.

    Shared by the list page, its exports and the API list. An invalid filter leaves the queryset
    unfiltered here; the page shows the filter form's errors, the API answers 400.
    """
    qs = scoping.restrict(viewset.queryset(), request.user, action)
    if viewset.filterset is None:
        return None, qs
    fs = viewset.filterset(request.GET or None, queryset=qs, request=request)
    return fs, (fs.qs if fs.is_bound and fs.is_valid() else qs)


def apply_order(viewset: type[ObjectViewSet], qs: models.QuerySet, sort: str) -> tuple[models.QuerySet, str]:
    """Order by a table column (``name`` or ``-name``); unknown keys are ignored."""
    fields = viewset.table.order_fields()
    key = sort.lstrip("-")
    if key in fields:
        expr = fields[key]
        return qs.order_by(f"-{expr}" if sort.startswith("-") else expr, "pk"), sort
    return qs, ""


def page_size(value: str | None) -> int:
    """A requested page size, clamped to 1..MAX_PAGE_SIZE (default PAGE_SIZE); ValueError if not a number."""
    if value in (None, ""):
        return settings.PAGE_SIZE
    return max(1, min(int(value), settings.MAX_PAGE_SIZE))


#: the page sizes a list page offers (any size up to MAX_PAGE_SIZE is accepted in the query string)
PAGE_SIZES = (20, 50, 100, 200)


def page_rows(
    qs: models.QuerySet,
    bottom: int,
    top: int,
    load: Callable[[models.QuerySet], models.QuerySet],
    groups: paging.Groups | None = None,
) -> list:
    """Rows ``bottom:top`` of the ordered ``qs``, at a cost that does not grow with the depth of the page.

    An OFFSET query must walk every row before the page; walking only the primary keys in the ordering (no joined
    rows, annotations or prefetches: an index-only scan where the ordering has an index) keeps that cheap, and
    then just the page's rows are loaded — by ``load`` (annotations the page shows) — and put back in order. A list
    that comes in ``groups`` (persons by community) is cut by the groups' sizes instead, from the
    ``paging.GROUP_SKIP_FROM``-th row on: the keys of an OFFSET still had to be sorted, all of them.
    """
    if groups is not None and bottom >= paging.GROUP_SKIP_FROM:
        keys = groups.keys(bottom, top)
    else:
        keys = list(qs.prefetch_related(None).values_list("pk", flat=True)[bottom:top])
    if not keys:
        return []
    by_pk = {obj.pk: obj for obj in load(qs.filter(pk__in=keys).order_by())}
    return [by_pk[k] for k in keys if k in by_pk]


class KeyPaginator(Paginator):
    """Django's paginator (counts, page numbers, out-of-range pages) with :func:`page_rows` for each page's rows,
    so that page 200 costs what page 1 costs: one count, one query for the keys, one for the rows."""

    def __init__(self, object_list: models.QuerySet, per_page: int, load: Callable | None = None) -> None:
        if not object_list.ordered:  # a stable order, or rows could repeat or vanish between pages
            object_list = object_list.order_by("pk")
        super().__init__(object_list, per_page)
        self.load = load or (lambda rows: rows)
        self.groups: paging.Groups | None = None

    @cached_property
    def count(self) -> int:
        """The number of rows: the sum of the groups' sizes where the list comes in groups (one GROUP BY instead of
        the COUNT, which costs the same), else Django's count."""
        self.groups = paging.groups(self.object_list)
        return self.groups.total if self.groups is not None else self.object_list.count()

    def page(self, number: Any):
        """The page ``number`` (validated as Django's paginator does), its rows read by :func:`page_rows`."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        return self._get_page(page_rows(self.object_list, bottom, top, self.load, self.groups), number, self)


def list_buttons(viewset: type[ObjectViewSet], user: Any) -> dict[str, bool]:
    """Which buttons the list page shows, as booleans: a template given the viewset's classes (its importer, its
    forms) would call them, and a class that cannot be built without arguments reads as false (the 导入 button
    never showed)."""
    vs, model = viewset, viewset.model
    return {
        "can_add": vs.form is not None and "add" in vs.actions and scoping.has_perm(user, model, "add"),
        "can_import": vs.importer is not None and scoping.has_perm(user, model, "import"),
        "can_bulk_edit": vs.bulk_edit_form is not None and scoping.has_perm(user, model, "change"),
        "can_bulk_delete": "bulk_delete" in vs.actions and scoping.has_perm(user, model, "delete"),
    }


#: how many fields a row's card shows at phone width, besides its title
CARD_FIELDS = 6


def card_columns(table: Table) -> dict[str, list]:
    """The columns of the phone-width cards: the title (the linked columns, else the first) and the next few."""
    title = [c for c in table.columns if c.linkify] or table.columns[:1]
    return {"card_title": title, "card_fields": [c for c in table.columns if c not in title][:CARD_FIELDS]}


def pager_context(request: HttpRequest, page: Any) -> dict[str, Any]:
    """What the pagination bar's small GET form needs: the page sizes offered (with the current one), and the
    query string's other parameters as hidden fields, so that changing the size or jumping keeps the filters."""
    per_page = page.paginator.per_page
    keep = [(k, v) for k in request.GET for v in request.GET.getlist(k) if k not in ("page", "per_page", "partial")]
    return {
        "per_page": per_page,
        "page_sizes": sorted({*PAGE_SIZES, per_page}),
        "pager_params": keep,
        "show_pager": page.paginator.count > PAGE_SIZES[0],
    }


class ObjectListView(ViewSetView):
    """List page: filters, search, sortable columns, pagination, export of the filtered rows."""

    def get(self, request: HttpRequest) -> HttpResponse:
        self.require("view")
        if "suggest" in request.GET:
            return self.suggest(request)
        fmt = request.GET.get("export")
        fs, qs = filtered(self.viewset, request, "export" if fmt else "view")
        qs, sort = apply_order(self.viewset, qs, request.GET.get("sort", ""))
        columns = request.GET.getlist("columns")
        table = self.viewset.table(columns=columns, order=sort)
        if fmt in ("csv", "xlsx"):
            return self.export(fmt, qs, table)
        try:
            per_page = page_size(request.GET.get("per_page"))
        except ValueError:
            per_page = settings.PAGE_SIZE

        def reveal(rows: models.QuerySet) -> models.QuerySet:
            """The page's rows flagged for the quasi-identifiers the user may see in clear."""
            return privacy.annotate_reveal(rows, request.user)

        page = KeyPaginator(qs, per_page, load=reveal).get_page(request.GET.get("page"))
        table.rows = page.object_list
        query = request.GET.copy()
        query.pop("page", None)
        sort_query = query.copy()
        sort_query.pop("sort", None)
        ctx = self.base_context(
            table=table,
            page=page,
            filterset=fs,
            query=query.urlencode(),
            sort_query=sort_query.urlencode(),
            sort=sort,
            all_columns=self.viewset.table.all_columns(),
            filters_active=bool(fs) and any(request.GET.get(k) for k in fs.filters if k != "q"),
            list_links=self.viewset.list_links(request),
            **list_buttons(self.viewset, request.user),
            **pager_context(request, page),
            **card_columns(table),
        )
        template = (
            "core/_table.html"
            if request.headers.get("HX-Request") and request.GET.get("partial")
            else "core/object_list.html"
        )
        return render(request, template, ctx)

    def suggest(self, request: HttpRequest) -> HttpResponse:
        """``?suggest=<filter>&q=<text>``: the choices of a filter with too many for a <select> (core.forms.
        SuggestInput) that match the text, scoped to the user as the filter is; 404 for a name that is not one."""
        found = None
        if self.viewset.filterset is not None:
            fs = self.viewset.filterset(None, queryset=self.model._default_manager.none(), request=request)
            found = fs.suggest(request.GET["suggest"], request.GET.get("q", "")[:100])
        if found is None:
            raise Http404
        return JsonResponse({"results": found})

    def export(self, fmt: str, qs: models.QuerySet, table: Table) -> HttpResponse:
        """The filtered rows as a download; more than ``EXPORT_BACKGROUND_ROWS`` rows go to the worker and the
        user to the job's page (progress bar, then the download link). Either way the export is access-logged."""
        from tongxin.core import exportjobs
        from tongxin.core.export import export_columns

        self.require("export")
        cols, qs, personal, reveal = export_columns(self.model, self.request.user, qs, table)
        basename = str(self.model._meta.verbose_name_plural)
        total = exportjobs.wants_background(qs)
        if total is not None:
            job = exportjobs.start(self.request.user, self.model._meta.label, fmt, self.request.GET, total, basename)
            response = HttpResponseRedirect(job.get_absolute_url())
        else:
            response = export_response(fmt, cols, qs, basename)
        if personal or privacy.classes(self.model):
            log_export(self.request.user, self.model, qs, personal, reveal)
        return response


def common_community(qs: models.QuerySet) -> int | None:
    """The community all rows of ``qs`` belong to, or None (several, none, or not a community model)."""
    if getattr(qs.model, "scope_division", None) != "community":
        return None
    ids = list(qs.order_by().values_list("community_id", flat=True).distinct()[:2])
    return ids[0] if len(ids) == 1 else None


def log_export(user: Any, model: type[models.Model], qs: models.QuerySet, fields: list[str], reveal: bool) -> None:
    """The access-log entry of an export of personal data: the personal columns, how many rows, how many of
    them in clear, and the community when they all belong to one (so that its director sees the entry too)."""
    total = qs.count()
    clear = 0
    if reveal and fields:
        q = scoping.scope_q(user, model, "reveal")
        clear = total if q is None else (0 if q is scoping.NOTHING else qs.filter(q).count())
    audit.log_access(
        model,
        "export",
        fields=fields,
        row_count=total,
        community_id=common_community(qs),
        detail=(_("明文导出 %(n)s 行") % {"n": clear}) if clear else _("脱敏导出"),
    )


class ObjectDetailView(ViewSetView):
    """Detail page with the object's fields, related panels and recent history."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        from tongxin.core import hooks  # here, not at the top: this view alone renders the modules' panels

        self.require("view")
        obj = scoping.get_scoped_object(self.viewset.queryset(), request.user, "view", pk=pk)
        privacy.flag_reveal(obj, request.user)
        fields = self.viewset.detail_fields or self.viewset.table.fields
        table = self.viewset.table(columns=fields)
        rows = [(c.verbose_name, c.html(obj)) for c in table.get_columns(fields)]
        changes = object_changes(obj)[:10]
        ctx = self.base_context(
            object=obj,
            rows=rows,
            changes=changes,
            can_change=scoping.can(request.user, obj, "change"),
            can_delete=scoping.can(request.user, obj, "delete"),
            # what other modules show here (e.g. a person's cases): declared on their AppConfig, core/hooks.py
            detail_panels=hooks.detail_panels(request, obj),
            **self.viewset.detail_context(request, obj),
        )
        if privacy.classes(obj) and privacy.revealable(request.user, obj):  # the reveal box (a logged action)
            ctx["reveal_url"] = reverse(self.viewset.url_name("reveal"), kwargs={"pk": obj.pk})
        if self.viewset.workflow is not None:
            ctx["workflow_steps"] = step_forms(self.viewset, request.user, obj)
        if self.viewset.files:
            ctx["object_files"] = [
                (f, reverse(self.viewset.url_name("file"), kwargs={"pk": obj.pk, "file_pk": f.pk}))
                for f in getattr(obj, self.viewset.files).all()
            ]
        return render(request, self.viewset.detail_template, ctx)


def step_forms(viewset: type[ObjectViewSet], user: Any, obj: models.Model) -> list[dict[str, Any]]:
    """The steps ``user`` may take on ``obj`` now, each with its form and the fields it shows (the buttons)."""
    out = []
    for step in viewset.workflow.available(user, obj):
        form = viewset.step_form(obj=obj, auto_id=f"step-{step.name}-%s")
        out.append(
            {
                "step": step,
                "form": form,
                "url": reverse(viewset.url_name("step"), kwargs={"pk": obj.pk, "step": step.name}),
                "fields": [form[name] for name in step.fields],
                "note": form["note"] if step.note != "none" else None,
                "photos": form["photos"] if step.photos and "photos" in form.fields else None,
            }
        )
    return out


def error_text(exc: ValidationError) -> str:
    """A refused step's or write's messages on one line."""
    return "；".join(exc.messages)


class ObjectFileView(View):
    """A photo or file of an object (or its thumbnail), for whoever may view the object; a browser's session or
    an API client's token (core.files.serve)."""

    viewset: type[ObjectViewSet] | None = None

    def get(self, request: HttpRequest, pk: int, file_pk: int, thumb: bool = False) -> HttpResponse:
        model = self.viewset.model
        related = model._meta.get_field(self.viewset.files)
        rows = related.related_model._default_manager.filter(**{related.field.name: pk})
        return files.serve(request, rows, file_pk, owner=model, thumb=thumb)


class ObjectStepView(ViewSetView):
    """POST: take one workflow step on an object (the buttons of its page), then back to where the user was."""

    def post(self, request: HttpRequest, pk: int, step: str) -> HttpResponse:
        workflow = self.viewset.workflow
        if step not in {s.name for s in workflow.user_steps()}:
            raise Http404
        self.require("view")
        obj = scoping.get_scoped_object(self.viewset.queryset(), request.user, "view", pk=pk)
        label, name = workflow.label(step), workflow.describe(obj)
        back = request.POST.get("next") or obj.get_absolute_url()
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = obj.get_absolute_url()
        form = self.viewset.step_form(request.POST, request.FILES, obj=obj)
        if not form.is_valid():
            errs = "；".join(
                f"{form.fields[f].label}：{'、'.join(e)}" for f, e in form.errors.items() if f in form.fields
            )
            messages.error(request, _("操作失败：%(e)s") % {"e": errs})
            return HttpResponseRedirect(back)
        try:
            workflow.take_form(request.user, obj, step, form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, _("%(step)s失败：%(e)s") % {"step": label, "e": error_text(exc)})
        except PermissionDenied:
            messages.error(request, _("您无权对%(obj)s 进行“%(step)s”") % {"obj": name, "step": label})
        else:
            messages.success(request, _("%(obj)s：已%(step)s") % {"obj": name, "step": label})
        return HttpResponseRedirect(back)


class ObjectRevealView(ViewSetView):
    """POST: the clear personal values of one object for a user allowed to reveal them, as a fragment for the
    detail page's reveal box; one access-log entry per reveal (core.privacy)."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.require("view")
        obj = scoping.get_scoped_object(self.viewset.queryset(), request.user, "view", pk=pk)
        values = privacy.reveal(request.user, obj)
        rows = [(self.model._meta.get_field(name).verbose_name, value) for name, value in values.items()]
        return render(request, "core/_revealed.html", {"object": obj, "values": values, "rows": rows})


def object_changes(obj: models.Model) -> models.QuerySet:
    """The change log of one object (visible to whoever may view the object)."""
    ct = ContentType.objects.get_for_model(obj, for_concrete_model=False)
    return ObjectChange.objects.filter(content_type=ct, object_id=str(obj.pk)).select_related("user", "content_type")


class ObjectHistoryView(ViewSetView):
    """The full change history of one object."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.require("view")
        obj = scoping.get_scoped_object(self.viewset.queryset(), request.user, "view", pk=pk)
        page = Paginator(object_changes(obj), 50).get_page(request.GET.get("page"))
        return render(request, "core/object_history.html", self.base_context(object=obj, page=page))


def save_in_scope(user: Any, obj: models.Model, action: str, save) -> None:
    """Run ``save`` in a transaction and roll it back unless the result lies in the user's scope."""
    with transaction.atomic():
        save()
        if not scoping.restrict(type(obj)._default_manager.filter(pk=obj.pk), user, action).exists():
            raise OutOfScope


class ObjectEditView(ViewSetView):
    """Create (no pk) or edit a single object through the model's form."""

    def get_object(self, pk: int | None):
        if pk is None:
            self.require("add")
            return self.model()
        self.require("change")
        obj = scoping.get_scoped_object(self.viewset.queryset(), self.request.user, "change", pk=pk)
        obj._prechange = audit.serialize(obj)
        return obj

    def get_form(self, obj, data=None, files=None):
        initial = {k: v for k, v in self.request.GET.items() if k != "return_url"} if obj.pk is None else None
        form_class = (self.viewset.add_form if obj.pk is None else None) or self.viewset.form
        return form_class(data, files, instance=obj, user=self.request.user, initial=initial)

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        obj = self.get_object(pk)
        return self.render(obj, self.get_form(obj))

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        obj = self.get_object(pk)
        form = self.get_form(obj, request.POST, request.FILES)
        if form.is_valid():
            action = "change" if pk else "add"

            def save():
                form.save()

            try:
                save_in_scope(request.user, form.instance, action, save)
            except OutOfScope:
                form.add_error(None, _("保存失败：该对象将超出您的管辖范围"))
                return self.render(obj, form, status=403)
            created = pk is None
            msg = _("已新建%(model)s“%(obj)s”") if created else _("已修改%(model)s“%(obj)s”")
            messages.success(request, msg % {"model": self.model._meta.verbose_name, "obj": form.instance})
            if created and "_addanother" in request.POST:
                return HttpResponseRedirect(request.path)
            return HttpResponseRedirect(self.return_url(form.instance.get_absolute_url()))
        return self.render(obj, form, status=200)

    def render(self, obj, form, status: int = 200) -> HttpResponse:
        ctx = self.base_context(object=obj, form=form, return_url=self.return_url(""))
        return render(self.request, "core/object_edit.html", ctx, status=status)


class ObjectDeleteView(ViewSetView):
    """Delete one object after confirmation."""

    def get_object(self, pk: int):
        self.require("delete")
        return scoping.get_scoped_object(self.viewset.queryset(), self.request.user, "delete", pk=pk)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = self.get_object(pk)
        return render(request, "core/object_delete.html", self.base_context(object=obj))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = self.get_object(pk)
        label = str(obj)
        try:
            with transaction.atomic():
                self.viewset.check_delete(request.user, obj)
                obj.delete()
        except ValidationError as exc:
            messages.error(request, error_text(exc))
            return HttpResponseRedirect(obj.get_absolute_url())
        except (ProtectedError, RestrictedError) as exc:
            messages.error(
                request, _("无法删除“%(obj)s”：仍有关联的%(related)s") % {"obj": label, "related": blockers(exc)}
            )
            return HttpResponseRedirect(obj.get_absolute_url())
        messages.success(
            request, _("已删除%(model)s“%(obj)s”") % {"model": self.model._meta.verbose_name, "obj": label}
        )
        return HttpResponseRedirect(self.return_url(reverse(self.viewset.url_name("list"))))


def blockers(exc: ProtectedError | RestrictedError) -> str:
    """The kinds of related rows that keep an object from being deleted, for the message (e.g. 网格、角色授权)."""
    related = getattr(exc, "protected_objects", None) or getattr(exc, "restricted_objects", None) or ()
    names = sorted({str(o._meta.verbose_name) for o in related})
    return "、".join(names) or _("数据")


def selected_pks(request: HttpRequest) -> list[int]:
    """The ids of the rows ticked on a list page."""
    out = []
    for v in request.POST.getlist("pk"):
        try:
            out.append(int(v))
        except ValueError:
            continue
    return out


class BulkEditView(ViewSetView):
    """Edit the chosen fields of many objects at once; each object is saved (and audited) on its own."""

    def post(self, request: HttpRequest) -> HttpResponse:
        self.require("change")
        pks = selected_pks(request)
        qs = scoping.restrict(self.viewset.queryset(), request.user, "change").filter(pk__in=pks)
        form = self.viewset.bulk_edit_form(request.POST if "_apply" in request.POST else None, user=request.user)
        if "_apply" in request.POST and form.is_valid():
            changes = form.changes()
            count = 0
            current = None
            try:
                with transaction.atomic():
                    for current in qs:
                        self.apply(current, changes)
                        count += 1
                    still_mine = scoping.restrict(
                        self.model._default_manager.filter(pk__in=pks), request.user, "change"
                    )
                    if still_mine.count() != count:
                        raise OutOfScope
            except OutOfScope:
                messages.error(request, _("批量修改失败：部分对象将超出您的管辖范围，未修改任何对象"))
            except ValidationError as exc:  # names the object, the field and the value; nothing is saved
                messages.error(
                    request,
                    _("批量修改失败（未修改任何对象）：%(obj)s：%(err)s")
                    % {"obj": current, "err": "；".join(exc.messages)},
                )
            else:
                messages.success(
                    request, _("已修改 %(n)s 个%(model)s") % {"n": count, "model": self.model._meta.verbose_name}
                )
                return HttpResponseRedirect(self.return_url(reverse(self.viewset.url_name("list"))))
        return render(
            request,
            "core/bulk_edit.html",
            self.base_context(form=form, objects=qs, return_url=self.return_url("")),
        )

    def apply(self, obj: models.Model, changes: dict[str, Any]) -> None:
        """Set the changed fields on one object, validate and save it (the save is change-logged)."""
        obj._prechange = audit.serialize(obj)
        m2m = {name: value for name, value in changes.items() if self.model._meta.get_field(name).many_to_many}
        for name, value in changes.items():
            if name not in m2m:
                setattr(obj, name, value)
        obj.full_clean()
        obj.save()
        for name, value in m2m.items():
            getattr(obj, name).set(value)


class BulkDeleteView(ViewSetView):
    """Delete many objects after confirmation."""

    def post(self, request: HttpRequest) -> HttpResponse:
        self.require("delete")
        pks = selected_pks(request)
        qs = scoping.restrict(self.viewset.queryset(), request.user, "delete").filter(pk__in=pks)
        if "_confirm" in request.POST:
            count = 0
            try:
                with transaction.atomic():
                    for obj in qs:
                        self.viewset.check_delete(request.user, obj)
                        obj.delete()
                        count += 1
            except ValidationError as exc:
                messages.error(request, _("未删除任何对象：%(err)s") % {"err": error_text(exc)})
                return HttpResponseRedirect(self.return_url(reverse(self.viewset.url_name("list"))))
            except (ProtectedError, RestrictedError) as exc:
                messages.error(
                    request, _("无法删除：所选对象仍有关联的%(related)s，未删除任何对象") % {"related": blockers(exc)}
                )
                return HttpResponseRedirect(self.return_url(reverse(self.viewset.url_name("list"))))
            messages.success(
                request, _("已删除 %(n)s 个%(model)s") % {"n": count, "model": self.model._meta.verbose_name}
            )
            return HttpResponseRedirect(self.return_url(reverse(self.viewset.url_name("list"))))
        return render(request, "core/bulk_delete.html", self.base_context(objects=qs, return_url=self.return_url("")))
