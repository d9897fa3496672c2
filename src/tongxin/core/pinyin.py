"""Pinyin keys of Chinese names for search: full pinyin and initials, with every reading of the surname.

pypinyin's default reading of a surname is often wrong (曾 → ceng, 单 → dan, 解 → jie), so the
surname's characters contribute all their readings and the given name its reading in context.
``keys("曾小贤")`` → (["zengxiaoxian", "cengxiaoxian"], ["zxx", "cxx"]).
"""

from __future__ import annotations

import functools
import itertools

from pypinyin import Style, lazy_pinyin, pinyin

# Two-character surnames (复姓) whose characters are all surname.
COMPOUND_SURNAMES = frozenset(
    {
        *("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯"),
        *("轩辕", "令狐", "钟离", "端木", "独孤", "南宫", "西门", "百里", "呼延", "澹台", "公冶", "太史", "申屠"),
    }
)
# Readings used as surnames that pypinyin lists after others (the first is the usual surname reading).
SURNAME_READINGS = {
    "曾": ("zeng", "ceng"),
    "单": ("shan", "dan", "chan"),
    "仇": ("qiu", "chou"),
    "解": ("xie", "jie"),
    "朴": ("piao", "pu"),
    "区": ("ou", "qu"),
    "查": ("zha", "cha"),
    "乐": ("yue", "le"),
    "尉": ("yu", "wei"),
    "盖": ("ge", "gai"),
    "缪": ("miao", "mou", "miu"),
    "燕": ("yan",),
    "秘": ("bi", "mi"),
    "种": ("chong", "zhong"),
    "翟": ("zhai", "di"),
    "覃": ("qin", "tan"),
    "召": ("shao", "zhao"),
    "费": ("fei", "bi"),
    "句": ("gou", "ju"),
    "员": ("yun", "yuan"),
    "长": ("chang", "zhang"),
    "卜": ("bu",),
    "沈": ("shen",),
    "柏": ("bai", "bo"),
    "宁": ("ning",),
    "华": ("hua",),
    "任": ("ren",),
}
# Compound surnames read differently from their characters' usual surname readings (长孙 is zhangsun).
COMPOUND_SURNAME_READINGS = {"长孙": (("zhang", "chang"), ("sun",))}
MAX_VARIANTS = 8


def _latin(chunk: str) -> list[str]:
    """Letters and digits pypinyin cannot read (王A, John) each count as a syllable of their own."""
    return [ch.lower() for ch in chunk if ch.isascii() and ch.isalnum()]


@functools.lru_cache(maxsize=8192)
def _char_readings(ch: str) -> tuple[str, ...]:
    if ch in SURNAME_READINGS:
        return tuple(SURNAME_READINGS[ch])
    readings = pinyin(ch, style=Style.NORMAL, heteronym=True, errors="ignore")
    out = [r.lower() for r in (readings[0] if readings else []) if r]
    return tuple(out or ([ch.lower()] if ch.isascii() and ch.isalnum() else []))


@functools.lru_cache(maxsize=16384)
def _given_char(ch: str) -> tuple[str, ...]:
    return tuple(s.lower() for s in lazy_pinyin(ch, style=Style.NORMAL, errors=_latin) if s)


def _given(given: str) -> tuple[str, ...]:
    """The syllables of a given name: character by character (cached), except that a name holding a
    character with several readings is read in context (长江 is changjiang, not zhangjiang)."""
    if len(given) > 1 and any(len(_heteronyms(ch)) > 1 for ch in given):
        return _given_in_context(given)
    return tuple(syllable for ch in given for syllable in _given_char(ch))


@functools.lru_cache(maxsize=16384)
def _heteronyms(ch: str) -> tuple[str, ...]:
    readings = pinyin(ch, style=Style.NORMAL, heteronym=True, errors="ignore")
    return tuple(readings[0]) if readings else ()


@functools.lru_cache(maxsize=65536)
def _given_in_context(given: str) -> tuple[str, ...]:
    return tuple(s.lower() for s in lazy_pinyin(given, style=Style.NORMAL, errors=_latin) if s)


@functools.lru_cache(maxsize=65536)
def keys(name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(full pinyin variants, initials variants) of a name, the most likely reading first."""
    name = "".join(ch for ch in (name or "") if not ch.isspace() and ch not in "·•.")
    if not name:
        return (), ()
    surname_len = 2 if name[:2] in COMPOUND_SURNAMES else 1
    surname, given = name[:surname_len], name[surname_len:]
    given_syllables = _given(given)
    # A surname character pypinyin does not know (𠮷) reads as nothing rather than dropping the whole name.
    per_char = COMPOUND_SURNAME_READINGS.get(surname) or [_char_readings(ch) or ("",) for ch in surname]
    full: list[str] = []
    initials: list[str] = []
    for combo in itertools.islice(itertools.product(*per_char), MAX_VARIANTS):
        syllables = [*combo, *given_syllables]
        f = "".join(syllables)
        i = "".join(s[0] for s in syllables if s)
        if f and f not in full:
            full.append(f)
        if i and i not in initials:
            initials.append(i)
    return tuple(full), tuple(initials)


def is_pinyin_query(text: str) -> bool:
    """True for a query that looks like pinyin or initials (latin letters only)."""
    return bool(text) and text.isascii() and text.isalpha()
