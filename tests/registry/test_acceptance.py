"""Acceptance: a generated 城关-sized register (13,456 rows, some planted bad rows) imports from the command
line with the exact counts, re-imports as unchanged, and the statistics match the file."""

import io
import json
from collections import Counter, defaultdict

import pytest
from django.core.management import call_command

from tongxin.core import codes, normalize
from tongxin.org.models import Division, Grid
from tongxin.registry import generate

pytestmark = pytest.mark.django_db


@pytest.fixture
def chengguan(world):
    yx = Division.objects.create(code="530400", name="玉溪市", level="city", parent=world.yn)
    hn = Division.objects.create(code="530424", name="华宁县", level="county", parent=yx)
    nz = Division.objects.create(code="530424001", name="宁州街道", level="street", parent=hn)
    cg = Division.objects.create(code="530424001002", name="城关社区", level="community", parent=nz)
    for i in range(1, 7):
        Grid.objects.create(community=cg, code=f"CG{i:02d}", name=f"城关第{i}网格")
    return cg


def run(path, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_register", str(path), "--community", "530424001002", *args, stdout=out, stderr=err)
    return json.loads(out.getvalue().strip().splitlines()[-1]), err.getvalue()


def test_chengguan_register_imports_with_exact_counts_and_matching_stats(chengguan, tmp_path):
    planted = generate.plant_errors(generate.rows(generate.chengguan()), every=997)
    rows = list(planted)
    path = tmp_path / "城关社区居民花名册.xlsx"
    generate.write_xlsx(path, rows, title="城关社区居民花名册")
    rejected = planted.rejected
    assert len(rows) == 13456 and len(rejected) >= 13

    accepted = [r for i, r in enumerate(rows) if i not in rejected]
    heads = Counter(r["户号"] for r in accepted if r["与户主关系"] in ("户主", "本人"))
    households = {r["户号"] for r in accepted}
    warned = sum(1 for r in accepted if heads[r["户号"]] != 1)

    summary, errors = run(path, "--errors", str(tmp_path / "errors.xlsx"))
    assert summary == {
        "rows": 13456,
        "created": len(accepted),
        "updated": 0,
        "unchanged": 0,
        "rejected": len(rejected),
        "warnings": warned,
        "households_created": len(households),
        "households_updated": 0,
    }
    assert "未导入" in errors

    from openpyxl import load_workbook

    sheet = load_workbook(tmp_path / "errors.xlsx", read_only=True).worksheets[0]
    error_rows = list(sheet.iter_rows(values_only=True))
    assert len(error_rows) == 1 + len(rejected)
    assert error_rows[0][-1] == "错误原因" and all(r[-1] for r in error_rows[1:])

    again, _err = run(path)
    assert again == {
        "rows": 13456,
        "created": 0,
        "updated": 0,
        "unchanged": len(accepted),
        "rejected": len(rejected),
        "warnings": warned,
        "households_created": 0,
        "households_updated": 0,
    }

    out = io.StringIO()
    call_command("stats", "--community", "530424001002", "--json", stdout=out)
    stats = json.loads(out.getvalue())
    ethnic = Counter(codes.table("ethnicity").lookup(r["民族"]).name for r in accepted)
    political = codes.table("political_status")
    party = [r for r in accepted if r["政治面貌"] and political.lookup(r["政治面貌"]).code in ("01", "02")]
    branches = {r["所在党组织"] for r in party}
    groups = defaultdict(int)
    for r in accepted:
        groups[normalize.group_name(normalize.group_number(r["居民小组"]))] += 1
    assert stats["households"] == len(households)
    assert stats["persons"] == len(accepted)
    assert stats["by_ethnicity"] == dict(ethnic)
    assert stats["ethnic_groups"] == len(ethnic) == 9
    assert stats["minority_persons"] == sum(n for name, n in ethnic.items() if name != "汉族")
    assert stats["party_members"] == len(party)
    assert stats["party_branches"] == len(branches) == 13
    assert stats["by_group"] == dict(groups)
    assert sum(stats["by_age_band"].values()) == len(accepted)
    assert sum(stats["by_sex"].values()) == len(accepted)
