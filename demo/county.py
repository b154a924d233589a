"""The simulated county (模拟县): its townships, units, inspection batches, problems and enterprises.

Pure data: every name here is invented; nothing refers to a real place, person or company.
"""

from shared.contracts.codes import Domain, Source

TOWNSHIPS: tuple[str, ...] = (
    "城关镇",
    "河口镇",
    "青山镇",
    "白沙镇",
    "石门镇",
    "柳林镇",
    "南湖镇",
    "新华乡",
    "东岭乡",
    "西坪乡",
    "北塘乡",
    "桃源乡",
)

VILLAGES: tuple[str, ...] = (
    "东村",
    "西村",
    "前进村",
    "红星村",
    "大王庄",
    "李家湾",
    "杨树坪",
    "河西村",
    "新建村",
    "张家沟",
)

# The county's responsible units (责任单位) and who leads each; a township's government is "<乡镇>人民政府".
COUNTY_UNITS: dict[str, tuple[str, str]] = {
    "生态环境局": ("赵志刚", "县生态环境局局长"),
    "农业农村局": ("钱文斌", "县农业农村局局长"),
    "畜牧水产中心": ("孙立群", "县畜牧水产服务中心主任"),
    "自然资源局": ("李永红", "县自然资源局局长"),
    "住建局": ("周建华", "县住房和城乡建设局局长"),
    "城管局": ("吴海涛", "县城市管理局局长"),
    "应急管理局": ("郑国庆", "县应急管理局局长"),
    "交通运输局": ("王振宇", "县交通运输局局长"),
    "公安交警大队": ("冯卫东", "县公安局交警大队大队长"),
    "水利局": ("陈俊峰", "县水利局局长"),
}
TOWNSHIP_GOVERNMENT = "{township}人民政府"
SURNAMES = (
    "刘陈杨黄何罗梁宋谢韩唐许邓萧曹彭曾田潘袁蒋蔡余杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白"
    "邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_NAMES = (
    "建国",
    "国强",
    "志明",
    "海燕",
    "秀英",
    "红梅",
    "立新",
    "卫东",
    "晓峰",
    "文静",
    "春生",
    "桂兰",
    "德胜",
    "玉华",
    "振华",
)

# Which units answer for a domain's problems; "township" stands for the problem's township government.
DOMAIN_UNITS: dict[Domain, tuple[str, ...]] = {
    Domain.QUARRYING_SAND: ("自然资源局", "水利局", "township"),
    Domain.BRICK_TILE: ("自然资源局", "生态环境局"),
    Domain.READY_MIX_CONCRETE: ("住建局", "生态环境局"),
    Domain.LIVESTOCK_AQUACULTURE: ("畜牧水产中心", "农业农村局", "township"),
    Domain.DUST_CONSTRUCTION_WASTE: ("住建局", "城管局"),
    Domain.RURAL_LIVING_ENVIRONMENT: ("township", "农业农村局"),
    Domain.WATER: ("生态环境局", "水利局", "township"),
    Domain.AIR: ("生态环境局", "交通运输局", "公安交警大队"),
    Domain.SOLID_WASTE: ("城管局", "生态环境局", "应急管理局"),
    Domain.NOISE: ("城管局", "公安交警大队"),
    Domain.OTHER: ("应急管理局", "township"),
}

# (title, description, task) per domain; the title is prefixed with the place.
PROBLEMS: dict[Domain, tuple[tuple[str, str, str], ...]] = {
    Domain.QUARRYING_SAND: (
        ("河道非法采砂", "夜间有采砂船作业，河岸被挖空", "拆除采砂设备，回填河床，恢复河岸"),
        ("山体违法采石", "无证开采石料，山体裸露", "关停采石点，复绿山体"),
        ("砂石堆场未苫盖", "堆场扬尘严重，影响周边群众", "堆场全覆盖，设置围挡和喷淋"),
    ),
    Domain.BRICK_TILE: (
        ("黏土砖窑违规生产", "已列入取缔名单的砖窑仍在生产", "拆除窑体和烟囱，复垦土地"),
        ("砖厂脱硫设施停运", "在线监测显示二氧化硫超标", "修复脱硫设施，达标排放"),
    ),
    Domain.READY_MIX_CONCRETE: (
        ("商砼站废水外排", "洗车废水直排路边沟渠", "建设三级沉淀池，废水循环使用"),
        ("搅拌站料仓粉尘", "上料口无收尘设施", "加装布袋除尘，封闭料仓"),
    ),
    Domain.LIVESTOCK_AQUACULTURE: (
        ("养猪场粪污直排", "粪污未经处理排入河道", "建设粪污处理设施，实现资源化利用"),
        ("禁养区养殖场未关停", "禁养区内仍有生猪养殖", "依法关闭搬迁，清理栏舍"),
        ("水产养殖尾水超标", "尾水未经处理排放", "建设尾水处理池"),
    ),
    Domain.DUST_CONSTRUCTION_WASTE: (
        ("工地扬尘污染", "土方未覆盖，车辆带泥上路", "落实六个百分百，安装冲洗设施"),
        ("建筑垃圾乱倾倒", "路边堆放大量建筑垃圾", "清运垃圾，设置监控"),
    ),
    Domain.RURAL_LIVING_ENVIRONMENT: (
        ("生活垃圾随意堆放", "村内垃圾无人清运", "建立保洁制度，垃圾日产日清"),
        ("生活污水横流", "村内污水管网未接通", "完善污水收集管网"),
        ("黑臭水塘", "村口水塘发黑发臭", "清淤治理，恢复水质"),
    ),
    Domain.WATER: (
        ("企业偷排工业废水", "群众反映河水发黑有异味", "查处偷排，规范排污口"),
        ("饮用水源地保护区违建", "一级保护区内有农家乐", "拆除违建，设置隔离防护"),
    ),
    Domain.AIR: (
        ("重型柴油车冒黑烟", "渣土车尾气黑烟严重", "路检路查，淘汰高排放车辆"),
        ("露天焚烧秸秆", "夜间焚烧秸秆烟雾弥漫", "加强巡查，推进秸秆综合利用"),
        ("餐饮油烟扰民", "油烟净化器未运行", "安装并正常运行油烟净化设施"),
    ),
    Domain.SOLID_WASTE: (
        ("危险废物非法贮存", "废机油桶露天堆放", "规范贮存，交有资质单位处置"),
        ("工业固废倾倒", "废渣倾倒在林地", "清运废渣，恢复林地"),
    ),
    Domain.NOISE: (
        ("夜间施工噪声扰民", "工地夜间打桩", "停止夜间施工，办理夜间施工许可"),
        ("车辆鸣笛噪声", "学校周边鸣笛严重", "设置禁鸣标志，加强执法"),
    ),
    Domain.OTHER: (
        ("化工企业环境风险隐患", "应急池未建设", "建设事故应急池，完善应急预案"),
        ("尾矿库渗漏隐患", "尾矿库坝体有渗水", "排查隐患，加固坝体"),
    ),
}

# How often each source reports (weights), and the batches (督察批次) of those that come in batches.
SOURCE_WEIGHTS: dict[Source, int] = {
    Source.CENTRAL_INSPECTION: 15,
    Source.PROVINCIAL_INSPECTION: 15,
    Source.HOTLINE_12369: 20,
    Source.COUNTY_HOTLINE: 14,
    Source.MAILBOX: 8,
    Source.SELF_INSPECTION: 12,
    Source.COVERT_INSPECTION: 9,
    Source.MEDIA: 7,
}
BATCHES: dict[Source, tuple[str, ...]] = {
    Source.CENTRAL_INSPECTION: ("第二轮中央生态环境保护督察", "第三轮中央生态环境保护督察"),
    Source.PROVINCIAL_INSPECTION: ("第二轮省级生态环境保护督察", "省级督察“回头看”"),
    Source.SELF_INSPECTION: ("春季自查自纠专项行动", "秋季自查自纠专项行动"),
    Source.COVERT_INSPECTION: ("第一批明察暗访", "第二批明察暗访"),
}
BATCH_REF_PREFIX: dict[str, str] = {
    "第二轮中央生态环境保护督察": "ZY2",
    "第三轮中央生态环境保护督察": "ZY3",
    "第二轮省级生态环境保护督察": "SJ2",
    "省级督察“回头看”": "SJH",
    "春季自查自纠专项行动": "ZC1",
    "秋季自查自纠专项行动": "ZC2",
    "第一批明察暗访": "AF1",
    "第二批明察暗访": "AF2",
}

# Enterprises (企业) for enforcement cases: a trade name and, per domain, the kind of business,
# a violation found in it and the legal basis of the penalty.
TRADE_NAMES: tuple[str, ...] = (
    "宏达",
    "鑫源",
    "永固",
    "丰收",
    "恒通",
    "金盛",
    "顺发",
    "华美",
    "绿洲",
    "振兴",
    "通达",
    "兴旺",
    "利民",
    "福源",
    "盛世",
    "天成",
    "瑞丰",
    "东方",
    "新城",
    "万利",
    "嘉禾",
    "大成",
    "富民",
    "长青",
)
BUSINESSES: dict[Domain, tuple[tuple[str, str, str], ...]] = {
    Domain.QUARRYING_SAND: (
        ("砂石有限公司", "未经许可在河道采砂", "《中华人民共和国水法》第六十五条"),
        ("石料厂", "无证开采矿产资源", "《中华人民共和国矿产资源法》第三十九条"),
    ),
    Domain.BRICK_TILE: (
        ("建材有限公司", "大气污染物超标排放", "《中华人民共和国大气污染防治法》第九十九条"),
        ("页岩砖厂", "在线监测数据弄虚作假", "《中华人民共和国环境保护法》第六十三条"),
    ),
    Domain.READY_MIX_CONCRETE: (
        ("商品混凝土有限公司", "生产废水未经处理外排", "《中华人民共和国水污染防治法》第八十三条"),
    ),
    Domain.LIVESTOCK_AQUACULTURE: (
        ("生猪养殖专业合作社", "畜禽粪污直接排放", "《畜禽规模养殖污染防治条例》第三十九条"),
        ("水产养殖场", "养殖尾水超标排放", "《中华人民共和国水污染防治法》第八十三条"),
    ),
    Domain.WATER: (
        ("化工有限公司", "通过暗管排放有毒有害废水", "《中华人民共和国环境保护法》第六十三条"),
        ("造纸厂", "私设暗管逃避监管", "《中华人民共和国环境保护法》第六十三条"),
        ("食品有限公司", "废水超标排放", "《中华人民共和国水污染防治法》第八十三条"),
    ),
    Domain.SOLID_WASTE: (
        ("再生资源回收站", "非法贮存危险废物", "《中华人民共和国固体废物污染环境防治法》第一百一十二条"),
        ("机械加工厂", "危险废物交无资质单位处置", "《中华人民共和国固体废物污染环境防治法》第一百一十二条"),
    ),
    Domain.AIR: (
        ("陶瓷有限公司", "未按规定安装使用污染防治设施", "《中华人民共和国大气污染防治法》第一百零八条"),
        ("物流有限公司", "重型柴油车排放不合格", "《中华人民共和国大气污染防治法》第一百一十一条"),
        ("铸造有限公司", "未批先建、擅自投入生产", "《中华人民共和国环境影响评价法》第三十一条"),
    ),
    Domain.DUST_CONSTRUCTION_WASTE: (
        ("建筑工程有限公司", "施工扬尘污染防治措施不落实", "《中华人民共和国大气污染防治法》第一百一十五条"),
    ),
}
OFFICERS: tuple[str, ...] = ("王执法", "刘振", "陈立", "杨帆", "黄涛")
POLICE_UNIT = "县公安局"
PROCURATORATE = "县人民检察院"
