"""A deterministic generator of realistic community population registers (居民花名册).

Community workers keep their register as an Excel sheet, one row per person, households contiguous
with the head (户主) first. This module writes such registers for the demo data, the acceptance test
(城关社区, 13,456 persons with planted bad rows) and the import benchmark (100,000 to 1,000,000 rows).

It is pure Python (no database, no Django models) and deterministic: every random choice comes from
one ``random.Random(profile.seed)`` and ages are taken on the fixed :data:`REFERENCE_DATE`, never
on the wall clock. :func:`rows` streams: it keeps one block of households in memory at a time plus
small tables bounded by the number of distinct birth dates, so a million rows need little memory.

What a profile fixes exactly, and the generated register honours exactly:

* the number of persons (rows) and of households (distinct 户号);
* the number of persons of each ethnic group (:meth:`Profile.ethnic_counts`);
* the number of party members (all aged 18 or over, each with a 所在党组织) and of probationary ones.

Household numbers (户号) are ``<PREFIX>-<serial>``: the letters of the first grid code (``CG`` for
``CG01``; ``H`` when the grid codes have no letters), a dash and a zero-padded serial of at least
five digits numbering the households 1..N in file order, e.g. ``CG-00001``. They are unique within
the community and stay text when a spreadsheet program opens the file.

The cells are written the varied ways real files have them, all of which the importer must accept:
the birth date column as ``1980-01-02``, ``19800102``, ``1980/1/2`` or ``1980年1月2日``; the group
column as ``第一居民小组``, ``1组`` or ``1``; relationship, political status and education as GB/T
names or their common aliases (``妻``, ``中共党员``, ``本科``). Every coded value resolves through
:func:`tongxin.core.codes.table` lookups, sexes agree with ID numbers and with the relationships, and
every birth date column agrees with the ID number.

:func:`plant_errors` turns every n-th row into a row the importer must reject and logs what it did.
"""

from __future__ import annotations

import bisect
import csv
import datetime
import random
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tongxin.core import codes, idnumber, normalize

__all__ = [
    "HEADERS",
    "REFERENCE_DATE",
    "PlantedErrors",
    "Profile",
    "chengguan",
    "plant_errors",
    "rows",
    "synthetic",
    "taoyuan",
    "write_csv",
    "write_xlsx",
]

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
_SURNAMES = (
    "王70 李75 张65 刘50 陈45 杨48 黄20 赵22 吴18 周18 徐12 孙12 马14 朱12 胡11 郭10 何12 高10 林9 "
    "罗10 郑8 梁8 谢7 宋6 唐7 许6 韩5 冯5 邓5 曹5 彭5 曾6 肖5 田5 董4 袁4 潘4 于4 蒋4 蔡4 余4 杜4 "
    "叶4 程3 苏3 魏3 吕3 丁3 任3 沈3 姚3 卢3 姜3 崔3 钟3 谭3 陆3 汪3 范3 金3 石3 廖2 贾2 夏2 韦2 "
    "付2 方2 白3 邹2 孟2 熊2 秦2 邱2 江2 尹3 薛2 闫2 段4 雷2 侯2 龙2 史2 陶2 黎2 贺2 顾2 毛2 郝2 "
    "龚2 邵2 万2 钱2 严2 武2 戴2 普3 字1 施2 鲁2 岳1 祁1 保1 起1 单2 解2 仇2 区1 查1 乐1 翟1 欧阳1"
)
SURNAMES: tuple[str, ...] = tuple(re.sub(r"\d+", "", s) for s in _SURNAMES.split())
_SURNAME_CUM: list[int] = []
for _weight in (int(re.sub(r"\D", "", s)) for s in _SURNAMES.split()):
    _SURNAME_CUM.append((_SURNAME_CUM[-1] if _SURNAME_CUM else 0) + _weight)
del _weight

MALE_CHARS = (
    "伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清飞彬富顺信"
    "杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善厚庆磊民友裕河哲江超浩"
    "亮政谦奇之翰朗伯宏言若鸣朋斌栋维启克伦翔旭鹏泽晨辰士建家致树德行时泰盛雄钧冠策腾楠风航弘宇轩睿皓"
)
FEMALE_CHARS = (
    "秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳"
    "嘉琼勤珍贞莉桂娣叶璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨"
    "琰韵园艺咏卿澜纯毓悦昭冰爽琬茗羽希欣飘育滢馥筠柔竹凝晓欢霄枫芸菲寒伊亚宜可舒影荔丽阳妮宝思涵萱诗"
)

MOBILE_PREFIXES = tuple(
    str(n) for n in (*range(130, 140), *range(150, 160), *range(170, 190), 191, 193, 195, 198, 199) if n % 10 != 4
)
AREA_CODES = {"5301": ("0871", 8), "5303": ("0874", 7), "5304": ("0877", 7), "5323": ("0878", 7)}

OTHER_REGIONS = {  # where floating residents' ID numbers and registered addresses come from
    "530102": "云南省昆明市五华区",
    "530112": "云南省昆明市西山区",
    "532301": "云南省楚雄彝族自治州楚雄市",
    "530302": "云南省曲靖市麒麟区",
    "530381": "云南省曲靖市宣威市",
    "530402": "云南省玉溪市红塔区",
    "532501": "云南省红河哈尼族彝族自治州个旧市",
    "532901": "云南省大理白族自治州大理市",
    "530602": "云南省昭通市昭阳区",
}
TOWNS = ("城北镇", "河西镇", "青龙镇", "新街乡", "马街镇", "龙潭乡", "高桥镇", "石门乡")
VILLAGES = ("大村", "小寨", "新村", "上村", "下村", "河口", "石头寨", "龙树")
STREETS = (
    "宁州路",
    "文庙街",
    "新街",
    "东门街",
    "西门街",
    "南正街",
    "北正街",
    "建设路",
    "滨河路",
    "朝阳路",
    "人民路",
    "环城路",
    "青年路",
    "振兴路",
    "康宁路",
    "翠园路",
)
ESTATES = ("滨河小区", "康宁小区", "翠园小区", "阳光花园", "金色家园", "锦绣苑", "职工宿舍", "新城小区")
REMARKS = ("低保户", "残疾人", "退役军人", "外出务工", "特困供养", "重点关注", "在外读书")

REGISTRATION = ("户籍人口", "常住人口", "流动人口", "人户分离")

# Education by age: (upper age bound, [(value, weight), ...]); values are GB/T 4658 names or aliases.
_EDUCATION = (
    (5, [("", 1)]),
    (11, [("小学", 9), ("小学教育", 1)]),
    (14, [("初中", 8), ("小学", 2)]),
    (17, [("初中", 40), ("高中", 45), ("中专", 10), ("职高", 5)]),
    (22, [("高中", 35), ("大专", 25), ("本科", 25), ("大学本科毕业", 5), ("中专", 10)]),
    (
        40,
        [
            ("初中", 18),
            ("初中毕业", 2),
            ("高中", 18),
            ("中专", 10),
            ("大专", 20),
            ("大学专科毕业", 2),
            ("本科", 20),
            ("大学本科毕业", 4),
            ("硕士研究生毕业", 4),
            ("博士", 1),
        ],
    ),
    (60, [("小学", 14), ("初中", 34), ("高中", 24), ("普通高中毕业", 2), ("中专", 10), ("大专", 9), ("本科", 7)]),
    (75, [("文盲", 8), ("小学", 35), ("初中", 30), ("高中", 15), ("中专", 6), ("大专", 4), ("本科", 2)]),
    (200, [("文盲", 28), ("半文盲", 4), ("小学", 45), ("初中", 14), ("高中", 6), ("中专", 3)]),
)


def _table(pairs: Sequence[tuple[str, int]]) -> tuple[tuple[str, ...], list[int]]:
    values = tuple(v for v, _w in pairs)
    cum: list[int] = []
    for _v, weight in pairs:
        cum.append((cum[-1] if cum else 0) + weight)
    return values, cum


EDUCATION_BOUNDS = [bound for bound, _pairs in _EDUCATION]
EDUCATION_TABLES = [_table(pairs) for _bound, pairs in _EDUCATION]

# Household make-ups by size: (spouse, parents of the head, children, child married, grandchildren),
# weight. size = 1 + spouse + parents + children + married + grandchildren; "married" means the first
# child lives here with his wife (儿媳) or her husband (女婿) and their children (孙子女).
_MAKEUPS = {
    1: [((0, 0, 0, 0, 0), 1)],
    2: [((1, 0, 0, 0, 0), 65), ((0, 0, 1, 0, 0), 35)],
    3: [((1, 0, 1, 0, 0), 70), ((1, 1, 0, 0, 0), 10), ((0, 0, 2, 0, 0), 10), ((0, 0, 1, 1, 0), 10)],
    4: [
        ((1, 0, 2, 0, 0), 50),
        ((1, 1, 1, 0, 0), 22),
        ((1, 0, 1, 1, 0), 10),
        ((0, 0, 1, 1, 1), 10),
        ((1, 2, 0, 0, 0), 8),
    ],
    5: [
        ((1, 2, 1, 0, 0), 30),
        ((1, 0, 1, 1, 1), 40),
        ((1, 0, 3, 0, 0), 12),
        ((1, 1, 2, 0, 0), 12),
        ((0, 0, 1, 1, 2), 6),
    ],
    6: [((1, 0, 1, 1, 2), 45), ((1, 2, 2, 0, 0), 30), ((1, 0, 2, 1, 1), 25)],
    7: [((1, 0, 1, 1, 3), 25), ((1, 1, 1, 1, 2), 30), ((1, 2, 3, 0, 0), 25), ((1, 0, 2, 1, 2), 20)],
}
for _size, _options in _MAKEUPS.items():
    assert all(1 + sum(m) == _size for m, _w in _options), _size
MAKEUPS = {size: _table([(m, w) for m, w in options]) for size, options in _MAKEUPS.items()}
del _size, _options

SIZE_WEIGHTS = (0.20, 0.26, 0.22, 0.15, 0.10, 0.05, 0.02)  # household sizes 1..7, urban Yunnan-like

SON_NAMES = ("长子", "次子", "三子", "四子", "五子")
DAUGHTER_NAMES = ("长女", "次女", "三女", "四女", "五女")


def _size_table(mean: float) -> list[float]:
    """Cumulative weights of sizes 1..7: :data:`SIZE_WEIGHTS` exponentially tilted to ``mean``."""

    def tilted(t: float) -> list[float]:
        return [w * t**i for i, w in enumerate(SIZE_WEIGHTS)]

    lo, hi = 1e-4, 1e4
    for _ in range(100):
        mid = (lo * hi) ** 0.5
        weights = tilted(mid)
        m = sum((i + 1) * w for i, w in enumerate(weights)) / sum(weights)
        lo, hi = (mid, hi) if m < mean else (lo, mid)
    weights = tilted((lo * hi) ** 0.5)
    total = sum(weights)
    cum, acc = [], 0.0
    for w in weights:
        acc += w / total
        cum.append(acc)
    cum[-1] = 1.0
    return cum


# --- the generator -------------------------------------------------------------------------------------


class _Pool:
    """Exact counts drawn without replacement: every draw takes one unit, so the totals come out exact."""

    def __init__(self, counts: dict[str, int], rng: random.Random):
        self.names = list(counts)
        self.left = list(counts.values())
        self.total = sum(self.left)
        self.rng = rng

    def take(self, preferred: int = -1) -> int:
        """Index of the group taken: ``preferred`` while it has units left, else one drawn in proportion."""
        left = self.left
        if preferred >= 0 and left[preferred]:
            left[preferred] -= 1
            self.total -= 1
            return preferred
        r = self.rng.randrange(self.total)
        i = 0
        while r >= left[i]:
            r -= left[i]
            i += 1
        left[i] -= 1
        self.total -= 1
        return i


class _Generator:
    def __init__(self, profile: Profile):
        profile.validate()
        self.p = profile
        self.rng = random.Random(profile.seed)
        self.pool = _Pool(profile.ethnic_counts(), self.rng)
        self.ref_ord = REFERENCE_DATE.toordinal()
        self.sequences: dict[str, dict[int, int]] = {}  # region → (birth ordinal * 2 + male) → numbers used
        self.size_cum = _size_table(profile.persons / profile.households)
        prefix = profile.address_prefix
        counties = re.findall(r"[^省市州县区]+?(?:县|区|市)", prefix.split("省", 1)[-1])
        self.county = counties[1] if len(counties) > 1 else (counties[0] if counties else "")
        self.county_prefix = prefix[: prefix.find(self.county) + len(self.county)] if self.county else prefix
        city = counties[0] if len(counties) > 1 else ""
        c = self.county
        self.employers = (
            f"{c}人民医院",
            f"{c}人民政府",
            f"{c}第一中学",
            f"{c}第二小学",
            f"{c}市场监督管理局",
            f"{c}供电局",
            f"{c}自来水公司",
            f"中国农业银行{c}支行",
            f"中国邮政{c}分公司",
            f"{city}建设工程有限公司",
            f"{city}商贸有限公司",
            "个体经营",
            "个体经营",
            "个体工商户",
            "自由职业",
            "灵活就业",
            "外出务工",
        )
        self.area_code, self.area_digits = AREA_CODES.get(profile.region[:4], ("0871", 8))
        self.other_regions = [r for r in OTHER_REGIONS if r != profile.region]
        width = max(5, len(str(profile.households)))
        self.household_format = f"{profile.household_prefix}-{{:0{width}d}}"
        self.han = self.pool.names.index(HAN) if HAN in self.pool.names else -1

    # -- people ----------------------------------------------------------------------------------------

    def surname(self) -> str:
        rng = self.rng
        return SURNAMES[bisect.bisect_right(_SURNAME_CUM, rng.random() * _SURNAME_CUM[-1])]

    def other_surname(self, not_this: str) -> str:
        while True:
            name = self.surname()
            if name != not_this:
                return name

    def given_name(self, male: bool, age: int) -> str:
        rng = self.rng
        chars = MALE_CHARS if male else FEMALE_CHARS
        if rng.random() < (0.25 if age >= 50 else 0.1):
            return rng.choice(chars)
        return rng.choice(chars) + rng.choice(chars)

    def id_number(self, region: str, age: int, male: bool) -> tuple[str, datetime.date]:
        """A valid ID number unique in the register, and the birth date it carries."""
        rng = self.rng
        birth_ord = self.ref_ord - age * 365 - age // 4 - rng.randrange(365)
        used = self.sequences.setdefault(region, {})
        while True:
            key = birth_ord * 2 + male
            count = used.get(key, 0)
            if count < 499:
                break
            birth_ord -= 1  # 499 numbers of that sex used on that day: the next day back
        used[key] = count + 1
        # Slot ``count`` (0..498) of a fixed permutation of the 500 numbers of that sex (odd for men);
        # the slot that would give 000, never issued, takes the otherwise unused slot 499 instead.
        start = (birth_ord * 37 + 11) % 500
        seq = 2 * ((start + 37 * count) % 500) + male
        if not seq:
            seq = 2 * ((start + 37 * 499) % 500)
        birth = datetime.date.fromordinal(birth_ord)
        return idnumber.make(region, birth, seq), birth

    # -- households ------------------------------------------------------------------------------------

    def sizes(self) -> Iterator[int]:
        """Household sizes 1..7 that sum exactly to ``persons`` over exactly ``households``."""
        rng, cum = self.rng, self.size_cum
        n, h = self.p.persons, self.p.households
        assigned = 0
        for k in range(h):
            size = bisect.bisect_right(cum, rng.random()) + 1
            ahead = assigned * h - k * n  # > 0: more persons placed than the average would give
            if ahead > 3 * h and size > 1:
                size -= 1
            elif ahead < -3 * h and size < 7:
                size += 1
            left_h, left_n = h - k - 1, n - assigned
            size = max(size, left_n - 7 * left_h, 1)
            size = min(size, left_n - left_h, 7)
            assigned += size
            yield size

    def makeup(self, size: int) -> list[list]:
        """The members of a household: [relationship, male, age, surname, marital, ethnicity index]."""
        rng = self.rng
        values, cum = MAKEUPS[size]
        spouse, parents, children, married, grands = values[bisect.bisect_right(cum, rng.random() * cum[-1])]
        r = rng.random()
        # The head's age, from the make-up.
        if married:
            age = rng.randint(52, 64) if parents else rng.randint(52, 82) if grands else rng.randint(45, 78)
        elif children:
            lo = 26 if spouse else 32
            if parents:
                age = rng.randint(lo, 58)
            else:
                age = rng.randint(lo + 6, 54) if r < 0.7 else rng.randint(lo, 68 if spouse else 75)
        elif parents:
            age = rng.randint(22, 60)
        elif spouse:
            age = rng.randint(22, 54) if r < 0.45 else rng.randint(55, 88)
        else:
            age = rng.randint(18, 59) if r < 0.55 else min(rng.randint(60, 85), rng.randint(60, 99))
        if spouse:
            male = rng.random() < 0.75
        elif children:
            male = rng.random() < 0.38
        else:
            male = rng.random() < (0.35 if age >= 65 else 0.55)
        pool = self.pool
        head_surname = self.surname()
        head_eth = pool.take()
        if spouse:
            marital = "已婚" if rng.random() < 0.93 else ("初婚" if rng.random() < 0.7 else "再婚")
        elif children:
            marital = "丧偶" if age >= 55 and rng.random() < 0.6 else ("离婚" if rng.random() < 0.7 else "丧偶")
        elif age >= 60:
            marital = ("丧偶", "丧偶", "丧偶", "丧偶", "丧偶", "丧偶", "已婚", "离婚", "未婚", "离婚")[
                rng.randrange(10)
            ]
        else:
            marital = "未婚" if age < 35 and rng.random() < 0.85 else ("未婚", "离婚", "离婚", "已婚")[rng.randrange(4)]
        members = [["户主", male, age, head_surname, marital, head_eth]]
        youngest_parent = age
        line_surname = head_surname  # the children's surname
        spouse_surname = ""
        spouse_eth = head_eth
        if spouse:
            gap = round(rng.gauss(2.5, 3))
            s_age = max(42 if married else 20, age - gap if male else age + gap)
            spouse_surname = self.other_surname(head_surname)
            spouse_eth = pool.take(head_eth if rng.random() < 0.8 else -1)
            if male:
                rel = ("配偶", "配偶", "妻", "妻", "妻子")[rng.randrange(5)]
            else:
                rel = ("配偶", "配偶", "配偶", "夫", "丈夫")[rng.randrange(5)]
                line_surname = spouse_surname
            members.append([rel, not male, s_age, spouse_surname, "已婚", spouse_eth])
            youngest_parent = min(age, s_age)
        elif children and not male and rng.random() < 0.25:
            line_surname = self.surname()  # the absent father's
        if children:
            kids = []
            child_age = youngest_parent - (rng.randint(22, 30) if married else rng.randint(22, 34))
            child_age = max(child_age, 22 if married else 3 * (children - 1))  # room for the younger ones
            child_age = min(child_age, youngest_parent - 20)
            if child_age < 0:
                child_age = rng.randint(0, max(0, youngest_parent - 20))
            for i in range(children):
                if i:
                    child_age = max(0, child_age - rng.randint(1, 6))
                child_male = rng.random() < (0.75 if married and i == 0 else 0.515)
                surname = line_surname
                if spouse and rng.random() < 0.04:
                    surname = spouse_surname if male else head_surname  # the mother's
                eth = pool.take(head_eth if rng.random() < 0.5 else spouse_eth)
                kids.append([child_male, child_age, surname, eth])
            n_sons = sum(1 for k in kids if k[0])
            n_daughters = len(kids) - n_sons
            sons = daughters = 0
            for i, (child_male, child_age, surname, eth) in enumerate(kids):
                if child_male:
                    rel = SON_NAMES[sons] if n_sons > 1 else ("子", "子", "子", "儿子")[rng.randrange(4)]
                    sons += 1
                else:
                    rel = DAUGHTER_NAMES[daughters] if n_daughters > 1 else ("女", "女", "女", "女儿")[rng.randrange(4)]
                    daughters += 1
                if married and i == 0:
                    marital = "已婚"
                elif child_age < 16:
                    marital = ""
                elif child_age < 25 or rng.random() < 0.8:
                    marital = "未婚"
                else:
                    marital = "离婚"
                members.append([rel, child_male, child_age, surname, marital, eth])
                if married and i == 0:
                    in_law_age = max(
                        20, child_age + (-round(rng.gauss(2.5, 3)) if child_male else round(rng.gauss(2.5, 3)))
                    )
                    in_law_surname = self.other_surname(surname)
                    in_law_eth = pool.take(eth if rng.random() < 0.75 else -1)
                    members.append(
                        [
                            "儿媳" if child_male else "女婿",
                            not child_male,
                            in_law_age,
                            in_law_surname,
                            "已婚",
                            in_law_eth,
                        ]
                    )
                    grand_surname = surname if child_male or rng.random() < 0.3 else in_law_surname
                    grand_age = min(child_age, in_law_age) - rng.randint(22, 32)
                    if grand_age < 0:
                        grand_age = rng.randint(0, max(0, min(child_age, in_law_age) - 20))
                    for g in range(grands):
                        if g:
                            grand_age = max(0, grand_age - rng.randint(1, 5))
                        grand_male = rng.random() < 0.52
                        rel = (
                            ("孙子" if grand_male else "孙女") if child_male else ("外孙子" if grand_male else "外孙女")
                        )
                        marital = "" if grand_age < 16 else "未婚"
                        g_eth = pool.take(eth if rng.random() < 0.6 else in_law_eth)
                        members.append([rel, grand_male, grand_age, grand_surname, marital, g_eth])
        if parents:
            father_age = min(100, age + rng.randint(24, 34))
            mother_age = max(age + 20, father_age - rng.randint(0, 5))
            both = parents == 2
            if both or rng.random() < 0.35:
                members.append(
                    ["父亲", True, father_age, head_surname, "已婚" if both else "丧偶", pool.take(head_eth)]
                )
            if both or len(members) < size:
                mother_surname = self.other_surname(head_surname)
                members.append(
                    ["母亲", False, mother_age, mother_surname, "已婚" if both else "丧偶", pool.take(head_eth)]
                )
        return members

    # -- rows ------------------------------------------------------------------------------------------

    def households(self) -> Iterator[list[dict[str, str]]]:
        """Each household's rows, head first (political status still to be set for party members)."""
        p, rng = self.p, self.rng
        names = self.pool.names
        groups, grids, n_households = p.groups, p.grids, p.households
        ref = REFERENCE_DATE
        age_on = idnumber.age_on
        floating = p.floating_share
        for k, size in enumerate(self.sizes()):
            group = k * groups // n_households + 1
            grid = grids[(group - 1) * len(grids) // groups]
            r = rng.random()
            group_text = normalize.group_name(group, p.village) if r < 0.6 else f"{group}组" if r < 0.85 else str(group)
            date_style = rng.random()
            street = STREETS[(group - 1 + 3 * rng.randrange(2)) % len(STREETS)]
            address = f"{p.address_prefix}{street}{rng.randint(1, 180)}号"
            if rng.random() < 0.55:
                address = (
                    f"{p.address_prefix}{ESTATES[(group + rng.randrange(2)) % len(ESTATES)]}"
                    f"{rng.randint(1, 24)}栋{rng.randint(1, 4)}单元{rng.randint(1, 9)}0{rng.randint(1, 4)}室"
                )
            r = rng.random()
            region = p.region
            if r < floating:
                status = "流动人口"
                if rng.random() < 0.4:
                    region = self.other_regions[rng.randrange(len(self.other_regions))]
                    home = OTHER_REGIONS[region]
                else:
                    home = self.county_prefix
                hukou = f"{self.village_address(home)}{rng.randint(1, 12)}组"
            elif r < floating + 0.03:
                status = "人户分离"
                hukou, address = (
                    address,
                    f"{OTHER_REGIONS['530102']}{STREETS[rng.randrange(len(STREETS))]}{rng.randint(1, 300)}号",
                )
            elif r < floating + 0.09:
                status = "常住人口"
                hukou = self.village_address(self.county_prefix)
            else:
                status = "户籍人口"
                hukou = address
            number = self.household_format.format(k + 1)
            household = []
            for rel, male, age, surname, marital, eth in self.makeup(size):
                id_number, birth = self.id_number(region, age, male)
                real_age = age_on(birth, ref)
                if date_style < 0.7:
                    birth_text = birth.isoformat()
                elif date_style < 0.85:
                    birth_text = f"{birth:%Y%m%d}"
                elif date_style < 0.95:
                    birth_text = f"{birth.year}/{birth.month}/{birth.day}"
                else:
                    birth_text = f"{birth.year}年{birth.month}月{birth.day}日"
                household.append(
                    {
                        "户号": number,
                        "姓名": surname + self.given_name(male, real_age),
                        "公民身份号码": id_number,
                        "性别": "男" if male else "女",
                        "民族": names[eth],
                        "出生日期": birth_text,
                        "与户主关系": rel,
                        "居民小组": group_text,
                        "网格": grid,
                        "现住址": address,
                        "户籍地址": hukou,
                        "联系电话": self.phone(real_age),
                        "人口类型": status,
                        "政治面貌": self.political(real_age),
                        "所在党组织": "",
                        "文化程度": self.education(real_age),
                        "婚姻状况": marital,
                        "工作单位": self.employer(real_age),
                        "备注": self.remark(real_age, size, status),
                        "_age": real_age,  # removed before the row leaves the generator
                    }
                )
            yield household

    def village_address(self, county: str) -> str:
        rng = self.rng
        return f"{county}{TOWNS[rng.randrange(len(TOWNS))]}{VILLAGES[rng.randrange(len(VILLAGES))]}村"

    def phone(self, age: int) -> str:
        rng = self.rng
        if age < 16:
            return ""
        r = rng.random()
        mobile_share = 0.4 if age < 18 else 0.86 if age < 75 else 0.5
        if r < mobile_share:
            return MOBILE_PREFIXES[rng.randrange(len(MOBILE_PREFIXES))] + f"{rng.randrange(100_000_000):08d}"
        if r < mobile_share + (0.03 if age < 75 else 0.12):
            first = rng.randint(2, 8)
            rest = rng.randrange(10 ** (self.area_digits - 1))
            return f"{self.area_code}-{first}{rest:0{self.area_digits - 1}d}"
        return ""

    def political(self, age: int) -> str:
        if 14 <= age <= 28:
            r = self.rng.random()
            if r < 0.35:
                return "共青团员" if r < 0.3 else "团员"
        return "群众" if age >= 16 or self.rng.random() < 0.3 else ""

    def education(self, age: int) -> str:
        values, cum = EDUCATION_TABLES[bisect.bisect_left(EDUCATION_BOUNDS, age)]
        if len(values) == 1:
            return values[0]
        return values[bisect.bisect_right(cum, self.rng.random() * cum[-1])]

    def employer(self, age: int) -> str:
        if 22 <= age <= 60 and self.rng.random() < 0.45:
            return self.employers[self.rng.randrange(len(self.employers))]
        return ""

    def remark(self, age: int, size: int, status: str) -> str:
        r = self.rng.random()
        if r >= 0.04:
            return ""
        if age >= 70 and size == 1:
            return "独居老人" if r < 0.03 else "空巢老人"
        if status == "流动人口" and r < 0.02:
            return "租户"
        return REMARKS[int(r * 1000) % len(REMARKS)]

    def run(self) -> Iterator[dict[str, str]]:
        p, rng = self.p, self.rng
        total_members, total_probationary = p.party_members, p.probationary
        branches = p.party_branches
        assigned = persons_done = members_seen = probationary_seen = 0
        block: list[dict] = []
        households = self.households()
        while True:
            block.clear()
            for household in households:
                block.extend(household)
                if len(block) >= BLOCK_HOUSEHOLDS * 3:
                    break
            if not block:
                break
            persons_done += len(block)
            target = total_members * persons_done // p.persons
            quota = target - assigned
            if quota > 0:
                candidates = [i for i, row in enumerate(block) if row["_age"] >= 20]
                if len(candidates) < quota:
                    candidates = [i for i, row in enumerate(block) if row["_age"] >= PARTY_MIN_AGE]
                chosen = sorted(rng.sample(candidates, min(quota, len(candidates))))
                for i in chosen:
                    row = block[i]
                    left_members = total_members - members_seen
                    left_probationary = total_probationary - probationary_seen
                    if rng.random() * left_members < left_probationary:
                        row["政治面貌"] = "中共预备党员" if rng.random() < 0.8 else "预备党员"
                        probationary_seen += 1
                    else:
                        r = rng.random()
                        row["政治面貌"] = "中共党员" if r < 0.8 else "中国共产党党员" if r < 0.92 else "党员"
                    row["所在党组织"] = branches[members_seen % len(branches)]
                    members_seen += 1
                assigned += len(chosen)
            for row in block:
                del row["_age"]
                yield row
        if assigned != total_members:  # pragma: no cover - only for profiles with almost no adults
            raise ValueError(f"only {assigned} of {total_members} party members found adults to belong to")


def rows(profile: Profile) -> Iterator[dict[str, str]]:
    """Every person of the register as a row keyed by :data:`HEADERS` (all values text, '' when blank).

    Households are contiguous, head (户主) first; the same profile and seed always give the same rows.
    Raises ValueError for a profile that cannot be generated exactly (see :meth:`Profile.validate`).
    """
    return _Generator(profile).run()


# --- writing -------------------------------------------------------------------------------------------

COLUMN_WIDTHS = {"户号": 11, "姓名": 9, "公民身份号码": 21, "出生日期": 13, "现住址": 46, "户籍地址": 40}


def write_xlsx(
    path: str | Path,
    rows_iter: Iterable[dict[str, str]],
    *,
    title: str | None = None,
    headers: Sequence[str] = HEADERS,
) -> int:
    """Write rows to an .xlsx file (openpyxl write-only, so memory stays flat) and return the number
    of data rows. ``title`` (e.g. "城关社区居民花名册") goes in a row above the header row, as
    community workers put it."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("花名册")
    for i, header in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(i)].width = COLUMN_WIDTHS.get(header, 10)
    if title:
        ws.append([title])
    ws.append(list(headers))
    count = 0
    append = ws.append
    for row in rows_iter:
        append([row.get(h, "") for h in headers])
        count += 1
    wb.save(path)
    return count


def write_csv(
    path: str | Path,
    rows_iter: Iterable[dict[str, str]],
    *,
    encoding: str = "utf-8-sig",
    headers: Sequence[str] = HEADERS,
) -> int:
    """Write rows to a CSV file (``utf-8-sig`` so Excel opens it, or ``gb18030`` as older tools write)
    and return the number of data rows."""
    count = 0
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers)
        for row in rows_iter:
            writer.writerow([row.get(h, "") for h in headers])
            count += 1
    return count


# --- planted errors ------------------------------------------------------------------------------------

ERROR_KINDS = (
    "bad_check_digit",
    "impossible_date",
    "missing_name",
    "unknown_ethnicity",
    "sex_mismatch",
    "duplicate_id",
)
UNKNOWN_ETHNICITIES = ("火星族", "金星族", "木星族")


@dataclass
class PlantedErrors:
    """An iterator over rows with bad rows planted, and the log of what was planted.

    Every ``every``-th row (0-based data rows ``every-1``, ``2*every-1``, ...) is spoilt, the kinds
    taken in turn from :data:`ERROR_KINDS`:

    * ``bad_check_digit``: the ID number's last character changed;
    * ``impossible_date``: the ID number's birth date set to 30 February, check digit recomputed;
    * ``missing_name``: 姓名 blank;
    * ``unknown_ethnicity``: 民族 set to a group that does not exist (火星族);
    * ``sex_mismatch``: 性别 flipped, so it disagrees with the ID number;
    * ``duplicate_id``: the previous row's ID number (and with it its 性别 and 出生日期) copied into this
      row. The importer must reject both rows, so the log holds both indexes for this kind. The
      previous row is never itself planted (``every`` is at least 2) and ID numbers are otherwise
      unique, so nothing is counted twice.

    ``log`` fills as rows pass: (0-based data row index, kind), in row order. The rows the importer must
    reject are :attr:`rejected` = ``{index for index, kind in log}``. ``planted`` lists only the rows
    that were changed (one entry per duplicate pair), so ``len(planted) == rows // every``.
    """

    source: Iterable[dict[str, str]]
    every: int = 997
    seed: int = 3
    log: list[tuple[int, str]] = field(default_factory=list)
    planted: list[tuple[int, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.every < 2:
            raise ValueError("every must be at least 2")
        self._rows = self._run()

    def __iter__(self) -> Iterator[dict[str, str]]:
        return self

    def __next__(self) -> dict[str, str]:
        return next(self._rows)

    @property
    def rejected(self) -> set[int]:
        """The data row indexes the importer must reject."""
        return {index for index, _kind in self.log}

    def counts(self) -> dict[str, int]:
        """Changed rows per kind (a duplicate pair counts once)."""
        counts: dict[str, int] = {}
        for _index, kind in self.planted:
            counts[kind] = counts.get(kind, 0) + 1
        return counts

    def _run(self) -> Iterator[dict[str, str]]:
        rng = random.Random(self.seed)
        every, log, planted = self.every, self.log, self.planted
        previous: dict[str, str] | None = None
        for index, row in enumerate(self.source):
            if (index + 1) % every == 0:
                kind = ERROR_KINDS[len(planted) % len(ERROR_KINDS)]
                planted.append((index, kind))
                row = dict(row)
                number = row.get("公民身份号码", "")
                if kind == "bad_check_digit":
                    choices = [c for c in idnumber.CHECK_CHARS if c != number[17:]]
                    row["公民身份号码"] = number[:17] + rng.choice(choices)
                elif kind == "impossible_date":
                    first17 = f"{number[:10]}0230{number[14:17]}"
                    row["公民身份号码"] = first17 + idnumber.check_digit(first17)
                elif kind == "missing_name":
                    row["姓名"] = ""
                elif kind == "unknown_ethnicity":
                    row["民族"] = rng.choice(UNKNOWN_ETHNICITIES)
                elif kind == "sex_mismatch":
                    row["性别"] = "女" if row.get("性别") == "男" else "男"
                elif kind == "duplicate_id" and previous is not None:
                    for column in ("公民身份号码", "性别", "出生日期"):
                        row[column] = previous.get(column, "")
                    log.append((index - 1, kind))
                log.append((index, kind))
            previous = row
            yield row


def plant_errors(rows_iter: Iterable[dict[str, str]], *, every: int = 997, seed: int = 3) -> PlantedErrors:
    """Pass rows through, spoiling every ``every``-th one; see :class:`PlantedErrors` for the kinds and
    the log (``planted.log``, ``planted.rejected``) a test compares the importer's result with."""
    return PlantedErrors(rows_iter, every=every, seed=seed)
