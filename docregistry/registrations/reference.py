"""Reference data loaded by migration: GB/T 2260 regions and the practice scopes.

Both are ordinary tables afterwards, which an operator extends in the admin.
"""

PROVINCES = {
    "110000": "北京市", "120000": "天津市", "130000": "河北省", "140000": "山西省", "150000": "内蒙古自治区",
    "210000": "辽宁省", "220000": "吉林省", "230000": "黑龙江省", "310000": "上海市", "320000": "江苏省",
    "330000": "浙江省", "340000": "安徽省", "350000": "福建省", "360000": "江西省", "370000": "山东省",
    "410000": "河南省", "420000": "湖北省", "430000": "湖南省", "440000": "广东省", "450000": "广西壮族自治区",
    "460000": "海南省", "500000": "重庆市", "510000": "四川省", "520000": "贵州省", "530000": "云南省",
    "540000": "西藏自治区", "610000": "陕西省", "620000": "甘肃省", "630000": "青海省", "640000": "宁夏回族自治区",
    "650000": "新疆维吾尔自治区", "710000": "台湾省", "810000": "香港特别行政区", "820000": "澳门特别行政区",
}  # fmt: skip

# Cities and districts the demo data and tests use.
LOCAL_REGIONS = {
    "110100": "北京市市辖区", "110101": "东城区", "110102": "西城区", "110105": "朝阳区", "110108": "海淀区",
    "510100": "成都市", "510104": "锦江区", "510107": "武侯区",
    "440100": "广州市", "440104": "越秀区", "440300": "深圳市", "440304": "福田区",
}  # fmt: skip

# 《关于医师执业注册中执业范围的暂行规定》; "其他" is the catch-all every category has.
OTHER_SCOPE = "省级以上卫生行政部门规定的其他专业"
PRACTICE_SCOPES = {
    "clinical": [
        "内科专业", "外科专业", "妇产科专业", "儿科专业", "眼耳鼻咽喉科专业", "皮肤病与性病专业", "精神卫生专业",
        "职业病专业", "医学影像和放射治疗专业", "医学检验、病理专业", "全科医学专业", "急救医学专业",
        "康复医学专业", "预防保健专业", "特种医学与军事医学专业", "计划生育技术服务专业", OTHER_SCOPE,
    ],
    # The dental split (口腔, 口腔麻醉, 口腔病理, 口腔影像): migration 0009 adds it to existing databases.
    "dental": ["口腔专业", "口腔麻醉专业", "口腔病理专业", "口腔影像专业", OTHER_SCOPE],
    "public_health": ["公共卫生类别专业", OTHER_SCOPE],
    "tcm": ["中医专业", "中西医结合专业", "蒙医专业", "藏医专业", "维医专业", "傣医专业", OTHER_SCOPE],
}  # fmt: skip


def load_reference_data(Region, PracticeScope) -> None:  # noqa: N803 - model classes, possibly historical
    """Insert the regions and scopes above; safe to run again (used by the migration and by tests)."""
    for code, name in {**PROVINCES, **LOCAL_REGIONS}.items():
        Region.objects.update_or_create(code=code, defaults={"name": name})
    for category, names in PRACTICE_SCOPES.items():
        for position, name in enumerate(names):
            PracticeScope.objects.update_or_create(category=category, name=name, defaults={"position": position})
