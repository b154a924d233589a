"""Stable English codes that other platforms rely on, each with its Chinese label.

The codes never change once published; the labels are what people read.
"""

from enum import StrEnum


class Source(StrEnum):
    """问题来源: where a problem was found."""

    CENTRAL_INSPECTION = "central_inspection"
    PROVINCIAL_INSPECTION = "provincial_inspection"
    HOTLINE_12369 = "hotline_12369"
    COUNTY_HOTLINE = "county_hotline"
    MAILBOX = "mailbox"
    SELF_INSPECTION = "self_inspection"
    COVERT_INSPECTION = "covert_inspection"
    MEDIA = "media"
    PROVINCE_PLATFORM = "province_platform"


class Domain(StrEnum):
    """问题领域: the field of the problem."""

    QUARRYING_SAND = "quarrying_sand"
    BRICK_TILE = "brick_tile"
    READY_MIX_CONCRETE = "ready_mix_concrete"
    LIVESTOCK_AQUACULTURE = "livestock_aquaculture"
    DUST_CONSTRUCTION_WASTE = "dust_construction_waste"
    RURAL_LIVING_ENVIRONMENT = "rural_living_environment"
    WATER = "water"
    AIR = "air"
    SOLID_WASTE = "solid_waste"
    NOISE = "noise"
    OTHER = "other"


SOURCE_LABELS: dict[Source, str] = {
    Source.CENTRAL_INSPECTION: "中央环保督察",
    Source.PROVINCIAL_INSPECTION: "省级环保督察",
    Source.HOTLINE_12369: "12369环保热线",
    Source.COUNTY_HOTLINE: "县长热线",
    Source.MAILBOX: "县长信箱",
    Source.SELF_INSPECTION: "自查自纠",
    Source.COVERT_INSPECTION: "明察暗访",
    Source.MEDIA: "媒体曝光",
    Source.PROVINCE_PLATFORM: "省级平台交办",
}

DOMAIN_LABELS: dict[Domain, str] = {
    Domain.QUARRYING_SAND: "非法采砂采石",
    Domain.BRICK_TILE: "砖瓦窑",
    Domain.READY_MIX_CONCRETE: "商品混凝土",
    Domain.LIVESTOCK_AQUACULTURE: "畜禽水产养殖",
    Domain.DUST_CONSTRUCTION_WASTE: "扬尘与建筑垃圾",
    Domain.RURAL_LIVING_ENVIRONMENT: "农村人居环境",
    Domain.WATER: "水污染",
    Domain.AIR: "大气污染",
    Domain.SOLID_WASTE: "固体废物",
    Domain.NOISE: "噪声污染",
    Domain.OTHER: "其他",
}
