"""What a Django team would write with django-import-export to load the register into ``Person``.

One ``ModelResource`` with the register's Chinese headers as column names, small widgets for the coded
columns (民族 汉族 → "01") and the dates written many ways, keyed by the ID number's keyed hash (the
clear ID number is encrypted, so it cannot be looked up): ``before_import`` adds the ``id_hash`` and
``community`` columns, ``before_import_row`` fills them. Every other setting is django-import-export's
default: one transaction with a savepoint per row, a lookup per row, ``save()`` per row (so the model's
``save`` derives the lookup columns and the change-log signals run), a diff per row, no bulk writes.

It does *less* than Tongxin's import: no ID-number validation, no households or memberships, no
phone normalisation. That only flatters its rate.
"""

from __future__ import annotations

from import_export import fields, resources, widgets

from tongxin.core import codes, crypto, idnumber, normalize
from tongxin.registry.models import Person


class CodeWidget(widgets.CharWidget):
    """A coded column: the GB/T name or alias in the file → the code stored ('' when unknown)."""

    def __init__(self, table: str):
        super().__init__()
        self.table = table

    def clean(self, value, row=None, **kwargs):
        text = super().clean(value, row, **kwargs)
        if not text:
            return ""
        entry = codes.table(self.table).lookup(text.rstrip("性") if self.table == "sex" else text)
        return entry.code if entry else ""


class LooseDateWidget(widgets.DateWidget):
    """Dates written 1980-01-02, 19800102, 1980/1/2 or 1980年1月2日."""

    def clean(self, value, row=None, **kwargs):
        return normalize.date(value) if value not in (None, "") else None


def _text(header: str, attribute: str) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=header, widget=widgets.CharWidget())


def _code(header: str, attribute: str, table: str) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=header, widget=CodeWidget(table))


class PersonResource(resources.ModelResource):
    """The register's columns → ``Person`` fields, for one community."""

    name = _text("姓名", "name")
    id_number = _text("公民身份号码", "id_number")
    sex = _code("性别", "sex", "sex")
    ethnicity = _code("民族", "ethnicity", "ethnicity")
    birth_date = fields.Field(attribute="birth_date", column_name="出生日期", widget=LooseDateWidget())
    current_address = _text("现住址", "current_address")
    hukou_address = _text("户籍地址", "hukou_address")
    phone = _text("联系电话", "phone")
    registration_status = _code("人口类型", "registration_status", "registration_status")
    political_status = _code("政治面貌", "political_status", "political_status")
    education = _code("文化程度", "education", "education")
    marital_status = _code("婚姻状况", "marital_status", "marital_status")
    employer = _text("工作单位", "employer")
    notes = _text("备注", "notes")

    class Meta:
        model = Person
        fields = (
            "id_hash",
            "community",
            "name",
            "id_number",
            "sex",
            "ethnicity",
            "birth_date",
            "current_address",
            "hukou_address",
            "phone",
            "registration_status",
            "political_status",
            "education",
            "marital_status",
            "employer",
            "notes",
        )
        import_id_fields = ("id_hash",)

    def __init__(self, community_id: int, **kwargs):
        super().__init__(**kwargs)
        self.community_id = community_id

    def before_import(self, dataset, **kwargs):
        """The key and community columns the file does not have (filled row by row)."""
        for header in ("id_hash", "community"):
            if header not in dataset.headers:
                dataset.append_col([""] * len(dataset), header=header)

    def before_import_row(self, row, **kwargs):
        number = idnumber.normalize(row.get("公民身份号码") or "")
        row["id_hash"] = crypto.keyed_hash("id", number)
        row["community"] = self.community_id
