"""The clinic's health-check spreadsheet (体检结果): one row per check, the resident found by their ID number
(the register's keyed hash, within the communities where the user may import), the name checked against the
register's. A row whose resident is not in the register is refused with its row number and the masked ID."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from tongxin.care.forms import HealthCheckForm
from tongxin.care.models import HealthCheck
from tongxin.core import crypto, privacy, scoping
from tongxin.core.importer import ModelImporter


class HealthCheckImporter(ModelImporter):
    """体检结果 from the clinic's Excel, upserted by (resident, date)."""

    model = HealthCheck
    form = HealthCheckForm
    key = ("person", "checked_on")
    required_headers = ("person", "checked_on")
    headers = {
        "name": ["姓名"],
        "person": ["公民身份号码", "身份证号", "身份证号码", "证件号码"],
        "checked_on": ["体检日期", "日期", "检查日期"],
        "systolic": ["收缩压", "收缩压（mmHg）", "高压"],
        "diastolic": ["舒张压", "舒张压（mmHg）", "低压"],
        "glucose": ["空腹血糖", "血糖", "空腹血糖（mmol/L）"],
        "clinic": ["体检机构", "医疗机构", "卫生院"],
        "conclusion": ["体检结论", "结论", "备注"],
    }
    example = {"name": "张三", "person": "530424195001010013", "checked_on": "2024-05-10", "systolic": "138",
               "diastolic": "86", "glucose": "6.1", "clinic": "城关镇卫生院", "conclusion": "血压正常高值"}  # fmt: skip

    def resolve(self, fname: str, text: str) -> Any:
        """The resident by ID number (never echoing it in clear), other cells as the generic importer reads."""
        if fname != "person":
            return super().resolve(fname, text)
        from tongxin.registry.models import Person

        number = text.strip().upper()
        if not number:
            return ""
        persons = scoping.restrict(Person.objects.all(), self.user, "view")
        person = persons.filter(id_hash=crypto.keyed_hash("id", number)).only("pk", "name", "community_id").first()
        if person is None:
            return f"!{privacy.mask(number, 6, 1)}"
        self._found = person
        return person.pk

    def resolve_row(self, values: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
        """The row's data with the resident's community; the name must be the register's."""
        self._found = None
        data, errors = super().resolve_row(values)
        person = self._found
        if person is not None:
            data["community"] = person.community_id
            name = (values.get("name") or "").strip()
            if name and name != person.name:
                errors.append(_("姓名“%(n)s”与身份证号对应的居民不符") % {"n": name})
        return data, errors
