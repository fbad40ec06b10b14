"""Descriptions of work achievements for the archive benchmarks: Chinese text built from templates
of the common kinds of achievement (防汛, 招商引资, 信访化解, 乡村振兴 …) with places, names and
numbers drawn at random, so that two entries of one kind share phrases but are not copies — and,
for the near-duplicate benchmark, copies of another cadre's entry with a character or a number
changed."""

from __future__ import annotations

import random

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建文辉玲红鹏飞斌宇浩凯健俊帆鑫波亮林峰海燕晨阳春雪梅琳"
PLACE_A = "青东西南北金银石松柳桃杏梨枣桑竹兰梅龙凤马牛羊鹤白黑红黄清源安宁永兴和平新丰长太"
PLACE_B = "山湖河溪岭坪塘湾桥岗洲坝沟川田林口庄店园岩冲"
TOWN_KIND = ["镇", "乡", "街道"]
VILLAGE_KIND = ["村", "社区"]
FIRMS = [
    "新材料",
    "智能装备",
    "生物医药",
    "食品加工",
    "电子信息",
    "新能源",
    "现代物流",
    "文旅开发",
    "纺织服装",
    "汽车零部件",
]
PROVINCES = ["浙江", "江苏", "广东", "上海", "福建", "山东", "湖北", "四川", "安徽", "北京"]
CROPS = ["茶叶", "柑橘", "蓝莓", "香菇", "中药材", "高山蔬菜", "油茶", "猕猴桃", "稻虾", "花卉苗木"]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def _place(rng: random.Random) -> str:
    return rng.choice(PLACE_A) + rng.choice(PLACE_B)


def _town(rng: random.Random) -> str:
    return _place(rng) + rng.choice(TOWN_KIND)


def _village(rng: random.Random) -> str:
    return _place(rng) + rng.choice(VILLAGE_KIND)


def _n(rng: random.Random, lo: int, hi: int) -> int:
    return rng.randint(lo, hi)


def _flood(rng: random.Random) -> list[str]:
    return [
        f"{rng.randint(2019, 2025)}年{rng.randint(5, 9)}月遭遇"
        f"{rng.choice(['特大暴雨', '持续强降雨', '台风过境', '山洪'])}，"
        f"牵头组织{_town(rng)}防汛抢险",
        f"连续{_n(rng, 24, 120)}小时驻守{_place(rng)}水库大坝",
        f"转移安置群众{_n(rng, 80, 5000)}人",
        f"加固堤防{_n(rng, 1, 40)}.{_n(rng, 0, 9)}公里",
        f"排除险情{_n(rng, 2, 60)}处",
        f"组织抢险队伍{_n(rng, 3, 40)}支{_n(rng, 50, 900)}人次",
        f"恢复受损道路{_n(rng, 2, 90)}公里、电力线路{_n(rng, 1, 30)}公里",
        f"灾后{_n(rng, 3, 30)}天内完成{_n(rng, 10, 400)}户受损房屋修缮",
        f"{rng.choice(['全镇', '全乡', '辖区'])}实现{rng.choice(['零伤亡', '人员零伤亡', '无一人伤亡'])}",
    ]


def _invest(rng: random.Random) -> list[str]:
    return [
        f"全年招商引资签约项目{_n(rng, 2, 30)}个，其中亿元以上项目{_n(rng, 1, 9)}个",
        f"引进{rng.choice(PROVINCES)}{rng.choice(FIRMS)}企业落户{_place(rng)}开发区",
        f"实际到位资金{_n(rng, 1, 60)}.{_n(rng, 0, 9)}亿元",
        f"新增就业岗位{_n(rng, 50, 3000)}个",
        f"带动园区产值增长{_n(rng, 3, 45)}%",
        f"帮助企业办理审批手续{_n(rng, 5, 80)}项，平均办结时间缩短{_n(rng, 2, 20)}个工作日",
        f"走访客商{_n(rng, 10, 200)}批次，赴{rng.choice(PROVINCES)}开展专题招商{_n(rng, 2, 15)}次",
        f"盘活闲置厂房{_n(rng, 1, 30)}万平方米",
    ]


def _petition(rng: random.Random) -> list[str]:
    return [
        f"化解信访积案{_n(rng, 3, 60)}件，其中越级访{_n(rng, 1, 12)}件",
        f"对{_name(rng)}{rng.choice(['土地征收补偿', '宅基地', '拆迁安置', '劳资', '山林权属'])}纠纷开展包案化解",
        f"{rng.choice(['三次', '五次', '多次'])}入户走访{_village(rng)}",
        f"协调落实补偿款{_n(rng, 2, 300)}万元",
        f"当事人签署息访承诺书{_n(rng, 1, 20)}份",
        f"信访事项按期办结率达{_n(rng, 90, 100)}%",
        f"组织矛盾纠纷排查{_n(rng, 4, 52)}次，调处纠纷{_n(rng, 10, 400)}起",
    ]


def _rural(rng: random.Random) -> list[str]:
    crop = rng.choice(CROPS)
    return [
        f"推进{_village(rng)}乡村振兴示范点建设",
        f"发展{crop}种植{_n(rng, 100, 9000)}亩",
        f"成立{crop}专业合作社{_n(rng, 1, 12)}家，带动农户{_n(rng, 30, 2000)}户",
        f"村集体经济收入由{_n(rng, 5, 40)}万元增加到{_n(rng, 41, 300)}万元",
        f"新建改建农村公路{_n(rng, 2, 60)}公里",
        f"完成农村户厕改造{_n(rng, 50, 3000)}户",
        f"引进电商平台销售农产品{_n(rng, 20, 900)}万元",
        f"村民人均可支配收入增长{_n(rng, 4, 25)}%",
    ]


def _safety(rng: random.Random) -> list[str]:
    return [
        f"开展{rng.choice(['安全生产', '消防安全', '燃气安全', '道路交通安全'])}大排查大整治",
        f"检查企业{_n(rng, 20, 900)}家次，发现隐患{_n(rng, 30, 2000)}处",
        f"整改到位率{_n(rng, 92, 100)}%",
        f"关停取缔非法小作坊{_n(rng, 2, 60)}家",
        f"组织应急演练{_n(rng, 2, 40)}场，培训{_n(rng, 100, 6000)}人次",
        f"辖区生产安全事故起数同比下降{_n(rng, 5, 60)}%",
    ]


def _ecology(rng: random.Random) -> list[str]:
    river = _place(rng)
    return [
        f"落实河长制，牵头治理{river}河{_n(rng, 3, 50)}公里",
        f"拆除违章建筑{_n(rng, 10, 900)}处{_n(rng, 1, 90)}万平方米",
        f"{river}河断面水质由{rng.choice(['劣V类', 'V类', 'IV类'])}提升至{rng.choice(['III类', 'II类'])}",
        f"清理垃圾{_n(rng, 100, 9000)}吨",
        f"植树造林{_n(rng, 100, 8000)}亩",
        f"关停整治散乱污企业{_n(rng, 3, 120)}家",
        f"空气质量优良天数比例提高{_n(rng, 1, 15)}个百分点",
    ]


def _party(rng: random.Random) -> list[str]:
    return [
        f"整顿软弱涣散村党组织{_n(rng, 1, 12)}个",
        f"发展党员{_n(rng, 3, 60)}名，其中{rng.choice(['35', '30'])}岁以下{_n(rng, 1, 20)}名",
        f"选派{_n(rng, 2, 30)}名年轻干部到{_village(rng)}任职",
        f"建成党群服务中心{_n(rng, 1, 15)}个",
        f"{_village(rng)}党组织被评为{rng.choice(['市级', '县级', '省级'])}先进基层党组织",
    ]


def _project(rng: random.Random) -> list[str]:
    kind = rng.choice(["污水处理厂", "中学新校区", "县人民医院门诊楼", "工业园区标准厂房", "大桥", "保障性住房"])
    return [
        f"负责{_place(rng)}{kind}项目建设",
        f"总投资{_n(rng, 1, 90)}.{_n(rng, 0, 9)}亿元",
        f"提前{_n(rng, 5, 120)}天完成主体工程",
        f"完成征地拆迁{_n(rng, 20, 900)}户{_n(rng, 30, 3000)}亩",
        f"争取上级专项资金{_n(rng, 200, 9000)}万元",
        f"项目通过竣工验收，质量评定为{rng.choice(['优良', '合格', '优质工程'])}",
    ]


def _livelihood(rng: random.Random) -> list[str]:
    return [
        f"办理民生实事{_n(rng, 3, 30)}件",
        f"改造老旧小区{_n(rng, 2, 60)}个，惠及居民{_n(rng, 200, 9000)}户",
        f"新增托育机构{_n(rng, 1, 20)}家、养老床位{_n(rng, 20, 900)}张",
        f"帮扶困难家庭{_n(rng, 20, 900)}户，发放救助资金{_n(rng, 10, 900)}万元",
        f"群众满意度测评得分{_n(rng, 85, 99)}.{_n(rng, 0, 9)}分",
        f"开通{_town(rng)}至县城公交线路{_n(rng, 1, 8)}条",
    ]


TOPICS = [_flood, _invest, _petition, _rural, _safety, _ecology, _party, _project, _livelihood]
TITLES = [
    "防汛抢险",
    "招商引资",
    "信访化解",
    "乡村振兴",
    "安全生产",
    "生态环境整治",
    "基层党建",
    "重点项目建设",
    "民生实事",
]
CATEGORIES = ["key_tasks", "duties", "public", "duties", "duties", "key_tasks", "political", "key_tasks", "public"]


def description(rng: random.Random) -> tuple[int, str]:
    """A topic number and a description of 4 to 6 clauses of that topic, in random order."""
    topic = rng.randrange(len(TOPICS))
    clauses = TOPICS[topic](rng)
    chosen = rng.sample(clauses, rng.randint(min(4, len(clauses)), min(6, len(clauses))))
    return topic, "，".join(chosen) + "。"


def near_copy(rng: random.Random, text: str) -> str:
    """Another cadre's copy: one or two characters changed (a number, a place)."""
    chars = list(text)
    for _ in range(rng.randint(1, 2)):
        i = rng.randrange(len(chars))
        if chars[i].isdigit():
            chars[i] = str((int(chars[i]) + rng.randint(1, 8)) % 10)
        elif chars[i] not in "，。%.":
            chars[i] = rng.choice(PLACE_A)
    return "".join(chars)
