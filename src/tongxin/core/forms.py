"""Form bases: scoped choices for every relation, Bootstrap classes, bulk edit."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongxin.core import privacy, scoping


def style(form: forms.BaseForm) -> None:
    """Give every widget its Bootstrap class."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select | forms.SelectMultiple):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")


class ScopedModelForm(forms.ModelForm):
    """A ModelForm whose relation choices are limited to what the user may see.

    The division the new row belongs to is limited to the divisions where the user may add the model. Personal
    data (core.privacy) is never sent back to the browser in clear: on an existing row its fields start empty,
    with the masked value as placeholder, and a field left empty keeps the stored value.
    """

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
