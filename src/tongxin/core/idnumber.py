"""GB 11643 citizen ID numbers (公民身份号码): normalising, the ISO 7064 MOD 11-2 check digit, the
15-digit legacy upgrade, and the birth date and sex the number carries.

The place code (first six digits) is only checked for shape: county codes change over time and a
number keeps the code of the county that issued it (see DESIGN.md on python-stdnum's place check).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
_FULLWIDTH = str.maketrans("０１２３４５６７８９ＸｘX", "0123456789XXX")
EARLIEST_BIRTH = datetime.date(1880, 1, 1)
_DIGITS = re.compile(r"[0-9]+")
_DIGITS_X = re.compile(r"[0-9]{17}[0-9X]")


class IdNumberError(ValueError):
    """An ID number that is not valid; the message says why, naming the value."""


@dataclass(frozen=True)
class IdNumber:
    """A valid 18-digit ID number and what it says about its holder."""

    number: str
    birth_date: datetime.date
    sex: str  # GB/T 2261.1: "1" male, "2" female
    upgraded_from: str = ""  # the 15-digit number it was upgraded from

    @property
    def region(self) -> str:
        """The six-digit place code of the issuing county."""
        return self.number[:6]

    def age_on(self, day: datetime.date) -> int:
        """Age in whole years on ``day``."""
        return age_on(self.birth_date, day)


def check_digit(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def normalize(text: str | None) -> str:
    """Strip spaces and separators, full-width digits to ASCII, a lower-case x to X."""
    if text is None:
        return ""
    value = str(text).translate(_FULLWIDTH)
    value = re.sub(r"[\s\-\u3000'’`]", "", value)
    if value.endswith(".0") and value[:-2].isdigit():  # a number cell read as float text
        value = value[:-2]
    return value.upper()


def _birth(number: str, start: int, century: str = "") -> datetime.date | None:
    text = century + number[start : start + (8 - len(century))]
    try:
        return datetime.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def parse(text: str | None, today: datetime.date | None = None) -> IdNumber:
    """Validate an ID number (18 digits, or a 15-digit legacy number that is upgraded) and read it.

    Raises :class:`IdNumberError` with a message naming the value and what is wrong with it.
    """
    raw = "" if text is None else str(text).strip()
    number = normalize(raw)
    today = today or datetime.date.today()
    upgraded = ""
    if len(number) == 15 and _DIGITS.fullmatch(number):
        birth = _birth(number, 6, "19")
        if birth is None:
            raise IdNumberError(_("身份证号“%(v)s”中的出生日期不存在") % {"v": raw})
        upgraded = number
        first17 = number[:6] + "19" + number[6:]
        number = first17 + check_digit(first17)
    if len(number) == 15:  # a legacy number with a non-digit (15-digit numbers carry no check character)
        raise IdNumberError(_("身份证号“%(v)s”只能由数字和末位的 X 组成") % {"v": raw})
    if len(number) != 18:
        raise IdNumberError(
            _("身份证号“%(v)s”应为 18 位（或 15 位旧号码），实为 %(n)s 位") % {"v": raw, "n": len(number)}
        )
    if not _DIGITS_X.fullmatch(number):  # ASCII only: str.isdigit() also accepts "²", "١"…
        raise IdNumberError(_("身份证号“%(v)s”只能由数字和末位的 X 组成") % {"v": raw})
    if number[0] not in "12345678" or number[:2] in ("10", "20", "30", "40", "48", "49", "80"):
        raise IdNumberError(_("身份证号“%(v)s”的地址码“%(c)s”不是有效的省级代码") % {"v": raw, "c": number[:2]})
    birth = _birth(number, 6)
    if birth is None:
        raise IdNumberError(_("身份证号“%(v)s”中的出生日期“%(d)s”不存在") % {"v": raw, "d": number[6:14]})
    if birth > today or birth < EARLIEST_BIRTH:
        raise IdNumberError(_("身份证号“%(v)s”中的出生日期 %(d)s 不可能") % {"v": raw, "d": birth.isoformat()})
    expected = check_digit(number[:17])
    if number[17] != expected:
        raise IdNumberError(_("身份证号“%(v)s”校验位错误（应为 %(c)s）") % {"v": raw, "c": expected})
    sex = "1" if int(number[16]) % 2 else "2"
    return IdNumber(number=number, birth_date=birth, sex=sex, upgraded_from=upgraded)


def is_valid(text: str | None) -> bool:
    """True for a valid ID number."""
    try:
        parse(text)
    except IdNumberError:
        return False
    return True


def make(region: str, birth: datetime.date, sequence: int) -> str:
    """Build a valid 18-digit number (demo data, tests): region code, birth date, 3-digit sequence
    (odd for a man, even for a woman)."""
    first17 = f"{region[:6]}{birth:%Y%m%d}{sequence % 1000:03d}"
    return first17 + check_digit(first17)


def age_on(birth: datetime.date, day: datetime.date) -> int:
    """Age in whole years on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
