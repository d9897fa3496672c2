"""Normalising what people type into registers: phone numbers, dates written many ways, Chinese
numerals (第十二居民小组), yes/no cells. Pure functions, no database."""

from __future__ import annotations

import datetime
import re

_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９－（）＋　", "0123456789-()+ ")
MAX_GROUP = 999  # a larger "group number" is something else (a phone number in the wrong column)
_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}


def phone(text: str | None) -> tuple[str, bool]:
    """Normalise a phone number: (normalised, True) for a mainland mobile (``13912345678``) or a
    landline with area code (``0871-65123456``, extension as ``-801``); (text as written, False)
    when it cannot be understood. Blank gives ("", True)."""
    raw = "" if text is None else str(text).strip()
    if not raw:
        return "", True
    value = raw.translate(_FULLWIDTH_DIGITS)
    if re.fullmatch(r"\d+\.0", value):
        value = value[:-2]
    international = re.match(r"(?:\+|00)\s*86[\s\-]*", value)
    if international:
        value = value[international.end() :]
    compact = re.sub(r"[\s\-()]", "", value)
    if not international and re.fullmatch(r"861[3-9]\d{9}", compact):  # +86 lost in a number cell
        compact = compact[2:]
    if re.fullmatch(r"1[3-9]\d{9}", compact):
        return compact, True
    if international and re.match(r"[1-9]", compact):  # +86 871 65123456: the trunk 0 is dropped after +86
        value, compact = "0" + value.lstrip(), "0" + compact
    ext = ""
    match = re.fullmatch(r"(.*?)(?:转|ext\.?|x|#)(\d{1,6})", compact, flags=re.IGNORECASE)
    if match:
        compact, ext = match.group(1), match.group(2)
    match = re.fullmatch(r"(0(?:10|2\d|[3-9]\d\d))(\d{7,8})", compact)
    if match:
        return f"{match.group(1)}-{match.group(2)}" + (f"-{ext}" if ext else ""), True
    parts = re.fullmatch(r"\(?(0\d{2,3})\)?[\s\-]*(\d{7,8})(?:[\s\-]+(\d{1,6}))?", value.strip())
    if parts:
        tail = parts.group(3) or ext
        return f"{parts.group(1)}-{parts.group(2)}" + (f"-{tail}" if tail else ""), True
    return raw, False


def phones(text: str | None) -> tuple[list[str], list[str]]:
    """Split a cell that may hold several numbers (``139…/0871-…``): (normalised numbers, the ones not understood)."""
    raw = "" if text is None else str(text).strip()
    if not raw:
        return [], []
    good: list[str] = []
    bad: list[str] = []
    for part in re.split(r"[,，;；/／、|｜\r\n]+|\s{2,}", raw):
        part = part.strip()
        if not part:
            continue
        value, ok = phone(part)
        if not ok and re.search(r"\s", part):  # "13912345678 0871-65123456": numbers split by one space
            pieces = [phone(piece) for piece in part.split()]
            if all(piece_ok for _piece, piece_ok in pieces):
                good.extend(piece for piece, _ok in pieces)
                continue
        (good if ok else bad).append(value)
    return good, bad


_DATE_PATTERNS = (
    re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:(?:\s+|T)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)


def date(value: object) -> datetime.date | None:
    """A date from a date cell or text such as 1980-01-02, 19800102, 1980/1/2, 1980.1.2, 1980年1月2日.

    Returns None for blank; raises ValueError for text that is not a real date.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip().translate(_FULLWIDTH_DIGITS)
    if not text:
        return None
    if re.fullmatch(r"\d+\.0", text):
        text = text[:-2]
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            y, m, d = (int(g) for g in match.groups())
            return datetime.date(y, m, d)  # ValueError for 1980-02-30
    raise ValueError(text)


def chinese_number(text: str) -> int | None:
    """``十二`` → 12, ``二十一`` → 21, ``一百零五`` → 105, ``一二`` → 12 (read digit by digit), ``3`` → 3;
    None when the text holds no number."""
    text = text.strip()
    if text.isdecimal():  # not isdigit(): "²" is a digit that int() rejects
        return int(text)
    if not text or any(ch not in _CN_DIGITS and ch not in "十百" for ch in text):
        return None
    if "十" not in text and "百" not in text:  # 一二 → 12, 〇三 → 3
        return int("".join(str(_CN_DIGITS[ch]) for ch in text))
    total, current = 0, 0
    for ch in text:
        if ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = _CN_DIGITS[ch]
    return total + current


def group_number(text: str | None) -> int | None:
    """The number of a resident/villager group however written: 第一居民小组 = 1组 = 1 = 一组 = 第1村民小组."""
    if text is None:
        return None
    value = str(text).strip().translate(_FULLWIDTH_DIGITS)
    if re.fullmatch(r"\d+\.0", value):
        value = value[:-2]
    match = re.search(
        r"第?\s*(?<![0-9.])([0-9]+|[零〇一二两三四五六七八九十百]+)\s*(?:居民|村民)?(?:小组|组|社)?$", value
    )
    if not match:
        return None
    number = chinese_number(match.group(1))
    return number if number and 0 < number <= MAX_GROUP else None


def group_name(number: int, village: bool = False) -> str:
    """The conventional name of group ``number``: 第一居民小组 (第十二村民小组 in a village)."""
    if number < 1:
        raise ValueError(f"group number must be positive, not {number}")
    digits = "零一二三四五六七八九"
    if number < 10:
        cn = digits[number]
    elif number < 100:
        tens, ones = divmod(number, 10)
        cn = ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")
    else:
        cn = str(number)
    return f"第{cn}{'村民' if village else '居民'}小组"


_YEAR_MONTH = re.compile(r"(\d{4})(?:[-/.年]\s*(\d{1,2})月?|(\d{2}))")


def year_month(value: object) -> tuple[int, int] | None:
    """A year and month written without a day (出生年月: 1980.01, 1980-1, 198001, 1980年1月); None otherwise."""
    if value is None:
        return None
    text = str(value).strip().translate(_FULLWIDTH_DIGITS)
    match = _YEAR_MONTH.fullmatch(text)
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2) or match.group(3))
    return (year, month) if 1 <= month <= 12 else None
