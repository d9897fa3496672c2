"""Unit tests for :mod:`tongxin.core.pinyin` (search keys of Chinese names; pure Python)."""

from __future__ import annotations

import pytest

from tongxin.core import pinyin


@pytest.mark.parametrize(
    ("name", "full", "initials"),
    [
        ("王芳", "wangfang", "wf"),
        ("李娜", "lina", "ln"),
        ("张伟", "zhangwei", "zw"),
        ("陈小明", "chenxiaoming", "cxm"),
        ("刘德华", "liudehua", "ldh"),
        ("曾小贤", "zengxiaoxian", "zxx"),
        ("单田芳", "shantianfang", "stf"),
        ("解缙", "xiejin", "xj"),
        ("仇英", "qiuying", "qy"),
        ("朴树", "piaoshu", "ps"),
        ("区家明", "oujiaming", "ojm"),
        ("查良镛", "zhaliangyong", "zly"),
        ("乐嘉", "yuejia", "yj"),
        ("翟志刚", "zhaizhigang", "zzg"),
        ("覃海", "qinhai", "qh"),
        ("长孙无忌", "zhangsunwuji", "zswj"),
        ("欧阳修", "ouyangxiu", "oyx"),
        ("诸葛亮", "zhugeliang", "zgl"),
        ("司马光", "simaguang", "smg"),
        ("上官婉儿", "shangguanwaner", "sgwe"),
        ("尉迟恭", "yuchigong", "ycg"),
        ("王", "wang", "w"),
    ],
)
def test_most_likely_reading_first(name, full, initials):
    fulls, inits = pinyin.keys(name)
    assert fulls[0] == full
    assert inits[0] == initials


def test_keys_wang_fang():
    fulls, inits = pinyin.keys("王芳")
    assert "wangfang" in fulls
    assert "wf" in inits


def test_keys_zeng_xiaoxian():
    assert pinyin.keys("曾小贤") == (("zengxiaoxian", "cengxiaoxian"), ("zxx", "cxx"))


@pytest.mark.parametrize(
    ("name", "fulls", "initials"),
    [
        ("曾小贤", ["zengxiaoxian", "cengxiaoxian"], ["zxx", "cxx"]),
        ("单田芳", ["shantianfang", "dantianfang", "chantianfang"], ["stf", "dtf", "ctf"]),
        ("解缙", ["xiejin", "jiejin"], ["xj", "jj"]),
        ("仇英", ["qiuying", "chouying"], ["qy", "cy"]),
        ("朴树", ["piaoshu", "pushu"], ["ps"]),
        ("区家明", ["oujiaming", "qujiaming"], ["ojm", "qjm"]),
        ("查良镛", ["zhaliangyong", "chaliangyong"], ["zly", "cly"]),
        ("乐嘉", ["yuejia", "lejia"], ["yj", "lj"]),
        ("尉迟恭", ["yuchigong", "weichigong"], ["ycg", "wcg"]),
        ("盖聂", ["genie", "gainie"], ["gn"]),
        ("缪斯", ["miaosi", "mousi", "miusi"], ["ms"]),
        ("秘书", ["bishu", "mishu"], ["bs", "ms"]),
        ("种师道", ["chongshidao", "zhongshidao"], ["csd", "zsd"]),
        ("翟志刚", ["zhaizhigang", "dizhigang"], ["zzg", "dzg"]),
        ("覃海", ["qinhai", "tanhai"], ["qh", "th"]),
        ("召忠", ["shaozhong", "zhaozhong"], ["sz", "zz"]),
        ("费祎", ["feiyi", "biyi"], ["fy", "by"]),
        ("句芒", ["goumang", "jumang"], ["gm", "jm"]),
        ("员半千", ["yunbanqian", "yuanbanqian"], ["ybq"]),
        ("长孙无忌", ["zhangsunwuji", "changsunwuji"], ["zswj", "cswj"]),
    ],
)
def test_every_listed_surname_reading(name, fulls, initials):
    got_full, got_initials = pinyin.keys(name)
    assert list(got_full[: len(fulls)]) == fulls
    assert list(got_initials[: len(initials)]) == initials


@pytest.mark.parametrize(("surname", "readings"), sorted(pinyin.SURNAME_READINGS.items()))
def test_surname_table_readings_all_present_in_order(surname, readings):
    fulls, inits = pinyin.keys(surname + "明")
    assert [f for f in fulls if f.endswith("ming")] == [r + "ming" for r in readings]
    assert inits == tuple(dict.fromkeys(r[0] + "m" for r in readings))


@pytest.mark.parametrize("surname", sorted(pinyin.COMPOUND_SURNAMES))
def test_compound_surnames_are_read_as_surname(surname):
    fulls, inits = pinyin.keys(surname + "明")
    assert fulls
    assert all(f.endswith("ming") for f in fulls)
    assert all(len(i) == 3 and i.endswith("m") for i in inits)


def test_compound_surname_takes_two_characters():
    assert pinyin.keys("欧阳娜娜") == (("ouyangnana",), ("oynn",))
    # A name that is only the compound surname still reads both characters as surname.
    assert pinyin.keys("欧阳")[1] == ("oy",)
    # The given name after a compound surname gets one reading only, even a listed surname character.
    fulls, inits = pinyin.keys("欧阳曾")
    assert len(fulls) == 1
    assert fulls[0].startswith("ouyang")
    assert len(inits) == 1


def test_given_name_read_in_context():
    """Only the surname gets every reading; the given name gets pypinyin's reading in context."""
    fulls, _ = pinyin.keys("王长江")
    assert fulls[0] == "wangchangjiang"
    assert all("zhangjiang" not in f for f in fulls)
    fulls, _ = pinyin.keys("李曾")
    assert all(f.startswith("li") for f in fulls)


@pytest.mark.parametrize(
    "name",
    [" 王芳 ", "王 芳", "王\u3000芳", "王\t芳\n"],
)
def test_whitespace_ignored(name):
    assert pinyin.keys(name) == pinyin.keys("王芳")


@pytest.mark.parametrize(
    ("name", "first_full", "first_initials"),
    [
        ("阿依古丽·买买提", "ayigulimaimaiti", "ayglmmt"),
        ("阿依古丽•买买提", "ayigulimaimaiti", "ayglmmt"),
        ("阿依古丽.买买提", "ayigulimaimaiti", "ayglmmt"),
        ("阿依古丽 买买提", "ayigulimaimaiti", "ayglmmt"),
    ],
)
def test_minority_names_with_separators(name, first_full, first_initials):
    fulls, inits = pinyin.keys(name)
    assert fulls[0] == first_full
    assert inits[0] == first_initials


@pytest.mark.parametrize("name", ["", "   ", None, "·", "。，"])
def test_blank_names(name):
    assert pinyin.keys(name) == ((), ())


@pytest.mark.parametrize(
    ("name", "full", "initials"),
    [
        ("John", "john", "john"),  # letters pypinyin cannot read are kept, one syllable each
        ("王A", "wanga", "wa"),
        ("李2", "li2", "l2"),
    ],
)
def test_latin_letters_kept(name, full, initials):
    fulls, inits = pinyin.keys(name)
    assert fulls[0] == full
    assert inits[0] == initials


@pytest.mark.parametrize("name", ["\ue000小明", "\U00020bb7小明"])  # a private-use or rare surname character
def test_unreadable_surname_keeps_given_name(name):
    fulls, inits = pinyin.keys(name)
    assert "xiaoming" in fulls
    assert "xm" in inits


def test_results_are_lowercase_ascii_without_duplicates():
    for name in ["王芳", "曾小贤", "单田芳", "和志刚", "长孙无忌", "John", "阿依古丽·买买提"]:
        fulls, inits = pinyin.keys(name)
        for key in (*fulls, *inits):
            assert key.isascii()
            assert key == key.lower()
            assert key.isalnum()
        assert len(set(fulls)) == len(fulls)
        assert len(set(inits)) == len(inits)


def test_initials_match_full_readings():
    fulls, inits = pinyin.keys("单田芳")
    assert {f[0] + "tf" for f in fulls} == set(inits)


def test_variants_are_capped():
    # 欧阳 readings multiply per character; product is cut at MAX_VARIANTS.
    for name in ["欧阳修", "单于", "长孙无忌", "曾单"]:
        fulls, inits = pinyin.keys(name)
        assert 1 <= len(fulls) <= pinyin.MAX_VARIANTS
        assert 1 <= len(inits) <= pinyin.MAX_VARIANTS


def test_keys_are_tuples_and_cached():
    first = pinyin.keys("王芳")
    assert isinstance(first, tuple)
    assert all(isinstance(part, tuple) for part in first)
    assert pinyin.keys("王芳") is first


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("wf", True),
        ("wangfang", True),
        ("Wang", True),
        ("ZXX", True),
        ("w", True),
        ("", False),
        ("王", False),
        ("王f", False),
        ("w f", False),
        ("wang1", False),
        ("138", False),
        ("wang-fang", False),
        ("wāng", False),  # tone marks are not ASCII
        ("ｗｆ", False),  # full-width letters
    ],
)
def test_is_pinyin_query(text, expected):
    assert pinyin.is_pinyin_query(text) is expected
