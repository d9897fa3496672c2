"""Unit tests for :mod:`tongxin.core.idnumber` (GB 11643 citizen ID numbers; pure Python, no database)."""

from __future__ import annotations

import datetime

import pytest

from tongxin.core import idnumber
from tongxin.core.idnumber import IdNumber, IdNumberError

KNOWN = "11010519491231002X"  # the example in GB 11643-1999: female, born 1949-12-31
TODAY = datetime.date(2025, 6, 1)


# --- check digit ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first17", "expected"),
    [
        ("11010519491231002", "X"),
        ("44052418800101001", "4"),
        ("11010519800101001", "6"),  # 116 mod 11 = 6
        ("00000000000000000", "1"),  # weighted sum 0 → CHECK_CHARS[0]
    ],
)
def test_check_digit_of_known_numbers(first17, expected):
    assert idnumber.check_digit(first17) == expected


def test_check_digit_covers_every_remainder():
    """Each of the 11 check characters comes out for some number (total mod 11 takes every value)."""
    seen = {idnumber.check_digit(f"1101051980010100{d}") for d in range(10)}
    seen |= {idnumber.check_digit(f"110105198001010{d}0") for d in range(10)}
    assert seen == set(idnumber.CHECK_CHARS)


@pytest.mark.parametrize("bad", ["1101051949123100", "110105194912310021"])
def test_check_digit_needs_exactly_17_digits(bad):
    with pytest.raises(ValueError):
        idnumber.check_digit(bad)


# --- normalize -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (KNOWN, KNOWN),
        ("11010519491231002x", KNOWN),
        (" 110105 19491231 002X ", KNOWN),
        ("110105-19491231-002X", KNOWN),
        ("１１０１０５１９４９１２３１００２Ｘ", KNOWN),
        ("１１０１０５１９４９１２３１００２ｘ", KNOWN),
        ("110105\u300019491231002X", KNOWN),
        ("'11010519491231002X", KNOWN),  # Excel's text prefix
        ("110105491231002.0", "110105491231002"),  # a number cell read as float text
        ("110105194912310021.0", "110105194912310021"),
        ("1.0X", "1.0X"),
        (None, ""),
        ("", ""),
    ],
)
def test_normalize(text, expected):
    assert idnumber.normalize(text) == expected


# --- parse: valid numbers ------------------------------------------------------------------------


def test_parse_known_number():
    info = idnumber.parse(KNOWN, today=TODAY)
    assert info == IdNumber(number=KNOWN, birth_date=datetime.date(1949, 12, 31), sex="2", upgraded_from="")
    assert info.region == "110105"


@pytest.mark.parametrize(
    "text",
    [
        "11010519491231002x",
        " 11010519491231002X ",
        "110105 1949 1231 002X",
        "１１０１０５１９４９１２３１００２Ｘ",
        "'11010519491231002X",
    ],
)
def test_parse_accepts_written_variants(text):
    info = idnumber.parse(text, today=TODAY)
    assert info.number == KNOWN
    assert info.upgraded_from == ""


def test_parse_accepts_an_integer():
    assert idnumber.parse(440524188001010014, today=TODAY).number == "440524188001010014"


@pytest.mark.parametrize(
    ("legacy", "upgraded"),
    [
        ("110105491231002", KNOWN),
        ("110105491231002.0", KNOWN),
        (" 110105 491231 002 ", KNOWN),
        ("440524800101001", "440524198001010013"),
    ],
)
def test_parse_upgrades_15_digit_numbers(legacy, upgraded):
    info = idnumber.parse(legacy, today=TODAY)
    assert info.number == upgraded
    assert info.upgraded_from == idnumber.normalize(legacy)
    assert info.birth_date == datetime.date(int(upgraded[6:10]), int(upgraded[10:12]), int(upgraded[12:14]))
    assert idnumber.check_digit(info.number[:17]) == info.number[17]


def test_upgrade_inserts_19_and_computes_check_digit():
    info = idnumber.parse("530103850615123", today=TODAY)
    assert info.number[:17] == "53010319850615123"
    assert info.number == "53010319850615123" + idnumber.check_digit("53010319850615123")
    assert info.birth_date == datetime.date(1985, 6, 15)
    assert info.sex == "1"


@pytest.mark.parametrize(
    ("sequence", "sex"),
    [(1, "1"), (2, "2"), (3, "1"), (10, "2"), (19, "1"), (998, "2"), (999, "1")],
)
def test_sex_from_17th_digit(sequence, sex):
    number = idnumber.make("530103", datetime.date(1990, 5, 17), sequence)
    assert int(number[16]) % 2 == sequence % 2
    assert idnumber.parse(number, today=TODAY).sex == sex


def test_sex_from_17th_digit_of_upgraded_number():
    assert idnumber.parse("530103850615124", today=TODAY).sex == "2"
    assert idnumber.parse("530103850615125", today=TODAY).sex == "1"


@pytest.mark.parametrize(
    "birth",
    [
        datetime.date(1880, 1, 1),  # EARLIEST_BIRTH is allowed
        datetime.date(1949, 10, 1),
        datetime.date(2000, 2, 29),  # leap day
        datetime.date(2024, 12, 31),
        TODAY,  # born today
    ],
)
def test_parse_birth_dates_in_range(birth):
    number = idnumber.make("530103", birth, 21)
    assert idnumber.parse(number, today=TODAY).birth_date == birth


@pytest.mark.parametrize(
    "region",
    ["110105", "530103", "650102", "710000", "810000", "820000", "830000"],
)
def test_parse_accepts_province_codes(region):
    number = idnumber.make(region, datetime.date(1990, 1, 1), 1)
    assert idnumber.parse(number, today=TODAY).region == region


# --- parse: invalid numbers ----------------------------------------------------------------------


def _error(text, today=TODAY) -> str:
    with pytest.raises(IdNumberError) as info:
        idnumber.parse(text, today=today)
    return str(info.value)


def test_error_is_a_value_error():
    assert issubclass(IdNumberError, ValueError)


@pytest.mark.parametrize(
    "text",
    [
        "110105194912310028",  # wrong check character
        "110105194912310020",
        "11010519491231002x".replace("x", "0"),
        "11010519491231003X",  # a changed digit
        "11010519491231012X",
        "11010519491213002X",  # two digits swapped
    ],
)
def test_wrong_check_digit(text):
    expected = idnumber.check_digit(text[:17])
    assert expected != text[17]
    message = _error(text)
    assert text in message
    assert f"校验位错误（应为 {expected}）" in message
    assert not idnumber.is_valid(text)


def test_wrong_check_digit_message_names_expected_character():
    message = _error("110105194912310021")
    assert "校验位错误（应为 X）" in message
    assert "110105194912310021" in message


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("11010519800230002", "19800230"),  # 30 February
        ("11010519810229002", "19810229"),  # 29 February in a common year
        ("11010519800431002", "19800431"),
        ("11010519801301002", "19801301"),
        ("11010519800100002", "19800100"),
        ("11010519800001002", "19800001"),
        ("11010500000101002", "00000101"),
    ],
)
def test_impossible_birth_dates(text, day):
    number = text + idnumber.check_digit(text)  # the check digit is right; only the date is wrong
    message = _error(number)
    assert number in message
    assert f"出生日期“{day}”不存在" in message


@pytest.mark.parametrize("legacy", ["110105800230002", "110105811301002", "110105800000002"])
def test_impossible_birth_date_in_15_digit_number(legacy):
    message = _error(legacy)
    assert legacy in message
    assert "出生日期" in message
    assert "不存在" in message


@pytest.mark.parametrize(
    ("birth", "today"),
    [
        (datetime.date(2025, 6, 2), datetime.date(2025, 6, 1)),  # tomorrow
        (datetime.date(2030, 1, 1), datetime.date(2025, 6, 1)),
        (datetime.date(2000, 1, 1), datetime.date(1999, 12, 31)),
    ],
)
def test_future_birth_date(birth, today):
    number = idnumber.make("110105", birth, 2)
    message = _error(number, today=today)
    assert number in message
    assert f"出生日期 {birth.isoformat()} 不可能" in message


def test_future_birth_date_depends_on_today():
    number = idnumber.make("110105", datetime.date(2030, 1, 1), 2)
    with pytest.raises(IdNumberError):
        idnumber.parse(number, today=datetime.date(2029, 12, 31))
    assert idnumber.parse(number, today=datetime.date(2030, 1, 1)).birth_date == datetime.date(2030, 1, 1)


def test_default_today_is_the_real_date():
    number = idnumber.make("110105", datetime.date.today() + datetime.timedelta(days=400), 2)
    with pytest.raises(IdNumberError):
        idnumber.parse(number)
    assert idnumber.parse(KNOWN).number == KNOWN


def test_birth_before_1880_is_impossible():
    number = idnumber.make("110105", datetime.date(1879, 12, 31), 2)
    assert "1879-12-31 不可能" in _error(number)


@pytest.mark.parametrize(
    "text",
    [
        "1",
        "11010519491231",
        "1101051949123100",  # 16
        "11010519491231002",  # 17
        "11010519491231002XX",  # 19
        "110105194912310021234",
        "11010549123100",  # 14
    ],
)
def test_length_errors(text):
    message = _error(text)
    assert text in message
    assert "应为 18 位" in message
    assert f"实为 {len(text)} 位" in message


@pytest.mark.parametrize("text", ["", "   ", None])
def test_blank_is_a_length_error(text):
    assert "实为 0 位" in _error(text)


@pytest.mark.parametrize(
    "text",
    [
        "11010519491231002Y",
        "1101051949123100X2",  # X anywhere but last
        "X10105194912310021",
        "abcdefghijklmnopqr",
        "11010519491231002.",
        "110105194912310O2X",  # a letter O for a zero
        "11010519491231002²",  # str.isdigit() is True for these, int() is not
        "110105194912310²2X",
        "１１０１０５１９４９１２３１０²２Ｘ",
        "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X",  # Arabic-Indic digits
        "11010549123100X",  # 15 characters with an X: legacy numbers have no check character
        "11010549123100A",
    ],
)
def test_non_digits(text):
    message = _error(text)
    assert text.strip() in message
    assert "只能由数字和末位的 X 组成" in message


@pytest.mark.parametrize("prefix", ["00", "01", "09", "10", "20", "30", "40", "48", "49", "80", "90", "99"])
def test_invalid_province_codes(prefix):
    first17 = prefix + "010519491231002"
    number = first17 + idnumber.check_digit(first17)
    message = _error(number)
    assert number in message
    assert f"地址码“{prefix}”" in message


def test_message_names_value_as_written():
    message = _error(" 110105 19491231 003X ")
    assert "“110105 19491231 003X”" in message


# --- is_valid ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        (KNOWN, True),
        ("11010519491231002x", True),
        ("110105491231002", True),
        ("11010519491231002Y", False),
        ("110105194912310021", False),
        ("11010519800230002X", False),
        ("110105194912310²2X", False),
        ("", False),
        (None, False),
    ],
)
def test_is_valid(text, valid):
    assert idnumber.is_valid(text) is valid


# --- make ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "birth", "sequence"),
    [
        ("110105", datetime.date(1949, 12, 31), 2),
        ("530103", datetime.date(1980, 1, 2), 1),
        ("530103", datetime.date(2000, 2, 29), 999),
        ("650102", datetime.date(1880, 1, 1), 0),
        ("440524", datetime.date(2020, 10, 1), 1234),  # sequence modulo 1000
    ],
)
def test_make_round_trip(region, birth, sequence):
    number = idnumber.make(region, birth, sequence)
    assert len(number) == 18
    assert number[:6] == region
    assert number[6:14] == birth.strftime("%Y%m%d")
    assert number[14:17] == f"{sequence % 1000:03d}"
    info = idnumber.parse(number, today=TODAY)
    assert info.number == number
    assert info.region == region
    assert info.birth_date == birth
    assert info.sex == ("1" if sequence % 2 else "2")
    assert info.upgraded_from == ""


def test_make_known_number():
    assert idnumber.make("110105", datetime.date(1949, 12, 31), 2) == KNOWN


def test_make_truncates_long_region():
    assert idnumber.make("110105999", datetime.date(1949, 12, 31), 2) == KNOWN


# --- age_on --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "day", "age"),
    [
        (datetime.date(1980, 6, 15), datetime.date(1980, 6, 15), 0),
        (datetime.date(1980, 6, 15), datetime.date(2020, 6, 14), 39),
        (datetime.date(1980, 6, 15), datetime.date(2020, 6, 15), 40),
        (datetime.date(1980, 6, 15), datetime.date(2020, 6, 16), 40),
        (datetime.date(1980, 6, 15), datetime.date(2020, 12, 31), 40),
        (datetime.date(1980, 6, 15), datetime.date(2021, 1, 1), 40),
        (datetime.date(2000, 2, 29), datetime.date(2001, 2, 28), 0),  # leap-day birthday
        (datetime.date(2000, 2, 29), datetime.date(2001, 3, 1), 1),
        (datetime.date(2000, 2, 29), datetime.date(2004, 2, 29), 4),
        (datetime.date(1949, 12, 31), datetime.date(2025, 1, 1), 75),
    ],
)
def test_age_on(birth, day, age):
    assert idnumber.age_on(birth, day) == age


def test_id_number_age_on():
    info = idnumber.parse(KNOWN, today=TODAY)
    assert info.age_on(datetime.date(2009, 12, 30)) == 59
    assert info.age_on(datetime.date(2009, 12, 31)) == 60


def test_id_number_is_frozen():
    info = idnumber.parse(KNOWN, today=TODAY)
    with pytest.raises(AttributeError):
        info.number = "x"  # type: ignore[misc]
