"""The public form: field checks in zh-CN, and everything shown back escaped."""

import pytest

from services.intake.api.form import FormErrors, check_form, render
from shared.contracts.codes import Domain

VALID = {
    "title": "夜间偷排",
    "description": "工厂夜间偷排污水",
    "township": "城关镇",
    "domain": "water",
    "address": "城关镇河西村",
    "lat": "",
    "lon": "",
    "name": "",
    "phone": "",
}
ATTACK = '<script>alert("x")</script>"><img src=x onerror=alert(1)>'


def test_a_complete_form_becomes_a_web_report_and_a_contact() -> None:
    report, contact = check_form({**VALID, "name": "张三", "phone": "13800138000"})
    assert (report.domain, report.location and report.location.address) == (Domain.WATER, "城关镇河西村")
    assert contact is not None and contact.phone == "13800138000"


def test_every_wrong_field_is_named_in_chinese() -> None:
    with pytest.raises(FormErrors) as caught:
        check_form({**VALID, "title": "", "domain": "mars", "address": "", "lat": "30", "phone": "12"})
    errors = caught.value.errors
    assert errors["title"] == "请填写标题"
    assert errors["domain"] == "请选择问题领域"
    assert errors["lat"] == "经度和纬度需同时填写"
    assert errors["phone"].startswith("联系电话格式不正确")


def test_a_place_is_required_as_an_address_or_coordinates() -> None:
    with pytest.raises(FormErrors) as caught:
        check_form({**VALID, "address": ""})
    assert caught.value.errors == {"address": "请填写问题地址，或填写经纬度"}
    report, _ = check_form({**VALID, "address": "", "lat": "30.5", "lon": "114.3"})
    assert report.location is not None and (report.location.lat, report.location.lon) == (30.5, 114.3)


def test_coordinates_must_be_finite_numbers_in_range() -> None:
    with pytest.raises(FormErrors) as caught:
        check_form({**VALID, "lat": "nan", "lon": "999"})
    assert set(caught.value.errors) == {"lat", "lon"}


def test_the_form_shown_again_escapes_every_value_it_repeats() -> None:
    values = {name: ATTACK for name in VALID}
    shown = render(
        "report_form.html", values=values, errors={"title": ATTACK}, max_photos=6, max_photo_mb="5", photo_types="JPEG"
    )
    page = bytes(shown.body).decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in page


def test_control_characters_in_any_text_field_are_named() -> None:
    with pytest.raises(FormErrors) as caught:
        check_form({**VALID, "title": "偷排\x00", "address": "河西村\x1c"})
    assert caught.value.errors["title"] == "不能包含控制字符"
    assert caught.value.errors["address"] == "不能包含控制字符"
