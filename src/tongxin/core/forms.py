"""Form bases: scoped choices for every relation, Bootstrap classes, bulk edit."""

from __future__ import annotations

import re
from functools import reduce
from operator import and_, or_
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from tongxin.core import privacy, scoping

#: the date picker of every form and filter: the browser's date input, holding ISO dates (it shows nothing for a
#: date written in the locale's format)
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def style(form: forms.BaseForm) -> None:
    """Give every widget its Bootstrap class; selects render their options without a template each."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select | forms.SelectMultiple):
            widget.attrs.setdefault("class", "form-select")
            if (widget.template_name, widget.option_template_name) == _SELECT_TEMPLATES:
                widget.__class__ = _quick(type(widget))
        else:
            widget.attrs.setdefault("class", "form-control")


def _attrs(attrs: dict[str, Any]) -> str:
    """Attributes as Django's ``attrs.html`` writes them: ``True`` bare, ``False`` and ``None`` left out."""
    out = []
    for name, value in attrs.items():
        if value is True:
            out.append(format_html(" {}", name))
        elif value is not False and value is not None:
            out.append(format_html(' {}="{}"', name, value))
    return "".join(out)


class QuickSelectMixin:
    """Renders a select as Django's select templates do, without rendering a template per option (a list page's
    filters spent tens of milliseconds in them)."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> str:
        context = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<select name="{}"{}>', context["name"], mark_safe(_attrs(context["attrs"])))]
        for group, options, _index in context["optgroups"]:
            if group:
                parts.append(format_html('<optgroup label="{}">', group))
            for option in options:
                attrs_html = mark_safe(_attrs(option["attrs"]))
                parts.append(
                    format_html('<option value="{}"{}>{}</option>', str(option["value"]), attrs_html, option["label"])
                )
            if group:
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("".join(parts))


_SELECT_TEMPLATES = (forms.Select.template_name, forms.Select.option_template_name)
_QUICK: dict[type, type] = {}


def _quick(cls: type) -> type:
    """``cls`` with :class:`QuickSelectMixin` (one subclass per widget class)."""
    if issubclass(cls, QuickSelectMixin):
        return cls
    if cls not in _QUICK:
        _QUICK[cls] = type(f"Quick{cls.__name__}", (QuickSelectMixin, cls), {})
    return _QUICK[cls]


class ScopedModelForm(forms.ModelForm):
    """A ModelForm whose relation choices are limited to what the user may see.

    The division the new row belongs to is limited to the divisions where the user may add the model. Personal
    data (core.privacy) is never sent back to the browser in clear: on an existing row its fields start empty,
    with the masked value as placeholder, and a field left empty keeps the stored value. The relations named in
    ``same_community`` (a resident, a household) must belong to the row's community.
    """

    same_community: tuple[str, ...] = ()

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.user = user
        model = self._meta.model
        division_field = getattr(model, "scope_division", None)
        for name, field in self.fields.items():
            if not isinstance(field, forms.ModelChoiceField):
                continue
            related = field.queryset.model
            if name == division_field and user is not None:
                action = "change" if self.instance.pk else "add"
                field.queryset = field.queryset.filter(
                    pk__in=scoping.allowed_divisions(user, model, action).values("pk")
                )
            elif user is not None and scoping.is_scoped(related):
                field.queryset = scoping.restrict(field.queryset, user, "view")
        self.stored_personal: dict[str, Any] = {}
        for name, kind in privacy.classes(model).items():
            stored = getattr(self.instance, name, None) if self.instance.pk else None
            if kind == privacy.QUASI and stored is not None and user is not None:
                privacy.flag_reveal(self.instance, user)  # a birth date is edited in clear by who may reveal it
                if getattr(self.instance, privacy.CAN_REVEAL, False):
                    continue
            if name in self.fields and stored not in (None, ""):
                self.stored_personal[name] = stored
                self.initial[name] = ""
                self.fields[name].required = False
                keep = _("（留空表示不修改）")
                self.fields[name].widget.attrs["placeholder"] = f"{privacy.mask_as(kind, stored)}  {keep}"
        style(self)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for name, stored in self.stored_personal.items():
            if cleaned.get(name) in (None, ""):  # left empty: the stored value stays
                cleaned[name] = stored
        community = cleaned.get("community")
        for name in self.same_community:
            row = cleaned.get(name)
            if row is not None and community is not None and row.community_id != community.pk:
                self.add_error(name, _("%(r)s 不属于 %(c)s") % {"r": row, "c": community})
        return cleaned


class BulkEditForm(forms.Form):
    """Base of bulk edit forms: only the fields a user fills in are applied."""

    model: type[models.Model]

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.user = user
        for name, field in self.fields.items():
            field.required = False
            if (
                isinstance(field, forms.ModelChoiceField)
                and user is not None
                and scoping.is_scoped(field.queryset.model)
            ):
                field.queryset = scoping.restrict(field.queryset, user, "view")
            if isinstance(field, forms.BooleanField):
                self.fields[name] = forms.NullBooleanField(
                    label=field.label,
                    required=False,
                    widget=forms.Select(choices=[("unknown", _("不修改")), ("true", _("是")), ("false", _("否"))]),
                )
        style(self)

    def changes(self) -> dict[str, Any]:
        """The cleaned values the user actually set."""
        return {
            k: v
            for k, v in self.cleaned_data.items()
            if v not in (None, "") and not (hasattr(v, "exists") and not v.exists())
        }


class ImportUploadForm(forms.Form):
    """Upload of a CSV/XLSX/XLS file for a bulk import."""

    file = forms.FileField(label=_("文件"), help_text=_("支持 .xlsx、.xls、.csv（UTF-8、UTF-16 或 GBK 编码）"))
    all_or_nothing = forms.BooleanField(label=_("全部无误才导入"), required=False)

    def clean_file(self):
        f = self.cleaned_data["file"]
        name = (f.name or "").lower()
        if not name.endswith((".xlsx", ".xls", ".csv")):
            raise forms.ValidationError(
                _("不支持的文件类型“%(name)s”，请上传 .xlsx、.xls 或 .csv 文件") % {"name": f.name}
            )
        if f.size > 200 * 1024 * 1024:
            raise forms.ValidationError(_("文件过大（超过 200 MB）"))
        return f

    def __init__(self, *args, communities=None, **kwargs):
        super().__init__(*args, **kwargs)
        if communities is not None:
            self.fields["community"] = forms.ModelChoiceField(
                communities, label=_("导入到社区/村"), initial=communities.first() if communities.count() == 1 else None
            )
            self.order_fields(["community", "file", "all_or_nothing"])
        style(self)


class MultipleFileInput(forms.ClearableFileInput):
    """A file input that takes several photos at once; ``data-shrink`` has tongxin.js shrink photos in the
    browser before the upload (weak signal), on every such input. Where only photos are expected
    (``accept="image/*"``) it offers the phone's back camera (``capture="environment"``)."""

    allow_multiple_selected = True

    def build_attrs(self, base_attrs: dict[str, Any], extra_attrs: dict[str, Any] | None = None) -> dict[str, Any]:
        """The input's attributes, with the shrinking always on and the camera offered for photo-only inputs."""
        attrs = super().build_attrs(base_attrs, extra_attrs)
        attrs.setdefault("data-shrink", "1600")
        if attrs.get("accept") == "image/*":
            attrs.setdefault("capture", "environment")
        return attrs


class MultipleFileField(forms.FileField):
    """Several uploaded files; each is checked (type by content, size) by :func:`tongxin.core.files.check_upload`."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/*,.pdf,.doc,.docx", "data-shrink": "1600"})
        )
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list:
        from tongxin.core.files import check_upload

        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        out = []
        for f in files:
            f = super().clean(f, initial)
            check_upload(f)
            out.append(f)
        return out


class StepForm(forms.Form):
    """The input of a workflow step (core.workflow): its note. A module whose steps take more (an assignee, a
    rating, photos) declares a subclass as its viewset's ``step_form``; each step reads the fields it names."""

    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)

    def __init__(self, *args: Any, obj: models.Model | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.obj = obj
        style(self)


# --- choices too many for a <select> -------------------------------------------------------------------------------

#: a choice field with more choices than this (after scoping) is a text input with suggestions, not a <select>
SUGGEST_THRESHOLD = 100
#: suggestions offered at most
SUGGEST_LIMIT = 20
#: the text columns a suggestion matches, where the model has them
SUGGEST_FIELDS = ("name", "code", "number", "topic", "title", "username")


def _where_field(model: type[models.Model]) -> str | None:
    """The relation naming where a choice lies (its community, or a division's parent), or None."""
    names = {f.name: f for f in model._meta.concrete_fields}
    if "community" in names and names["community"].is_relation:
        return "community"
    if "parent" in names and names["parent"].is_relation and "level" in names:
        return "parent"
    return None


def choice_label(obj: models.Model) -> str:
    """A choice as a suggestion shows it: with its community (a division: its parent) first, because groups,
    grids and party branches of different communities share names (第一居民小组)."""
    where = _where_field(type(obj))
    place = getattr(obj, where) if where and getattr(obj, f"{where}_id", None) else None
    return f"{place.name} · {obj}" if place is not None and hasattr(place, "name") else str(obj)


def suggestions(queryset: models.QuerySet, text: str, limit: int = SUGGEST_LIMIT) -> list[models.Model]:
    """The choices of ``queryset`` (already scoped) matching every word of ``text`` in a name, code, number or
    topic, or in the name of their community (``城关 第一`` finds 城关社区 · 第一居民小组); at most ``limit``."""
    model = queryset.model
    fields = [
        f.name for f in model._meta.concrete_fields if f.name in SUGGEST_FIELDS and isinstance(f, models.CharField)
    ]
    where = _where_field(model)
    if where:
        fields.append(f"{where}__name")
    words = [w for w in re.split(r"[\s·,，]+", text or "") if w]
    if not words or not fields:
        return []
    match = reduce(and_, (reduce(or_, (models.Q(**{f"{f}__icontains": w}) for f in fields)) for w in words))
    rows = queryset.filter(match)
    if where:
        rows = rows.select_related(where)
    return list(rows[:limit])


def few_choices(queryset: models.QuerySet, threshold: int | None = None) -> list[models.Model] | None:
    """The rows of ``queryset`` when there are at most ``threshold`` (default :data:`SUGGEST_THRESHOLD`), else None;
    reads at most threshold + 1 rows, in the queryset's order."""
    threshold = SUGGEST_THRESHOLD if threshold is None else threshold
    rows = list(queryset[: threshold + 1])
    return rows if len(rows) <= threshold else None


class SuggestInput(forms.TextInput):
    """A text input for one choice among thousands, instead of a <select> listing them all. The value sent is the
    choice's key, as the <select> sent it (links and bookmarks keep working); the browser offers the suggestions
    of a ``<datalist>`` that tongxin.js fills as the user types, from the list page's ``?suggest=<name>&q=``
    (scoped, at most :data:`SUGGEST_LIMIT`). Without JavaScript the user types a name or code, which the field
    resolves when one choice matches (:class:`SuggestChoiceField`)."""

    def __init__(self, queryset: models.QuerySet, attrs: dict[str, Any] | None = None):
        super().__init__(attrs)
        self.queryset = queryset

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> str:
        """The input, its datalist (holding the chosen option, labelled) and the chosen choice's label."""
        attrs = dict(attrs or {})
        list_id = f"{attrs.get('id') or 'id_' + name}-choices"
        attrs.update({"list": list_id, "data-suggest": name, "autocomplete": "off"})
        attrs.setdefault("placeholder", str(_("输入名称或编号")))
        chosen = None
        if value not in (None, "") and str(value).isdigit():
            chosen = suggestions_for_key(self.queryset, str(value))
        if chosen is not None:
            attrs["title"] = choice_label(chosen)
        html = super().render(name, value, attrs, renderer)
        if chosen is None:
            return format_html('{}<datalist id="{}"></datalist>', html, list_id)
        label = choice_label(chosen)
        return format_html(
            '{}<datalist id="{}"><option value="{}">{}</option></datalist>'
            '<div class="form-text small text-truncate">{}</div>',
            html,
            list_id,
            chosen.pk,
            label,
            label,
        )


def suggestions_for_key(queryset: models.QuerySet, key: str) -> models.Model | None:
    """The choice with this primary key, if the (scoped) queryset holds it."""
    where = _where_field(queryset.model)
    rows = queryset.select_related(where) if where else queryset
    return rows.filter(pk=key).first()


class SuggestChoiceField(forms.ModelChoiceField):
    """A model choice typed rather than picked: its key (what the suggestions send, and every existing link), or a
    name or code that only one choice matches. Several matches are refused with some of them named."""

    def to_python(self, value: Any) -> models.Model | None:
        if value in self.empty_values:
            return None
        text = str(value).strip()
        if text.isdigit():
            return super().to_python(text)
        found = suggestions(self.queryset, text, SUGGEST_LIMIT + 1)
        exact = [o for o in found if text in (choice_label(o), str(o), getattr(o, "code", None))]
        if len(found) == 1 or len(exact) == 1:
            return found[0] if len(found) == 1 else exact[0]
        if not found:
            raise ValidationError(_("没有与“%(text)s”匹配的选项"), code="invalid_choice", params={"text": text})
        shown = "；".join(choice_label(o) for o in found[:3])
        raise ValidationError(
            _("“%(text)s”匹配多项（如 %(shown)s），请输入更完整的名称或从建议中选择"),
            code="invalid_choice",
            params={"text": text, "shown": shown},
        )


def suggest_big_choices(form: forms.BaseForm, threshold: int | None = None) -> list[str]:
    """Turn each visible model choice field of ``form`` with more than ``threshold`` choices into a
    :class:`SuggestChoiceField` with a :class:`SuggestInput`; the names of the fields turned."""
    turned = []
    for name, field in list(form.fields.items()):
        if not isinstance(field, forms.ModelChoiceField) or isinstance(
            field, forms.ModelMultipleChoiceField | SuggestChoiceField
        ):
            continue
        if field.widget.is_hidden:
            continue
        rows = few_choices(field.queryset, threshold)
        if rows is not None:  # a <select>, of the rows just read (not read again to render it)
            if getattr(field, "null_label", None) is None:
                empty = [] if field.empty_label is None else [("", field.empty_label)]
                field.widget.choices = empty + [(field.prepare_value(o), field.label_from_instance(o)) for o in rows]
            continue
        form.fields[name] = SuggestChoiceField(
            queryset=field.queryset,
            required=field.required,
            label=field.label,
            help_text=field.help_text,
            widget=SuggestInput(field.queryset, attrs={"class": "form-control"}),
        )
        turned.append(name)
    return turned
