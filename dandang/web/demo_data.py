"""Vocabulary of the demo data: names of people and places, and the shape of a county.

Data only (no logic): :mod:`dandang.web.demo` draws from these lists with a seeded generator.
The surname weights follow the frequency of surnames in Zhejiang (王, 陈, 张 … lead); given names
are built from characters usual for the decade a person was born in, so that a cadre born in 1968
is 建华 or 秀英 and one born in 1996 is 浩宇 or 欣怡.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- people ------------------------------------------------------------------------------------

SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 7.0), ("陈", 6.6), ("张", 5.4), ("李", 5.0), ("吴", 3.5), ("徐", 3.3), ("周", 3.2),
    ("林", 3.0), ("杨", 2.8), ("叶", 2.5), ("金", 2.3), ("朱", 2.3), ("黄", 2.2), ("刘", 2.2),
    ("何", 1.8), ("胡", 1.8), ("郑", 1.8), ("沈", 1.6), ("俞", 1.3), ("方", 1.3), ("蒋", 1.2),
    ("赵", 1.2), ("孙", 1.1), ("汪", 1.1), ("钱", 1.0), ("潘", 1.0), ("许", 1.0), ("应", 0.9),
    ("毛", 0.9), ("陆", 0.9), ("邵", 0.8), ("楼", 0.7), ("戴", 0.7), ("董", 0.7), ("范", 0.7),
    ("姚", 0.7), ("蔡", 0.7), ("傅", 0.6), ("程", 0.6), ("郭", 0.6), ("马", 0.6), ("高", 0.6),
    ("章", 0.5), ("梁", 0.5), ("谢", 0.5), ("宋", 0.5), ("童", 0.5), ("丁", 0.5), ("袁", 0.5),
    ("余", 0.5), ("卢", 0.5), ("韩", 0.4), ("任", 0.4), ("曹", 0.4), ("冯", 0.4), ("邱", 0.4),
    ("江", 0.4), ("严", 0.4), ("葛", 0.4), ("施", 0.4), ("鲍", 0.3), ("骆", 0.3), ("曾", 0.3),
    ("汤", 0.3), ("夏", 0.3), ("陶", 0.3), ("石", 0.3), ("龚", 0.3), ("顾", 0.3), ("魏", 0.3),
    ("洪", 0.3), ("钟", 0.3), ("唐", 0.3), ("姜", 0.3), ("柳", 0.3), ("杜", 0.3), ("屠", 0.2),
    ("缪", 0.2), ("褚", 0.2), ("虞", 0.2), ("孔", 0.2), ("邹", 0.2), ("郎", 0.2), ("卓", 0.1),
    ("欧阳", 0.03), ("诸葛", 0.02),
)  # fmt: skip

# Given names by generation: (single-character names, first characters, second characters).
# "old": born before 1975, "mid": 1975–1987, "young": 1988 and later.
MALE_GIVEN: dict[str, tuple[str, str, str]] = {
    "old": (
        "伟军强勇明华刚平辉峰波建国林斌忠荣",
        "建国志永海文学立宏德家卫新红跃金春荣忠少",
        "军华平明强伟刚林民东良忠荣生根福新峰",
    ),
    "mid": (
        "伟军强勇杰磊涛斌明华刚辉峰波超健鹏亮飞",
        "志文海晓俊家振学立宏伟德明永建卫新",
        "军华平明强伟刚辉峰杰涛斌林龙东波锋",
    ),
    "young": (
        "杰磊涛斌超健鹏亮飞俊浩宇晨凯帆",
        "浩宇子俊家嘉志文晓一思天明泽博梓睿",
        "宇轩豪航杰辰涛然阳博翔鹏帆凯伟磊",
    ),
}
FEMALE_GIVEN: dict[str, tuple[str, str, str]] = {
    "old": ("芳敏静丽艳娟霞燕玲萍红梅英", "秀丽美玉桂红晓海雪春建小素金彩", "英芳华珍兰梅娟萍琴红霞燕凤莲玲"),
    "mid": ("芳娜敏静丽艳娟霞燕玲婷颖雪慧琳倩洁萍丹", "晓丽美雪春海小静玉佳慧红亚", "芳娟萍琴霞燕玲婷颖丽敏慧琳洁华"),
    "young": ("婷颖雪慧琳倩洁丹璐瑶", "思雨欣佳婷雅梦诗子晓一静可语", "怡涵琪婷颖萱雯洁悦彤琳晴茜倩妍"),
}
FEMALE_DOUBLED = ("婷婷", "丹丹", "佳佳", "晶晶", "莉莉", "露露")

ETHNICITIES: tuple[tuple[str, float], ...] = (
    ("汉族", 95.5), ("畲族", 2.0), ("回族", 0.6), ("土家族", 0.5), ("苗族", 0.5),
    ("满族", 0.4), ("壮族", 0.3), ("布依族", 0.2),
)  # fmt: skip

# --- places ------------------------------------------------------------------------------------

PROVINCE = ("330000", "浙江省")
FIRST_CITY = "示范市"
FIRST_COUNTY = "示范县"
# Fictional cities and counties: codes 3312xx, 3313xx … never collide with the real ones.
FIRST_CITY_CODE = 3312

CITY_SYLLABLES = ("安永泰宁平昌德兴嘉云武仙松庆临天文开遂新", "和康顺安阳泉溪川城山源居化清丰江门田宁海")
COUNTY_SYLLABLES = (
    "安永泰宁平昌德兴嘉云武仙松庆临天文开遂新常浦建景龙青苍玉岱磐",
    "和康顺安阳泉溪川城山源居化清丰江门田海环游",
)
TOWNSHIP_SYLLABLES = ("青白石龙金桃大新双高梅竹枫仙云凤安丰长永黄碧", "溪山岭源桥田塘口湖港潭峰门阳川坪埠湾")
STREET_NAMES = ("城东", "城西", "城南", "城北", "城关")
VILLAGE_SYLLABLES = (
    "东西南北上下前后大小新高石山溪河湖塘岭桥竹梅桃李杨柳枫松柏金银青白黄红龙凤马双三五沙泉云岩樟杏茶花",
    "岭头口湾坑塘桥坪田山溪源岙坞畈埠港庄园林岗墩垟洋堰门滩",
)


@dataclass(frozen=True)
class UnitSpec:
    """A county-level unit: name after the county's name, code suffix, kind, sector, size weight
    (about how many cadres it has in a county of 1,500) and the title of its head."""

    name: str
    slug: str
    kind: str
    sector: str
    weight: int
    head: str
    deputy: str


# Party organs of the county committee (中共X县委 …).  Their heads are 副处级.
PARTY_ORGANS: tuple[UnitSpec, ...] = (
    UnitSpec("委组织部", "zzb", "party_committee", "organization", 22, "部长", "副部长"),
    UnitSpec("纪委监委", "jw", "party_committee", "discipline", 30, "纪委书记、监委主任", "纪委副书记、监委副主任"),
    UnitSpec("委办公室", "xwb", "party_committee", "party_office", 22, "主任", "副主任"),
    UnitSpec("委宣传部", "xcb", "party_committee", "publicity", 12, "部长", "副部长"),
    UnitSpec("委统战部", "tzb", "party_committee", "united_front", 10, "部长", "副部长"),
    UnitSpec("委政法委员会", "zfw", "party_committee", "political_legal", 10, "书记", "副书记"),
)

_G = "government_department"
_P = "public_institution"
_S = "state_enterprise"
DEPARTMENTS: tuple[UnitSpec, ...] = (
    UnitSpec("发展和改革局", "fgj", _G, "development", 28, "局长", "副局长"),
    UnitSpec("教育局", "jyj", _G, "education", 34, "局长", "副局长"),
    UnitSpec("科学技术局", "kjj", _G, "science", 12, "局长", "副局长"),
    UnitSpec("经济和信息化局", "jxj", _G, "industry", 18, "局长", "副局长"),
    UnitSpec("公安局", "gaj", _G, "public_security", 45, "局长", "副局长"),
    UnitSpec("民政局", "mzj", _G, "civil_affairs", 16, "局长", "副局长"),
    UnitSpec("司法局", "sfj", _G, "justice", 18, "局长", "副局长"),
    UnitSpec("财政局", "czj", _G, "finance", 30, "局长", "副局长"),
    UnitSpec("人力资源和社会保障局", "rsj", _G, "human_resources", 24, "局长", "副局长"),
    UnitSpec("自然资源和规划局", "zgj", _G, "natural_resources", 30, "局长", "副局长"),
    UnitSpec("住房和城乡建设局", "jsj", _G, "housing", 24, "局长", "副局长"),
    UnitSpec("交通运输局", "jtj", _G, "transport", 22, "局长", "副局长"),
    UnitSpec("水利局", "slj", _G, "water", 18, "局长", "副局长"),
    UnitSpec("农业农村局", "nyncj", _G, "agriculture", 30, "局长", "副局长"),
    UnitSpec("商务局", "swj", _G, "commerce", 12, "局长", "副局长"),
    UnitSpec("文化和广电旅游体育局", "wgltj", _G, "culture_tourism", 18, "局长", "副局长"),
    UnitSpec("卫生健康局", "wjj", _G, "health", 22, "局长", "副局长"),
    UnitSpec("退役军人事务局", "tyjrj", _G, "veterans", 10, "局长", "副局长"),
    UnitSpec("应急管理局", "yjj", _G, "emergency", 14, "局长", "副局长"),
    UnitSpec("审计局", "sjj", _G, "audit", 14, "局长", "副局长"),
    UnitSpec("市场监督管理局", "scjgj", _G, "market_regulation", 30, "局长", "副局长"),
    UnitSpec("统计局", "tjj", _G, "statistics", 10, "局长", "副局长"),
    UnitSpec("人民医院", "rmyy", _P, "health", 14, "院长", "副院长"),
    UnitSpec("中医院", "zyy", _P, "health", 10, "院长", "副院长"),
    UnitSpec("第一中学", "yz", _P, "education", 10, "校长", "副校长"),
    UnitSpec("融媒体中心", "rmtzx", _P, "media", 10, "主任", "副主任"),
    UnitSpec("农业技术推广中心", "ntzx", _P, "agriculture", 8, "主任", "副主任"),
    UnitSpec("城市建设投资集团有限公司", "ctjt", _S, "construction", 12, "董事长", "副总经理"),
    UnitSpec("交通投资集团有限公司", "jtjt", _S, "transport", 10, "董事长", "副总经理"),
    UnitSpec("水务集团有限公司", "swjt", _S, "water", 8, "董事长", "副总经理"),
)

# Leading posts of the county Party committee itself: (title, rank, grade, holders).
COUNTY_LEADERSHIP: tuple[tuple[str, str, int, int], ...] = (
    ("县委书记", "正处级", 7, 1),
    ("县委副书记、县长", "正处级", 7, 1),
    ("县委副书记", "副处级", 6, 1),
    ("县委常委", "副处级", 6, 5),
    ("副县长", "副处级", 6, 4),
)

# Non-leading ranks (职级) with their place on the ladder and their share among non-leading cadres.
CIVIL_RANKS: tuple[tuple[str, int, int], ...] = (
    ("二级科员", 0, 15),
    ("一级科员", 1, 25),
    ("四级主任科员", 2, 25),
    ("三级主任科员", 3, 18),
    ("二级主任科员", 4, 12),
    ("一级主任科员", 5, 5),
)
INSTITUTION_RANKS: tuple[tuple[str, int, int], ...] = (
    ("九级职员", 0, 30),
    ("八级职员", 1, 35),
    ("七级职员", 2, 25),
    ("六级职员", 3, 10),
)
ENTERPRISE_RANKS: tuple[tuple[str, int, int], ...] = (
    ("职员", 0, 45),
    ("主管", 1, 35),
    ("部门经理", 2, 20),
)
