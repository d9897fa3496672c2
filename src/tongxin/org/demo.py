"""Demo organisation: 盘龙区鼓楼街道桃源社区 and 华宁县宁州街道城关社区, groups, grids, a user per role."""

from __future__ import annotations

from typing import Any

from tongxin.core.models import User
from tongxin.org import divisions
from tongxin.org.models import Division, Grid, Role, RoleAssignment

DEMO_PASSWORD = "Tongxin@2026"
TAOYUAN = "530103002001"
CHENGGUAN = "530424001002"
CN_NUM = "一二三四五六七八九十"

USERS = [
    # username, name, role, where (division code or grid code "community:grid")
    ("admin", "系统管理员", "administrator", None),
    ("official_gulou", "鼓楼街道干部", "official", "530103002"),
    ("official_ningzhou", "宁州街道干部", "official", "530424001"),
    ("director_taoyuan", "王芳", "director", TAOYUAN),
    ("director_chengguan", "李建华", "director", CHENGGUAN),
    ("worker_taoyuan", "张丽", "worker", TAOYUAN),
    ("worker_chengguan", "赵敏", "worker", CHENGGUAN),
    ("grid_taoyuan", "杨洋", "grid_member", f"{TAOYUAN}:TY01"),
    ("grid_chengguan", "普文", "grid_member", f"{CHENGGUAN}:CG01"),
    ("host_taoyuan", "段丽萍", "host", TAOYUAN),
]


def ensure_group(community: Division, number: int) -> Division:
    """Resident group N of a community (code = community code + 3-digit suffix)."""
    code = f"{community.code}{number:03d}"
    name = f"第{CN_NUM[number - 1] if number <= 10 else number}居民小组"
    group = Division.objects.filter(code=code).first()
    if group is None:
        group = Division.objects.create(
            code=code, name=name, level=Division.Level.GROUP, parent=community, source="演示数据"
        )
    return group


def ensure_grid(community: Division, code: str, name: str) -> Grid:
    grid = Grid.objects.filter(community=community, code=code).first()
    if grid is None:
        grid = Grid.objects.create(community=community, code=code, name=name)
    return grid


def run(stdout: Any) -> list[tuple[str, str, str, str]]:
    """Create (once) the demo divisions, groups, grids and users; return the logins."""
    rows = divisions.select(divisions.read_divisions(), ["530103", "530424"])
    counts = divisions.load(rows, source=divisions.SOURCE)
    stdout.write(f"divisions: {counts}")
    taoyuan = Division.objects.get(code=TAOYUAN)
    chengguan = Division.objects.get(code=CHENGGUAN)
    for n in range(1, 11):
        ensure_group(chengguan, n)
    for n in range(1, 7):
        ensure_group(taoyuan, n)
    for i, name in enumerate(["桃源东片", "桃源西片", "桃源南片", "桃源北片"], start=1):
        ensure_grid(taoyuan, f"TY{i:02d}", f"{name}网格")
    for i in range(1, 7):
        ensure_grid(chengguan, f"CG{i:02d}", f"城关第{CN_NUM[i - 1]}网格")
    logins = []
    for username, name, role_code, where in USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            admin = role_code == "administrator"  # the demo administrator may also use the Django admin
            user = User(username=username, name=name, is_staff=admin, is_superuser=admin)
            user.set_password(DEMO_PASSWORD)
            user.save()
        role = Role.objects.get(codename=role_code)
        division = grid = None
        label = "全部区域"
        if where and ":" in where:
            community_code, grid_code = where.split(":")
            grid = Grid.objects.get(community__code=community_code, code=grid_code)
            division = grid.community
            label = f"{division.name} · {grid.name}"
            if not grid.members.filter(pk=user.pk).exists():
                grid.members.add(user)
        elif where:
            division = Division.objects.get(code=where)
            label = division.full_name
        RoleAssignment.objects.get_or_create(user=user, role=role, division=division, grid=grid)
        logins.append((username, str(role.name), DEMO_PASSWORD, label))
    red = Grid.objects.get(community=chengguan, code="CG01")
    if red.party_member_id is None:
        red.party_member = User.objects.get(username="director_chengguan")
        red.save()
    return logins
