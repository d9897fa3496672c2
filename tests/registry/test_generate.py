"""Unit tests for :mod:`tongxin.registry.generate` (pure Python, no database)."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest

from tongxin.core import codes, idnumber, normalize
from tongxin.core.importer import read_rows
from tongxin.registry import generate
from tongxin.registry.generate import HEADERS, REFERENCE_DATE, Profile

MALE_RELATIONSHIPS = {"夫", "丈夫", "子", "儿子", "长子", "次子", "三子", "女婿", "孙子", "外孙子", "父亲"}
FEMALE_RELATIONSHIPS = {"妻", "妻子", "女", "女儿", "长女", "次女", "三女", "儿媳", "孙女", "外孙女", "母亲"}
CHILDREN = {"子", "儿子", "长子", "次子", "三子", "女", "女儿", "长女", "次女", "三女"}
GRANDCHILDREN = {"孙子", "孙女", "外孙子", "外孙女"}
CODED_COLUMNS = {
    "民族": "ethnicity",
    "与户主关系": "relationship",
    "政治面貌": "political_status",
    "文化程度": "education",
    "婚姻状况": "marital_status",
    "人口类型": "registration_status",
}
PARTY = {"01", "02"}


def political_code(text: str) -> str:
    entry = codes.table("political_status").lookup(text)
    return entry.code if entry else ""


def small(**overrides) -> Profile:
    """A small register for fast tests."""
    values = {
        "community_code": "530424001002",
        "community_name": "城关社区",
        "region": "530424",
        "address_prefix": "云南省玉溪市华宁县宁州街道城关社区",
        "households": 400,
        "persons": 1200,
        "groups": 5,
        "grids": ["CG01", "CG02", "CG03"],
        "ethnicities": {"汉族": 1000, "彝族": 150, "回族": 50},
        "party_branches": ["城关社区第一党支部", "城关社区第二党支部"],
        "party_members": 40,
        "probationary": 4,
        "seed": 5,
    }
    values.update(overrides)
    return Profile(**values)


def check_register(profile: Profile) -> list[dict[str, str]]:
    """Generate the register and check everything that must hold for any profile; return the rows."""
    table = list(generate.rows(profile))
    assert len(table) == profile.persons
    assert all(list(row) == HEADERS and all(isinstance(v, str) for v in row.values()) for row in table)

    # Households: contiguous, head first, exactly one head, one group and grid each.
    households = [list(g) for _number, g in itertools.groupby(table, key=lambda r: r["户号"])]
    assert len(households) == len({r["户号"] for r in table}) == profile.households
    for members in households:
        assert 1 <= len(members) <= 7
        assert members[0]["与户主关系"] == "户主"
        assert sum(1 for m in members if m["与户主关系"] == "户主") == 1
        assert len({normalize.group_number(m["居民小组"]) for m in members}) == 1
        assert len({m["网格"] for m in members}) == 1
        assert 1 <= normalize.group_number(members[0]["居民小组"]) <= profile.groups
        assert members[0]["网格"] in profile.grids

    # ID numbers: valid, unique, agreeing with the sex and birth date columns and the relationship.
    ids = set()
    for row in table:
        parsed = idnumber.parse(row["公民身份号码"], today=REFERENCE_DATE)
        ids.add(parsed.number)
        assert row["性别"] == ("男" if parsed.sex == "1" else "女")
        assert normalize.date(row["出生日期"]) == parsed.birth_date
        if row["与户主关系"] in MALE_RELATIONSHIPS:
            assert row["性别"] == "男", row
        if row["与户主关系"] in FEMALE_RELATIONSHIPS:
            assert row["性别"] == "女", row
    assert len(ids) == profile.persons

    # Exact totals from the profile.
    assert Counter(r["民族"] for r in table) == Counter(profile.ethnic_counts())
    party = [r for r in table if political_code(r["政治面貌"]) in PARTY]
    assert len(party) == profile.party_members
    assert sum(1 for r in party if political_code(r["政治面貌"]) == "02") == profile.probationary
    for row in table:
        age = idnumber.parse(row["公民身份号码"], today=REFERENCE_DATE).age_on(REFERENCE_DATE)
        if political_code(row["政治面貌"]) in PARTY:
            assert age >= 18
            assert row["所在党组织"] in profile.party_branches
        else:
            assert row["所在党组织"] == ""

    # Every coded value resolves through the code tables; phones are understood.
    for column, name in CODED_COLUMNS.items():
        unknown = {r[column] for r in table if r[column] and codes.table(name).lookup(r[column]) is None}
        assert not unknown, (column, unknown)
    assert all(r["姓名"] for r in table)
    assert all(normalize.phone(r["联系电话"])[1] for r in table)
    return table


def age(row: dict[str, str]) -> int:
    return idnumber.age_on(idnumber.parse(row["公民身份号码"], today=REFERENCE_DATE).birth_date, REFERENCE_DATE)


# --- the acceptance-test register ------------------------------------------------------------------------


def test_chengguan_register_has_the_exact_totals():
    profile = generate.chengguan()
    assert profile.community_code == "530424001002"
    table = check_register(profile)
    assert len(table) == 13456
    assert len({r["户号"] for r in table}) == 4434
    assert len({r["民族"] for r in table}) == 9
    assert sum(1 for r in table if political_code(r["政治面貌"]) in PARTY) == 310
    assert sum(1 for r in table if political_code(r["政治面貌"]) == "02") == 3
    assert len(profile.party_branches) == 13
    assert len({r["所在党组织"] for r in table if r["所在党组织"]}) == 13
    assert {normalize.group_number(r["居民小组"]) for r in table} == set(range(1, 11))
    assert {r["网格"] for r in table} == {f"CG{i:02d}" for i in range(1, 7)}
    assert table[0]["户号"] == "CG-00001" and table[-1]["户号"] == "CG-04434"
    # Polyphonic surnames are there for the search tests.
    surnames = Counter(r["姓名"][0] for r in table)
    assert all(surnames[s] > 0 for s in "曾单解仇区")


def test_taoyuan_has_23_ethnic_groups_and_615_minority_residents():
    profile = generate.taoyuan()
    assert profile.community_code == "530103002001"
    table = check_register(profile)
    ethnic = Counter(r["民族"] for r in table)
    assert len(ethnic) == 23
    assert sum(n for name, n in ethnic.items() if name != "汉族") == 615
    assert {r["网格"] for r in table} == {"TY01", "TY02", "TY03", "TY04"}


# --- realism ---------------------------------------------------------------------------------------------


def test_families_are_believable():
    table = list(generate.rows(generate.synthetic(6000, seed=11)))
    households = [list(g) for _n, g in itertools.groupby(table, key=lambda r: r["户号"])]
    sizes = Counter(len(h) for h in households)
    assert set(sizes) == set(range(1, 8))
    assert 2.8 < len(table) / len(households) < 3.2
    spouses = 0
    for members in households:
        head = members[0]
        head_age = age(head)
        assert head_age >= 18
        for m in members[1:]:
            rel, m_age = m["与户主关系"], age(m)
            if rel in CHILDREN:
                assert head_age - m_age >= 18, (head, m)
            elif rel in GRANDCHILDREN:
                assert head_age - m_age >= 36, (head, m)
            elif rel in ("父亲", "母亲"):
                assert m_age - head_age >= 18, (head, m)
            elif rel in ("配偶", "妻", "妻子", "夫", "丈夫"):
                spouses += 1
                assert m["性别"] != head["性别"]
                assert abs(m_age - head_age) <= 25
                assert m["姓名"][0] != head["姓名"][0] or m["姓名"][:2] == "欧阳"
            if m_age < 16:
                assert m["联系电话"] == "" and m["婚姻状况"] == "" and m["工作单位"] == ""
    assert spouses > len(households) / 3

    ages = [age(r) for r in table]
    children, elderly = sum(a < 15 for a in ages) / len(ages), sum(a >= 60 for a in ages) / len(ages)
    assert 0.10 < children < 0.25 and 0.12 < elderly < 0.30
    assert max(ages) <= 100

    # Mixed spellings as real files have them.
    births = [r["出生日期"] for r in table]
    assert any("-" in b for b in births) and any("/" in b for b in births)
    assert any("年" in b for b in births) and any(b.isdigit() for b in births)
    groups = [r["居民小组"] for r in table]
    assert any(g.endswith("居民小组") for g in groups) and any(g.endswith("组") and g[0].isdigit() for g in groups)
    assert any(g.isdigit() for g in groups)
    phones = [r["联系电话"] for r in table if r["联系电话"]]
    assert any(p.startswith("0877-") for p in phones) and sum(p.startswith("1") for p in phones) > len(phones) * 0.8
    assert sum(1 for r in table if r["联系电话"] and age(r) >= 18) > 0.7 * sum(1 for a in ages if a >= 18)
    assert any(r["政治面貌"] in ("共青团员", "团员") and 14 <= age(r) <= 28 for r in table)
    assert all(r["政治面貌"] not in ("共青团员", "团员") or 14 <= age(r) <= 28 for r in table)

    # Floating residents: most IDs are local, the ~3 % born elsewhere are all 流动人口.
    status = Counter(r["人口类型"] for r in table)
    assert set(status) == {"户籍人口", "常住人口", "流动人口", "人户分离"}
    assert 0.04 < status["流动人口"] / len(table) < 0.13
    outsiders = [r for r in table if not r["公民身份号码"].startswith("530424")]
    assert 0.01 < len(outsiders) / len(table) < 0.06
    assert all(r["人口类型"] == "流动人口" for r in outsiders)
    assert all(
        r["现住址"].startswith("云南省玉溪市华宁县宁州街道城关社区") for r in table if r["人口类型"] != "人户分离"
    )


# --- determinism and profiles ----------------------------------------------------------------------------


def test_same_seed_same_rows_other_seed_other_rows():
    assert list(generate.rows(generate.synthetic(800))) == list(generate.rows(generate.synthetic(800)))
    assert list(generate.rows(small())) == list(generate.rows(small()))
    assert list(generate.rows(small())) != list(generate.rows(small(seed=6)))


def test_small_profile_and_edge_sizes():
    check_register(small())
    check_register(small(households=50, persons=50, party_members=5, probationary=0, ethnicities={}))
    check_register(small(households=50, persons=350, party_members=20, probationary=1, ethnicities={"彝族": 7}))
    check_register(small(village=True, floating_share=0.5))
    rows = list(generate.rows(small(village=True)))
    assert any(r["居民小组"].endswith("村民小组") for r in rows)


@pytest.mark.parametrize("n", [1, 2, 7, 10, 99, 1000, 3001])
def test_synthetic_profiles_sum_exactly(n):
    profile = generate.synthetic(n)
    assert sum(profile.ethnic_counts().values()) == n
    assert profile.groups == 20 and profile.grids == [f"CG{i:02d}" for i in range(1, 7)]
    check_register(profile)


def test_ethnic_remainder_goes_to_han_and_bad_profiles_are_refused():
    assert small(ethnicities={"彝族": 100}).ethnic_counts() == {"彝族": 100, "汉族": 1100}
    assert small(ethnicities={"彝": 100, "汉族": 10}).ethnic_counts() == {"彝族": 100, "汉族": 1100}
    with pytest.raises(ValueError, match="more than"):
        small(ethnicities={"汉族": 1201}).validate()
    with pytest.raises(ValueError, match="unknown ethnic"):
        small(ethnicities={"火星族": 1}).validate()
    with pytest.raises(ValueError):
        next(generate.rows(small(persons=3000)))  # more than 7 per household
    with pytest.raises(ValueError):
        small(probationary=41).validate()
    with pytest.raises(ValueError):
        small(party_branches=[]).validate()


def test_household_numbers():
    assert small().household_prefix == "CG"
    assert small(grids=["01", "02"]).household_prefix == "H"
    numbers = list(dict.fromkeys(r["户号"] for r in generate.rows(small())))
    assert numbers == [f"CG-{i:05d}" for i in range(1, 401)]


# --- writing ---------------------------------------------------------------------------------------------


def test_xlsx_round_trip_with_title(tmp_path):
    profile = small(households=60, persons=180, ethnicities={"彝族": 20}, party_members=4, probationary=1)
    expected = list(generate.rows(profile))
    path = tmp_path / "花名册.xlsx"
    assert generate.write_xlsx(path, generate.rows(profile), title="城关社区居民花名册") == 180
    read = list(read_rows(path))
    assert read[0][0] == "城关社区居民花名册"
    assert read[1] == HEADERS
    assert [[("" if v is None else v) for v in row] for row in read[2:]] == [list(r.values()) for r in expected]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_csv_round_trip(tmp_path, encoding):
    profile = small(households=60, persons=180, ethnicities={"彝族": 20}, party_members=4, probationary=1)
    path = tmp_path / "花名册.csv"
    assert generate.write_csv(path, generate.rows(profile), encoding=encoding) == 180
    read = list(read_rows(path))
    assert read[0] == HEADERS
    assert read[1:] == [list(r.values()) for r in generate.rows(profile)]


# --- planted errors ---------------------------------------------------------------------------------------


def test_plant_errors_spoils_every_nth_row_and_logs_it():
    original = list(generate.rows(small()))
    planted = generate.plant_errors(iter(original), every=50, seed=3)
    spoilt = list(planted)
    assert len(spoilt) == len(original) == 1200
    planted_rows = [i for i in range(len(original)) if (i + 1) % 50 == 0]
    assert len(planted_rows) == 24
    kinds = [generate.ERROR_KINDS[k % 6] for k in range(24)]
    assert planted.counts() == dict.fromkeys(generate.ERROR_KINDS, 4)
    expected_log = []
    for index, kind in zip(planted_rows, kinds, strict=True):
        if kind == "duplicate_id":
            expected_log.append((index - 1, kind))
        expected_log.append((index, kind))
    assert planted.log == expected_log
    assert planted.planted == list(zip(planted_rows, kinds, strict=True))
    assert planted.rejected == {i for i, _k in expected_log}
    assert len(planted.rejected) == 24 + 4

    for i, (before, after) in enumerate(zip(original, spoilt, strict=True)):
        if i not in planted_rows:
            assert before == after
            continue
        kind = kinds[planted_rows.index(i)]
        changed = {k for k in HEADERS if before[k] != after[k]}
        if kind == "bad_check_digit":
            assert changed == {"公民身份号码"} and not idnumber.is_valid(after["公民身份号码"])
            assert after["公民身份号码"][:17] == before["公民身份号码"][:17]
        elif kind == "impossible_date":
            number = after["公民身份号码"]
            assert number[10:14] == "0230" and number[17] == idnumber.check_digit(number[:17])
            with pytest.raises(idnumber.IdNumberError, match="不存在"):
                idnumber.parse(number)
        elif kind == "missing_name":
            assert changed == {"姓名"} and after["姓名"] == ""
        elif kind == "unknown_ethnicity":
            assert changed == {"民族"} and codes.table("ethnicity").lookup(after["民族"]) is None
        elif kind == "sex_mismatch":
            assert changed == {"性别"}
            assert after["性别"] != ("男" if idnumber.parse(after["公民身份号码"]).sex == "1" else "女")
        elif kind == "duplicate_id":
            assert after["公民身份号码"] == spoilt[i - 1]["公民身份号码"] == original[i - 1]["公民身份号码"]
            assert after["性别"] == original[i - 1]["性别"] and after["出生日期"] == original[i - 1]["出生日期"]
            assert sum(1 for r in spoilt if r["公民身份号码"] == after["公民身份号码"]) == 2
    # Nothing else is duplicated.
    assert len({r["公民身份号码"] for r in spoilt}) == 1200 - 4


def test_plant_errors_on_the_acceptance_register():
    planted = generate.plant_errors(generate.rows(generate.chengguan()))
    assert sum(1 for _row in planted) == 13456
    assert len(planted.log) == 13 + 2  # 13 planted rows; the 2 duplicate_id ones also reject their source rows
    assert len(planted.rejected) == 15
    assert planted.counts() == {
        "bad_check_digit": 3,
        "impossible_date": 2,
        "missing_name": 2,
        "unknown_ethnicity": 2,
        "sex_mismatch": 2,
        "duplicate_id": 2,
    }
    with pytest.raises(ValueError):
        generate.plant_errors([], every=1)
