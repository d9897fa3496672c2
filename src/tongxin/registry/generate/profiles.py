"""The profiles of generated registers: the reference day, the columns, the two communities of the articles
and synthetic ones."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from tongxin.core import codes, normalize

REFERENCE_DATE = datetime.date(2026, 6, 30)
"""The day ages are taken on: no one is born after it, and ages never depend on the wall clock."""

HEADERS: list[str] = [
    "户号",
    "姓名",
    "公民身份号码",
    "性别",
    "民族",
    "出生日期",
    "与户主关系",
    "居民小组",
    "网格",
    "现住址",
    "户籍地址",
    "联系电话",
    "人口类型",
    "政治面貌",
    "所在党组织",
    "文化程度",
    "婚姻状况",
    "工作单位",
    "备注",
]

HAN = "汉族"
BLOCK_HOUSEHOLDS = 256  # households held in memory at once (party members are chosen per block)
PARTY_MIN_AGE = 18


# --- profiles ------------------------------------------------------------------------------------------


@dataclass
class Profile:
    """What a generated register looks like: the community, its size and its exact totals.

    ``ethnicities`` gives exact person counts per ethnic group (GB/T 3304 names such as 汉族, 彝族).
    When the counts sum to less than ``persons`` the remainder is 汉族 (added to it, or a 汉族 entry
    is created); a sum above ``persons`` is an error. See :meth:`ethnic_counts`.
    """

    community_code: str  # 12 digits, e.g. "530424001002"
    community_name: str  # "城关社区"
    region: str  # 6-digit county code for most ID numbers, e.g. "530424"
    address_prefix: str  # "云南省玉溪市华宁县宁州街道城关社区"
    households: int  # exact number of households
    persons: int  # exact number of persons (rows)
    groups: int  # resident groups numbered 1..groups; households are spread over them in file order
    grids: list[str]  # grid codes; each household gets the grid of its group
    ethnicities: dict[str, int]  # exact person counts per ethnic group name
    party_branches: list[str]  # branch names
    party_members: int  # exact number of 中共党员 + 中共预备党员 (adults only), each with a branch
    probationary: int  # how many of them are 中共预备党员
    floating_share: float = 0.08  # share of households that are 流动人口 (a few more are 常住人口 / 人户分离)
    village: bool = False  # group names 村民小组 instead of 居民小组
    seed: int = 1

    @property
    def household_prefix(self) -> str:
        """The letters of the first grid code (``CG`` for ``CG01``), ``H`` when there are none."""
        letters = re.match(r"[A-Za-z]+", self.grids[0]) if self.grids else None
        return letters.group(0).upper() if letters else "H"

    def ethnic_counts(self) -> dict[str, int]:
        """The exact person count of each ethnic group, the remainder (if any) added to 汉族.

        Groups with a count of zero are left out. Raises ValueError for an unknown group name or
        counts summing to more than ``persons``.
        """
        table = codes.table("ethnicity")
        counts: dict[str, int] = {}
        for name, count in self.ethnicities.items():
            entry = table.lookup(name)
            if entry is None:
                raise ValueError(f"unknown ethnic group {name!r}")
            if count < 0:
                raise ValueError(f"negative count for {name}")
            counts[entry.name] = counts.get(entry.name, 0) + int(count)
        total = sum(counts.values())
        if total > self.persons:
            raise ValueError(f"ethnic counts sum to {total}, more than {self.persons} persons")
        if total < self.persons:
            counts[HAN] = counts.get(HAN, 0) + self.persons - total
        return {name: count for name, count in counts.items() if count}

    def validate(self) -> None:
        """Raise ValueError when the profile cannot be generated exactly."""
        if not re.fullmatch(r"\d{12}", self.community_code):
            raise ValueError("community_code must have 12 digits")
        if not re.fullmatch(r"\d{6}", self.region):
            raise ValueError("region must have 6 digits")
        if self.households < 1 or not self.households <= self.persons <= 7 * self.households:
            raise ValueError("need 1 <= households <= persons <= 7 * households (household sizes are 1 to 7)")
        if self.groups < 1 or not self.grids:
            raise ValueError("need at least one group and one grid")
        if not 0 <= self.probationary <= self.party_members:
            raise ValueError("need 0 <= probationary <= party_members")
        if self.party_members and not self.party_branches:
            raise ValueError("party members need at least one party branch")
        if self.party_members > self.persons // 3:
            raise ValueError("party_members cannot exceed a third of the persons")
        if not 0 <= self.floating_share <= 0.9:
            raise ValueError("floating_share must lie in 0..0.9")
        self.ethnic_counts()


def _branches(community: str, count: int) -> list[str]:
    special = ["离退休党支部", "流动党员党支部", "非公企业联合党支部", "机关企事业单位联合党支部"]
    numbered = max(count - len(special), (count + 1) // 2)
    names = [f"{community}第{_cn(i)}党支部" for i in range(1, numbered + 1)]
    names += [f"{community}{s}" for s in special[: count - numbered]]
    return names


def _cn(number: int) -> str:
    """一 .. 九十九 (the number part of 第十三党支部)."""
    return normalize.group_name(number)[1:-4]


def chengguan() -> Profile:
    """城关社区 (华宁县宁州街道): the acceptance-test register, 13,456 persons in 4,434 households.

    Nine ethnic groups: 汉族 11,900, 彝族 1,150, 回族 180, 哈尼族 85, 白族 60, 苗族 35, 壮族 25,
    傣族 12, 蒙古族 9. Thirteen party branches, 310 members of whom 3 are probationary.
    """
    return Profile(
        community_code="530424001002",
        community_name="城关社区",
        region="530424",
        address_prefix="云南省玉溪市华宁县宁州街道城关社区",
        households=4434,
        persons=13456,
        groups=10,
        grids=[f"CG{i:02d}" for i in range(1, 7)],
        ethnicities={
            "汉族": 11900,
            "彝族": 1150,
            "回族": 180,
            "哈尼族": 85,
            "白族": 60,
            "苗族": 35,
            "壮族": 25,
            "傣族": 12,
            "蒙古族": 9,
        },
        party_branches=_branches("城关社区", 13),
        party_members=310,
        probationary=3,
        seed=1,
    )


TAOYUAN_MINORITIES = {
    "彝族": 186,
    "白族": 95,
    "回族": 85,
    "哈尼族": 45,
    "纳西族": 35,
    "傣族": 30,
    "壮族": 25,
    "苗族": 25,
    "满族": 15,
    "蒙古族": 12,
    "傈僳族": 12,
    "拉祜族": 10,
    "佤族": 8,
    "藏族": 7,
    "布依族": 6,
    "土家族": 5,
    "瑶族": 4,
    "景颇族": 3,
    "朝鲜族": 3,
    "普米族": 2,
    "阿昌族": 1,
    "基诺族": 1,
}


def taoyuan() -> Profile:
    """桃源社区 (昆明市盘龙区鼓楼街道): 4,200 persons in 1,500 households of 23 ethnic groups.

    615 residents belong to the 22 minorities of :data:`TAOYUAN_MINORITIES`, the other 3,585 are
    汉族. Four party branches with 105 members, 2 of them probationary.
    """
    persons = 4200
    return Profile(
        community_code="530103002001",
        community_name="桃源社区",
        region="530103",
        address_prefix="云南省昆明市盘龙区鼓楼街道桃源社区",
        households=1500,
        persons=persons,
        groups=6,
        grids=[f"TY{i:02d}" for i in range(1, 5)],
        ethnicities={HAN: persons - sum(TAOYUAN_MINORITIES.values()), **TAOYUAN_MINORITIES},
        party_branches=_branches("桃源社区", 4),
        party_members=105,
        probationary=2,
        floating_share=0.12,
        seed=2,
    )


SYNTHETIC_SHARES = {  # share of persons per minority; 汉族 takes the remainder
    "彝族": 0.07,
    "回族": 0.015,
    "哈尼族": 0.008,
    "白族": 0.005,
    "苗族": 0.003,
    "壮族": 0.002,
    "傣族": 0.001,
    "蒙古族": 0.0008,
}


def synthetic(n_persons: int, seed: int = 7) -> Profile:
    """A register of ``n_persons`` rows for benchmarks: one community code (530424001002), about
    n/3 households, 20 groups, grids CG01..CG06, minorities by :data:`SYNTHETIC_SHARES` (rounded
    down) and 汉族 the rest, party members at 城关社区's rate (2.3 %)."""
    if n_persons < 1:
        raise ValueError("n_persons must be at least 1")
    households = max(1, round(n_persons / 3))
    ethnicities = {name: int(n_persons * share) for name, share in SYNTHETIC_SHARES.items()}
    ethnicities = {HAN: n_persons - sum(ethnicities.values()), **ethnicities}
    members = n_persons * 310 // 13456
    return Profile(
        community_code="530424001002",
        community_name="城关社区",
        region="530424",
        address_prefix="云南省玉溪市华宁县宁州街道城关社区",
        households=households,
        persons=n_persons,
        groups=20,
        grids=[f"CG{i:02d}" for i in range(1, 7)],
        ethnicities={k: v for k, v in ethnicities.items() if v},
        party_branches=_branches("城关社区", 13),
        party_members=members,
        probationary=members // 100,
        seed=seed,
    )


# --- vocabularies --------------------------------------------------------------------------------------

# Surnames with rough weights (per mille of the population, a little Yunnan-flavoured: 杨, 段, 普,
# 字 and 李 are common there). 曾 单 解 仇 区 查 乐 are polyphonic as surnames (Zēng, Shàn, Xiè,
# Qiú, Ōu, Zhā, Yuè), which the name search must handle.
