"""Unit tests for :mod:`tongxin.core.normalize` (phones, dates, Chinese numerals, group names; pure Python)."""

from __future__ import annotations

import datetime

import pytest

from tongxin.core import normalize

# --- phone: mobiles ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "13912345678",
        " 13912345678 ",
        "+86 139 1234 5678",
        "+8613912345678",
        "+86-139-1234-5678",
        "0086 139 1234 5678",
        "008613912345678",
        "8613912345678",  # the + lost when typed into a number cell
        "139-1234-5678",
        "139 1234 5678",
        "(139)12345678",
        "１３９１２３４５６７８",
        "＋８６　１３９１２３４５６７８",
        "13912345678.0",
        13912345678,
    ],
)
def test_phone_mobile(text):
    assert normalize.phone(text) == ("13912345678", True)


@pytest.mark.parametrize("prefix", ["13", "14", "15", "16", "17", "18", "19"])
def test_phone_mobile_prefixes(prefix):
    number = prefix + "912345678"
    assert normalize.phone(number) == (number, True)


@pytest.mark.parametrize(
    "text",
    [
        "12912345678",  # no 12x mobiles
        "10912345678",
        "1391234567",  # 10 digits
        "139123456789",  # 12 digits
        "23912345678",
        "13912345678转801",  # mobiles have no extension
    ],
)
def test_phone_not_a_mobile(text):
    assert normalize.phone(text) == (text, False)


# --- phone: landlines ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0871-65123456", "0871-65123456"),
        ("(0871)65123456", "0871-65123456"),
        ("(0871) 65123456", "0871-65123456"),
        ("（0871）65123456", "0871-65123456"),
        ("087165123456", "0871-65123456"),
        ("087165123456.0", "0871-65123456"),
        ("0871 65123456", "0871-65123456"),
        ("0871－65123456", "0871-65123456"),
        ("０８７１－６５１２３４５６", "0871-65123456"),
        ("0871-6512345", "0871-6512345"),  # 7-digit local number
        ("010-12345678", "010-12345678"),
        ("01012345678", "010-12345678"),
        ("(010)12345678", "010-12345678"),
        ("021-12345678", "021-12345678"),
        ("02112345678", "021-12345678"),
        ("020 1234 5678", "020-12345678"),
        ("+86 871 65123456", "0871-65123456"),  # international form drops the trunk 0
        ("+86 10 12345678", "010-12345678"),
        ("0086-871-65123456", "0871-65123456"),
        ("+86 (0)871 65123456", "0871-65123456"),
    ],
)
def test_phone_landline(text, expected):
    assert normalize.phone(text) == (expected, True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0871-65123456转801", "0871-65123456-801"),
        ("0871-65123456 转 801", "0871-65123456-801"),
        ("087165123456转8", "0871-65123456-8"),
        ("0871-65123456-801", "0871-65123456-801"),
        ("0871 65123456 801", "0871-65123456-801"),
        ("(0871)65123456-801", "0871-65123456-801"),
        ("0871-65123456 ext 801", "0871-65123456-801"),
        ("0871-65123456 ext. 801", "0871-65123456-801"),
        ("0871-65123456EXT801", "0871-65123456-801"),
        ("0871-65123456x801", "0871-65123456-801"),
        ("0871-65123456#801", "0871-65123456-801"),
        ("010-12345678转123456", "010-12345678-123456"),
    ],
)
def test_phone_landline_extension(text, expected):
    assert normalize.phone(text) == (expected, True)


@pytest.mark.parametrize(
    "text",
    [
        "65123456",  # no area code
        "0871-123456",  # 6-digit local number
        "0871-651234567",  # 9-digit local number
        "abc",
        "无",
        "电话",
        "139xxxx5678",
        "0871-65123456转",  # extension marker without a number
        "13912345678/13812345678",  # phone() takes one number; phones() splits
        "1391234567.8",
    ],
)
def test_phone_unparseable_returns_raw(text):
    assert normalize.phone(text) == (text, False)


def test_phone_unparseable_returns_text_stripped_as_written():
    assert normalize.phone("  电话待补  ") == ("电话待补", False)
    assert normalize.phone("１２３") == ("１２３", False)  # as written, not translated


@pytest.mark.parametrize("text", ["", "   ", "\u3000", None])
def test_phone_blank(text):
    assert normalize.phone(text) == ("", True)


# --- phones --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "good", "bad"),
    [
        ("13912345678/0871-65123456", ["13912345678", "0871-65123456"], []),
        ("13912345678 / 0871-65123456", ["13912345678", "0871-65123456"], []),
        ("13912345678，13812345678", ["13912345678", "13812345678"], []),
        ("13912345678,13812345678", ["13912345678", "13812345678"], []),
        ("13912345678；13812345678", ["13912345678", "13812345678"], []),
        ("13912345678;13812345678", ["13912345678", "13812345678"], []),
        ("13912345678、13812345678", ["13912345678", "13812345678"], []),
        ("13912345678|13812345678", ["13912345678", "13812345678"], []),
        ("13912345678\n13812345678", ["13912345678", "13812345678"], []),  # Alt+Enter in a cell
        ("13912345678\r\n0871-65123456", ["13912345678", "0871-65123456"], []),
        ("13912345678  13812345678", ["13912345678", "13812345678"], []),
        ("13912345678 13812345678", ["13912345678", "13812345678"], []),
        ("13912345678 0871-65123456", ["13912345678", "0871-65123456"], []),
        ("139 1234 5678", ["13912345678"], []),  # one number written with single spaces
        ("0871 65123456", ["0871-65123456"], []),
        ("139 1234 5678  0871-65123456", ["13912345678", "0871-65123456"], []),
        ("+86 139 1234 5678/0871-65123456转801", ["13912345678", "0871-65123456-801"], []),
        ("13912345678//13812345678", ["13912345678", "13812345678"], []),
        ("13912345678/", ["13912345678"], []),
        ("abc/13912345678", ["13912345678"], ["abc"]),
        ("13912345678/无/65123456", ["13912345678"], ["无", "65123456"]),
        ("13912345678 abc", [], ["13912345678 abc"]),  # a space split only when every piece is a number
        (
            "１３９１２３４５６７８／０８７１－６５１２３４５６",
            ["13912345678", "0871-65123456"],
            [],
        ),  # full-width slash
        ("13912345678｜13812345678", ["13912345678", "13812345678"], []),
        ("13912345678", ["13912345678"], []),
    ],
)
def test_phones(text, good, bad):
    assert normalize.phones(text) == (good, bad)


@pytest.mark.parametrize("text", ["", "   ", None, "/", " , ; "])
def test_phones_blank(text):
    assert normalize.phones(text) == ([], [])


# --- date ----------------------------------------------------------------------------------------

JAN_2 = datetime.date(1980, 1, 2)


@pytest.mark.parametrize(
    "value",
    [
        "1980-01-02",
        "1980-1-2",
        "19800102",
        "19800102.0",
        19800102,
        "1980/1/2",
        "1980/01/02",
        "1980.1.2",
        "1980.01.02",
        "1980年1月2日",
        "1980年01月02日",
        "1980年1月2",
        " 1980-01-02 ",
        "１９８０－０１－０２",
        "１９８０年１月２日",
        "1980-01-02 00:00:00",  # str() of a datetime
        "1980-01-02 13:45",
        "1980-01-02T13:45:10",  # isoformat() of a datetime
        "1980-01-02 13:45:10.250000",
        JAN_2,
        datetime.datetime(1980, 1, 2, 23, 59, 59),
    ],
)
def test_date(value):
    result = normalize.date(value)
    assert result == JAN_2
    assert type(result) is datetime.date


def test_date_from_aware_datetime_keeps_its_own_day():
    value = datetime.datetime(1980, 1, 2, 23, 30, tzinfo=datetime.UTC)
    assert normalize.date(value) == JAN_2


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2000-02-29", datetime.date(2000, 2, 29)),
        ("1999-12-31", datetime.date(1999, 12, 31)),
        ("20240229", datetime.date(2024, 2, 29)),
        ("2024年12月31日", datetime.date(2024, 12, 31)),
    ],
)
def test_date_other_days(value, expected):
    assert normalize.date(value) == expected


@pytest.mark.parametrize("value", [None, "", "   ", "\u3000"])
def test_date_blank(value):
    assert normalize.date(value) is None


@pytest.mark.parametrize(
    "value",
    [
        "1980-02-30",
        "19800230",
        "1981-02-29",
        "1980-13-01",
        "1980-00-10",
        "1980-01-00",
        "1980年2月30日",
        "00000102",
    ],
)
def test_date_impossible(value):
    with pytest.raises(ValueError):
        normalize.date(value)


@pytest.mark.parametrize(
    "value",
    [
        "garbage",
        "不详",
        "1980",
        "1980-01",
        "80-01-02",
        "01/02/1980",
        "1980-01-02-03",
        "198001021",
        "1980-001-02",
        "29222.0",
        "1980-01-02 午后",
    ],
)
def test_date_garbage(value):
    with pytest.raises(ValueError):
        normalize.date(value)


# --- chinese_number ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("一", 1),
        ("二", 2),
        ("两", 2),
        ("九", 9),
        ("十", 10),
        ("十一", 11),
        ("十二", 12),
        ("二十", 20),
        ("二十一", 21),
        ("两十", 20),
        ("九十九", 99),
        ("一百", 100),
        ("百", 100),
        ("两百", 200),
        ("一百零五", 105),
        ("一百一十", 110),
        ("一百二十三", 123),
        ("零", 0),
        ("〇", 0),
        ("一二", 12),  # digit by digit
        ("二二", 22),
        ("〇三", 3),
        ("一〇五", 105),
        ("3", 3),
        ("12", 12),
        ("012", 12),
        (" 十二 ", 12),
        ("１２", 12),
    ],
)
def test_chinese_number(text, expected):
    assert normalize.chinese_number(text) == expected


@pytest.mark.parametrize("text", ["", "  ", "abc", "十二组", "第一", "1.0", "-1", "²", "一a", "万"])
def test_chinese_number_none(text):
    assert normalize.chinese_number(text) is None


# --- group_number / group_name -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "第一居民小组",
        "第一村民小组",
        "第1村民小组",
        "第1居民小组",
        "第一小组",
        "第一组",
        "第1组",
        "一组",
        "1组",
        "一社",
        "1",
        "一",
        "1.0",
        "01",
        1,
        1.0,
        " 1组 ",
        "１组",
        "第 1 组",
        "第一村民组",
        "翠湖社区第一居民小组",
        "一居民小组",
    ],
)
def test_group_number_one(text):
    assert normalize.group_number(text) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("第十二居民小组", 12),
        ("十二组", 12),
        ("12组", 12),
        ("第12村民小组", 12),
        ("第二十居民小组", 20),
        ("第二十一村民小组", 21),
        ("第九十九居民小组", 99),
        ("第一百零五居民小组", 105),
        ("第105居民小组", 105),
        ("3社", 3),
        ("两组", 2),
        ("999", 999),
    ],
)
def test_group_number(text, expected):
    assert normalize.group_number(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "  ",
        "abc",
        "居民小组",
        "第组",
        "第居民小组",
        "0",
        "0组",
        "第零居民小组",
        "1.5",  # not 5
        "第1.5组",
        "13912345678",  # a phone number in the group column
        "1000",
        "一单元",
        "3栋",
        "第一居委会",
    ],
)
def test_group_number_garbage(text):
    assert normalize.group_number(text) is None


@pytest.mark.parametrize(
    ("number", "name"),
    [
        (1, "第一居民小组"),
        (2, "第二居民小组"),
        (9, "第九居民小组"),
        (10, "第十居民小组"),
        (11, "第十一居民小组"),
        (12, "第十二居民小组"),
        (19, "第十九居民小组"),
        (20, "第二十居民小组"),
        (21, "第二十一居民小组"),
        (30, "第三十居民小组"),
        (99, "第九十九居民小组"),
        (100, "第100居民小组"),
    ],
)
def test_group_name(number, name):
    assert normalize.group_name(number) == name


@pytest.mark.parametrize(("number", "name"), [(1, "第一村民小组"), (12, "第十二村民小组"), (20, "第二十村民小组")])
def test_group_name_village(number, name):
    assert normalize.group_name(number, village=True) == name


@pytest.mark.parametrize("number", [0, -1, -12])
def test_group_name_needs_positive_number(number):
    with pytest.raises(ValueError):
        normalize.group_name(number)


@pytest.mark.parametrize("village", [False, True])
def test_group_name_round_trip(village):
    for number in range(1, 100):
        name = normalize.group_name(number, village=village)
        assert normalize.group_number(name) == number, name


def test_group_name_round_trip_beyond_99():
    for number in (100, 105, 250, 999):
        assert normalize.group_number(normalize.group_name(number)) == number
