"""The vocabulary of generated registers: surnames and given names, places, codes as people write them,
household makeups."""

from __future__ import annotations

import re
from collections.abc import Sequence

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
