"""Code tables of the national standards: content, lookups by code/name/alias, and data integrity."""

from __future__ import annotations

import csv

import pytest

from tongxin.core import codes

TABLE_FILES = sorted(codes.DATA_DIR.glob("*.csv"))


def raw_rows(path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# --- ethnicity ---------------------------------------------------------------------------------------


def test_ethnicity_has_56_groups_numbered_01_to_56_plus_97_98():
    table = codes.table("ethnicity")
    numbered = [e.code for e in table if e.code not in ("97", "98")]
    assert numbered == [f"{n:02d}" for n in range(1, 57)]
    assert {"97", "98"} <= {e.code for e in table}
    assert len(table) == 58
    assert table.get("01").name == "汉族"
    assert table.get("56").name == "基诺族"


@pytest.mark.parametrize("text", ["彝族", "彝", "07", "7", "Yi", "yi", " 彝 族 ", 7])
def test_ethnicity_lookup_of_yi(text):
    entry = codes.table("ethnicity").lookup(text)
    assert entry is not None and entry.code == "07" and entry.name == "彝族"


@pytest.mark.parametrize("text", ["火星族", "99", "", None, "   "])
def test_ethnicity_unknown_is_none(text):
    assert codes.table("ethnicity").lookup(text) is None


@pytest.mark.parametrize(
    ("text", "code"),
    [("汉", "01"), ("汉族", "01"), ("白族", "14"), ("Bai", "14"), ("傣", "18"), ("纳西族", "27"), ("HA", "01")],
)
def test_ethnicity_other_lookups(text, code):
    entry = codes.table("ethnicity").lookup(text)
    assert entry is not None and entry.code == code


# --- relationship -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "code"),
    [
        ("户主", "02"),
        ("本人", "01"),
        ("配偶", "10"),
        ("妻", "12"),
        ("妻子", "12"),
        ("夫", "11"),
        ("丈夫", "11"),
        ("子", "20"),
        ("儿子", "20"),
        ("女", "30"),
        ("女儿", "30"),
        ("长子", "22"),
        ("孙子", "41"),
        ("父亲", "51"),
        ("母亲", "52"),
    ],
)
def test_relationship_register_words(word, code):
    entry = codes.table("relationship").lookup(word)
    assert entry is not None and entry.code == code, (word, entry)


# --- political status, education, sex, registration status -------------------------------------


@pytest.mark.parametrize(
    ("word", "code"),
    [("中共党员", "01"), ("党员", "01"), ("中共预备党员", "02"), ("共青团员", "03"), ("群众", "13")],
)
def test_political_status(word, code):
    entry = codes.table("political_status").lookup(word)
    assert entry is not None and entry.code == code


@pytest.mark.parametrize(
    ("word", "code"),
    [("本科", "21"), ("大专", "31"), ("高中", "61"), ("初中", "71"), ("小学", "81"), ("硕士", "14")],
)
def test_education(word, code):
    entry = codes.table("education").lookup(word)
    assert entry is not None and entry.code == code


@pytest.mark.parametrize(("word", "code"), [("男", "1"), ("女", "2"), ("1", "1"), ("2", "2")])
def test_sex(word, code):
    entry = codes.table("sex").lookup(word)
    assert entry is not None and entry.code == code


@pytest.mark.parametrize(
    ("word", "code"),
    [("户籍人口", "household"), ("常住人口", "resident"), ("流动人口", "floating"), ("人户分离", "separated")],
)
def test_registration_status(word, code):
    entry = codes.table("registration_status").lookup(word)
    assert entry is not None and entry.code == code


def test_choices_and_name_of():
    assert codes.choices("sex")[1] == ("1", "男")
    table = codes.table("ethnicity")
    assert table.name_of("07") == "彝族"
    assert table.name_of("") == ""
    assert table.name_of("X9") == "X9"


def test_unknown_table_raises_key_error():
    with pytest.raises(KeyError):
        codes.table("no_such_table")


def test_every_shipped_file_is_a_listed_table():
    assert codes.names() == [p.stem for p in TABLE_FILES]
    assert {"ethnicity", "relationship", "political_status", "education", "sex", "registration_status"} <= set(
        codes.names()
    )


# --- integrity of the raw CSV files ----------------------------------------------------------------


@pytest.mark.parametrize("path", TABLE_FILES, ids=lambda p: p.stem)
def test_table_file_codes_and_names_are_unique(path):
    rows = raw_rows(path)
    assert rows, path
    table_codes = [r["code"].strip() for r in rows]
    names = [r["name"].strip() for r in rows]
    assert all(table_codes) and all(names)
    assert len(set(table_codes)) == len(table_codes), [c for c in table_codes if table_codes.count(c) > 1]
    assert len(set(names)) == len(names), [n for n in names if names.count(n) > 1]


def _norm(text: str) -> str:
    return "".join(text.split()).lower()


@pytest.mark.parametrize("path", TABLE_FILES, ids=lambda p: p.stem)
def test_no_alias_maps_to_two_codes(path):
    """Every key a lookup understands (code, name, short name, romanization, letter code, alias)
    belongs to one code only; numeric codes also match without a leading zero."""
    owners: dict[str, set[str]] = {}
    for row in raw_rows(path):
        code = row["code"].strip()
        keys = [code, row["name"]]
        if code.isdigit():
            keys.append(str(int(code)))
        for column in ("short_name", "romanization", "letter_code"):
            if row.get(column):
                keys.append(row[column])
        keys += [a for a in (row.get("aliases") or "").split("|") if a.strip()]
        for key in keys:
            owners.setdefault(_norm(key), set()).add(code)
    clashes = {k: sorted(v) for k, v in owners.items() if len(v) > 1}
    assert not clashes, clashes


@pytest.mark.parametrize("path", TABLE_FILES, ids=lambda p: p.stem)
def test_every_name_and_alias_looks_up_to_its_own_code(path):
    table = codes.table(path.stem)
    for row in raw_rows(path):
        code = row["code"].strip()
        for key in [row["name"], *[a for a in (row.get("aliases") or "").split("|") if a.strip()]]:
            entry = table.lookup(key)
            assert entry is not None and entry.code == code, (key, code, entry)
