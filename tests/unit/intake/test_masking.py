"""Phone and ID-card numbers in a report's free text are masked before it leaves intake (issue 12, 17)."""

from dataclasses import replace
from typing import Any

import pytest

from services.intake.commands import Report
from services.intake.masking import ID_CARD_MASK, MOBILE_MASK, mask_numbers, masked
from shared.contracts.codes import Domain, Source
from shared.contracts.intake import Channel, Location


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("联系我13812345678谢谢", f"联系我{MOBILE_MASK}谢谢"),
        ("电话 138 1234 5678。", f"电话 {MOBILE_MASK}。"),
        ("电话138-1234-5678", f"电话{MOBILE_MASK}"),
        ("+86 139 1234 5602 找王师傅", f"{MOBILE_MASK} 找王师傅"),
        ("电话：８６１３９１２３４５６０２", f"电话：{MOBILE_MASK}"),
        ("全角１３９１２３４５６０２", f"全角{MOBILE_MASK}"),
        ("老板身份证420106198807151234", f"老板身份证{ID_CARD_MASK}"),
        ("身份证号 42010619880715123X 和 42010619880715123x", f"身份证号 {ID_CARD_MASK} 和 {ID_CARD_MASK}"),
        ("老身份证420106880715123", f"老身份证{ID_CARD_MASK}"),
        ("两个号：13812345678、13912345678", f"两个号：{MOBILE_MASK}、{MOBILE_MASK}"),
    ],
)
def test_mobile_and_id_card_numbers_are_masked_however_they_are_typed(typed: str, shown: str) -> None:
    assert mask_numbers(typed) == shown


@pytest.mark.parametrize(
    "text",
    [
        "河西村3组",
        "座机 0710-3712345",  # a landline is not a person's mobile
        "排污口距河道 12345678901234567890 米",  # a longer run of digits is not one number
        "订单号 23812345678",  # not a mobile prefix
        "2026年6月30日晚上10点",
        "交办编号 SJ-2026-0107",
        "超标 12.5 倍",
    ],
)
def test_text_without_such_numbers_is_left_as_it_is(text: str) -> None:
    assert mask_numbers(text) == text


def report(**overrides: Any) -> Report:
    base = Report(
        source=Source.MAILBOX,
        channel=Channel.WEB_FORM,
        title="砖厂偷排，老板电话13812345678",
        description="老板身份证420106198807151234，夜里偷排",
        township="城关镇",
        domain=Domain.WATER,
        location=Location(address="河西村（联系人13912345678）", lat=30.1, lon=114.3),
    )
    return replace(base, **overrides)


def test_a_reports_title_description_and_address_are_masked_and_the_originals_given_back() -> None:
    original = report()
    clean, originals = masked(original)
    assert clean.title == f"砖厂偷排，老板电话{MOBILE_MASK}"
    assert clean.description == f"老板身份证{ID_CARD_MASK}，夜里偷排"
    assert clean.location == Location(address=f"河西村（联系人{MOBILE_MASK}）", lat=30.1, lon=114.3)
    assert originals == {
        "title": original.title,
        "description": original.description,
        "address": "河西村（联系人13912345678）",
    }
    assert (clean.township, clean.source, clean.channel) == (original.township, original.source, original.channel)


def test_a_report_without_numbers_is_the_same_report_with_no_originals() -> None:
    plain = report(title="砖厂偷排", description="夜里偷排", location=None)
    assert masked(plain) == (plain, {})
