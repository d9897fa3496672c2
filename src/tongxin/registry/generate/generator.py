"""The generator: households and persons drawn from one seeded random source, streamed block by block."""

from __future__ import annotations

import bisect
import datetime
import random
import re
from collections.abc import Iterator

from tongxin.core import idnumber, normalize
from tongxin.registry.generate.profiles import BLOCK_HOUSEHOLDS, HAN, PARTY_MIN_AGE, REFERENCE_DATE, Profile
from tongxin.registry.generate.words import (
    _SURNAME_CUM,
    AREA_CODES,
    DAUGHTER_NAMES,
    EDUCATION_BOUNDS,
    EDUCATION_TABLES,
    ESTATES,
    FEMALE_CHARS,
    MAKEUPS,
    MALE_CHARS,
    MOBILE_PREFIXES,
    OTHER_REGIONS,
    REMARKS,
    SIZE_WEIGHTS,
    SON_NAMES,
    STREETS,
    SURNAMES,
    TOWNS,
    VILLAGES,
)


def _birth_text(birth: datetime.date, style: float) -> str:
    """A birth date written as a register of that style (``style`` in [0, 1), drawn once per household) writes
    it: ``1980-01-02``, ``19800102``, ``1980/1/2`` or ``1980年1月2日``."""
    if style < 0.7:
        return birth.isoformat()
    if style < 0.85:
        return f"{birth:%Y%m%d}"
    if style < 0.95:
        return f"{birth.year}/{birth.month}/{birth.day}"
    return f"{birth.year}年{birth.month}月{birth.day}日"


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
        age = self.head_age(rng.random(), spouse, parents, children, married, grands)
        if spouse:
            male = rng.random() < 0.75
        elif children:
            male = rng.random() < 0.38
        else:
            male = rng.random() < (0.35 if age >= 65 else 0.55)
        head_surname = self.surname()
        head_eth = self.pool.take()
        marital = self.head_marital(age, spouse, children)
        members = [["户主", male, age, head_surname, marital, head_eth]]
        youngest_parent = age
        line_surname = head_surname  # the children's surname
        mother_surname: str | None = None  # the children's mother's, when she is in the household
        spouse_eth = head_eth
        if spouse:
            partner = self.spouse_member(age, male, married, head_surname, head_eth)
            members.append(partner)
            _rel, _male, s_age, spouse_surname, _marital, spouse_eth = partner
            if not male:
                line_surname = spouse_surname
            mother_surname = spouse_surname if male else head_surname
            youngest_parent = min(age, s_age)
        elif children and not male and rng.random() < 0.25:
            line_surname = self.surname()  # the absent father's
        if children:
            kids = self.draw_children(
                children, married, youngest_parent, line_surname, mother_surname, head_eth, spouse_eth
            )
            self.add_children(members, kids, married, grands)
        if parents:
            self.add_parents(members, size, parents, age, head_surname, head_eth)
        return members

    def head_age(self, r: float, spouse: int, parents: int, children: int, married: int, grands: int) -> int:
        """The head's age, from the make-up (``r`` in [0, 1) picks between the age bands)."""
        rng = self.rng
        if married:
            return rng.randint(52, 64) if parents else rng.randint(52, 82) if grands else rng.randint(45, 78)
        if children:
            lo = 26 if spouse else 32
            if parents:
                return rng.randint(lo, 58)
            return rng.randint(lo + 6, 54) if r < 0.7 else rng.randint(lo, 68 if spouse else 75)
        if parents:
            return rng.randint(22, 60)
        if spouse:
            return rng.randint(22, 54) if r < 0.45 else rng.randint(55, 88)
        return rng.randint(18, 59) if r < 0.55 else min(rng.randint(60, 85), rng.randint(60, 99))

    def head_marital(self, age: int, spouse: int, children: int) -> str:
        """The head's marital status: married with a spouse, mostly widowed or divorced as a single parent."""
        rng = self.rng
        if spouse:
            return "已婚" if rng.random() < 0.93 else ("初婚" if rng.random() < 0.7 else "再婚")
        if children:
            return "丧偶" if age >= 55 and rng.random() < 0.6 else ("离婚" if rng.random() < 0.7 else "丧偶")
        if age >= 60:
            return ("丧偶", "丧偶", "丧偶", "丧偶", "丧偶", "丧偶", "已婚", "离婚", "未婚", "离婚")[rng.randrange(10)]
        return "未婚" if age < 35 and rng.random() < 0.85 else ("未婚", "离婚", "离婚", "已婚")[rng.randrange(4)]

    def spouse_member(self, age: int, male: bool, married: int, head_surname: str, head_eth: int) -> list:
        """The head's spouse, as a member row (mostly of the head's ethnic group)."""
        rng = self.rng
        gap = round(rng.gauss(2.5, 3))
        s_age = max(42 if married else 20, age - gap if male else age + gap)
        spouse_surname = self.other_surname(head_surname)
        spouse_eth = self.pool.take(head_eth if rng.random() < 0.8 else -1)
        if male:
            rel = ("配偶", "配偶", "妻", "妻", "妻子")[rng.randrange(5)]
        else:
            rel = ("配偶", "配偶", "配偶", "夫", "丈夫")[rng.randrange(5)]
        return [rel, not male, s_age, spouse_surname, "已婚", spouse_eth]

    def draw_children(
        self,
        count: int,
        married: int,
        youngest_parent: int,
        line_surname: str,
        mother_surname: str | None,
        head_eth: int,
        spouse_eth: int,
    ) -> list[tuple[bool, int, str, int]]:
        """The head's children, eldest first: (male, age, surname, ethnicity index). A few take the mother's
        surname (``mother_surname``: None when she is not in the household)."""
        rng = self.rng
        kids = []
        child_age = youngest_parent - (rng.randint(22, 30) if married else rng.randint(22, 34))
        child_age = max(child_age, 22 if married else 3 * (count - 1))  # room for the younger ones
        child_age = min(child_age, youngest_parent - 20)
        if child_age < 0:
            child_age = rng.randint(0, max(0, youngest_parent - 20))
        for i in range(count):
            if i:
                child_age = max(0, child_age - rng.randint(1, 6))
            child_male = rng.random() < (0.75 if married and i == 0 else 0.515)
            surname = line_surname
            if mother_surname is not None and rng.random() < 0.04:
                surname = mother_surname
            eth = self.pool.take(head_eth if rng.random() < 0.5 else spouse_eth)
            kids.append((child_male, child_age, surname, eth))
        return kids

    def add_children(
        self, members: list[list], kids: list[tuple[bool, int, str, int]], married: int, grands: int
    ) -> None:
        """Append the children's rows (the eldest's family after the eldest when ``married``)."""
        rng = self.rng
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
                self.add_child_family(members, child_male, child_age, surname, eth, grands)

    def add_child_family(
        self, members: list[list], child_male: bool, child_age: int, surname: str, eth: int, grands: int
    ) -> None:
        """Append a married child's spouse (儿媳 or 女婿) and their ``grands`` children."""
        rng, pool = self.rng, self.pool
        in_law_age = max(20, child_age + (-round(rng.gauss(2.5, 3)) if child_male else round(rng.gauss(2.5, 3))))
        in_law_surname = self.other_surname(surname)
        in_law_eth = pool.take(eth if rng.random() < 0.75 else -1)
        members.append(
            ["儿媳" if child_male else "女婿", not child_male, in_law_age, in_law_surname, "已婚", in_law_eth]
        )
        grand_surname = surname if child_male or rng.random() < 0.3 else in_law_surname
        grand_age = min(child_age, in_law_age) - rng.randint(22, 32)
        if grand_age < 0:
            grand_age = rng.randint(0, max(0, min(child_age, in_law_age) - 20))
        for g in range(grands):
            if g:
                grand_age = max(0, grand_age - rng.randint(1, 5))
            grand_male = rng.random() < 0.52
            rel = ("孙子" if grand_male else "孙女") if child_male else ("外孙子" if grand_male else "外孙女")
            marital = "" if grand_age < 16 else "未婚"
            g_eth = pool.take(eth if rng.random() < 0.6 else in_law_eth)
            members.append([rel, grand_male, grand_age, grand_surname, marital, g_eth])

    def add_parents(
        self, members: list[list], size: int, parents: int, age: int, head_surname: str, head_eth: int
    ) -> None:
        """Append the head's parents: both, or the one still in the household (the father in about a third of
        those with one, else the mother)."""
        rng, pool = self.rng, self.pool
        father_age = min(100, age + rng.randint(24, 34))
        mother_age = max(age + 20, father_age - rng.randint(0, 5))
        both = parents == 2
        if both or rng.random() < 0.35:
            members.append(["父亲", True, father_age, head_surname, "已婚" if both else "丧偶", pool.take(head_eth)])
        if both or len(members) < size:
            mother_surname = self.other_surname(head_surname)
            members.append(["母亲", False, mother_age, mother_surname, "已婚" if both else "丧偶", pool.take(head_eth)])

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
                birth_text = _birth_text(birth, date_style)
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
