"""The register as a workbook: the import template and the export in the import's columns."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import IO

from django.utils.translation import gettext as _

from tongxin.core import codes
from tongxin.registry.models import (
    Person,
)
from tongxin.registry.register.common import (
    COLUMNS,
    EXAMPLE,
    HEADERS,
)

_CODE_COLUMNS = {
    "sex": "sex",
    "ethnicity": "ethnicity",
    "relationship": "relationship",
    "registration_status": "registration_status",
    "political_status": "political_status",
    "education": "education",
    "marital_status": "marital_status",
}


def _header(fname: str) -> str:
    return HEADERS[fname][0]


def template_workbook() -> bytes:
    """A blank register with the headers, drop-down lists for the coded columns and an example row."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = _("居民花名册")
    lists = wb.create_sheet(_("代码表"))
    ws.append([_header(f) for f in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.append([EXAMPLE.get(f, "") for f in COLUMNS])
    for idx, fname in enumerate(COLUMNS, start=1):
        letter = ws.cell(row=1, column=idx).column_letter
        ws.column_dimensions[letter].width = 20 if fname in ("id_number", "current_address", "hukou_address") else 12
        table = _CODE_COLUMNS.get(fname)
        if table is None:
            continue
        names = ["男", "女"] if table == "sex" else [e.name for e in codes.table(table)]
        col = lists.max_column + 1 if lists.max_row > 1 or lists.cell(1, 1).value else 1
        lists.cell(row=1, column=col, value=_header(fname))
        for r, name in enumerate(names, start=2):
            lists.cell(row=r, column=col, value=name)
        ref_letter = lists.cell(row=1, column=col).column_letter
        dv = DataValidation(
            type="list", formula1=f"'{lists.title}'!${ref_letter}$2:${ref_letter}${len(names) + 1}", allow_blank=True
        )
        dv.error = _("请从下拉列表中选择")
        dv.showErrorMessage = False  # aliases (妻, 长子, 中共党员) are accepted too
        ws.add_data_validation(dv)
        dv.add(f"{letter}2:{letter}20000")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def register_row(person: Person, reveal: bool) -> list[str]:
    """A person as a row of the register layout (ID number and phones masked, the birth date as its year, unless
    ``reveal``)."""
    from tongxin.core.privacy import mask

    def secret(value: str) -> str:
        return value if reveal or not value else mask(value)

    phones = [p for p in [person.phone, *person.phone_other.split(",")] if p]
    values = {
        "household_number": person.household.number if person.household_id else "",
        "name": person.name,
        "id_number": secret(person.id_number),
        "sex": codes.table("sex").name_of(person.sex),
        "ethnicity": codes.table("ethnicity").name_of(person.ethnicity),
        # the birth year only where the ID number is masked: the date is the part of the number the mask hides
        "birth_date": (person.birth_date.isoformat() if reveal or not person.id_hash else str(person.birth_date.year))
        if person.birth_date
        else "",
        "relationship": codes.table("relationship").name_of(person.relationship) if person.household_id else "",
        "group": person.group.name if person.group_id else "",
        "grid": person.grid.code if person.grid_id else "",
        "current_address": person.current_address,
        "hukou_address": person.hukou_address,
        "phone": ",".join(secret(p) for p in phones),
        "registration_status": codes.table("registration_status").name_of(person.registration_status),
        "political_status": codes.table("political_status").name_of(person.political_status),
        "party_branch": person.party_branch.name if person.party_branch_id else "",
        "party_joined": person.party_joined.isoformat() if person.party_joined else "",
        "education": codes.table("education").name_of(person.education),
        "marital_status": codes.table("marital_status").name_of(person.marital_status),
        "employer": person.employer,
        "occupation": person.occupation,
        "notes": person.notes,
    }
    return [values[f] for f in COLUMNS]


def write_register(out: IO[bytes], persons: Iterable[Person], *, reveal: bool | Callable[[Person], bool]) -> None:
    """Write the persons in the register layout as XLSX to the binary file ``out`` (write-only: constant
    memory, so that the worker writes a register of any size); re-imports as unchanged. ``reveal``: clear ID
    numbers and phones for every row, for none, or for the rows it accepts. Every cell is text (ID numbers and
    household numbers stay text); the header is frozen, filtered and the columns sized
    (:func:`tongxin.core.export.write_sheet`)."""
    from openpyxl import Workbook

    from tongxin.core.export import write_sheet

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("居民花名册"))
    rows = (register_row(person, reveal(person) if callable(reveal) else reveal) for person in persons)
    write_sheet(ws, [_header(f) for f in COLUMNS], rows)
    wb.save(out)


def register_workbook(persons: Iterable[Person], *, reveal: bool | Callable[[Person], bool]) -> bytes:
    """The persons in the register layout as XLSX bytes (:func:`write_register`): the export in the request."""
    import io

    buf = io.BytesIO()
    write_register(buf, persons, reveal=reveal)
    return buf.getvalue()
