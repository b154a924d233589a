"""Oversize bodies and photos are refused with 413, wrong ones with 422, and the form escapes what it repeats."""

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from services.intake.main import create_app
from services.intake.settings import IntakeSettings
from tests.conftest import SettingsFactory
from tests.integration.intake.conftest import PNG, intake_settings, problem
from tests.support.service import running

FORM = {"title": "偷排", "description": "夜间偷排", "township": "城关镇", "domain": "water", "address": "河西村"}
ATTACK = '<script>alert("xss")</script><img src=x onerror=alert(1)>'


# Every test here sends requests and reads their answers, nothing else: one intake service for the module.
@pytest.fixture(scope="module")
def settings(module_settings: SettingsFactory) -> IntakeSettings:
    return intake_settings(module_settings)


@pytest.fixture(scope="module")
async def client(settings: IntakeSettings) -> AsyncIterator[httpx.AsyncClient]:
    async with running(create_app(settings)) as client:
        yield client


async def test_a_json_body_above_its_limit_is_refused_with_413_in_chinese(
    client: httpx.AsyncClient, settings: IntakeSettings
) -> None:
    body = {**problem(description="很" * 5000), "source": "media", "padding": "x" * settings.max_json_bytes}
    answer = await client.post("/v1/reports", json=body)
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "payload_too_large"
    assert "超过" in answer.json()["error"]["message"]


async def test_a_body_without_a_length_is_counted_and_refused_at_the_limit(
    client: httpx.AsyncClient, settings: IntakeSettings
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"x" * (settings.max_json_bytes // 10)

    answer = await client.post("/v1/reports", content=chunks(), headers={"Content-Type": "application/json"})
    assert answer.status_code == 413


async def test_a_form_above_its_limit_is_refused_before_it_is_read(
    client: httpx.AsyncClient, settings: IntakeSettings
) -> None:
    big = PNG + b"\x00" * settings.max_form_bytes
    answer = await client.post(
        "/report", data=FORM, files=[("photos", ("a.png", big, "image/png"))], headers={"Accept": "text/html"}
    )
    assert answer.status_code == 413
    assert "提交的内容超过" in answer.text and answer.headers["content-type"].startswith("text/html")


async def test_one_photo_above_its_limit_is_413_and_the_form_comes_back_filled(
    client: httpx.AsyncClient, settings: IntakeSettings
) -> None:
    big = PNG + b"\x00" * settings.max_photo_bytes
    answer = await client.post("/report", data=FORM, files=[("photos", ("a.png", big, "image/png"))])
    assert answer.status_code == 413
    assert "第 1 张照片超过" in answer.text and 'value="河西村"' in answer.text
    as_json = await client.post(
        "/report", data=FORM, files=[("photos", ("a.png", big, "image/png"))], headers={"Accept": "application/json"}
    )
    assert as_json.status_code == 413 and as_json.json()["error"]["code"] == "payload_too_large"


async def test_a_file_that_is_not_a_photo_or_too_many_photos_is_422(client: httpx.AsyncClient) -> None:
    fake = await client.post("/report", data=FORM, files=[("photos", ("a.jpg", b"MZ\x90\x00 program", "image/jpeg"))])
    assert fake.status_code == 422 and "不是可识别的图片" in fake.text
    many = await client.post("/report", data=FORM, files=[("photos", (f"{n}.png", PNG, "image/png")) for n in range(4)])
    assert many.status_code == 422 and "最多上传 3 张照片" in many.text


async def test_the_form_shown_again_escapes_everything_it_repeats(client: httpx.AsyncClient) -> None:
    values = {name: ATTACK for name in ("title", "description", "township", "address", "lat", "lon", "name", "phone")}
    answer = await client.post("/report", data={**values, "domain": ATTACK})
    assert answer.status_code == 422
    assert "<script>" not in answer.text and "<img src=x" not in answer.text
    assert "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;" in answer.text
    assert "请选择问题领域" in answer.text


async def test_the_receipt_escapes_the_title_it_shows(client: httpx.AsyncClient) -> None:
    answer = await client.post("/report", data={**FORM, "title": ATTACK})
    assert answer.status_code == 200
    assert "<script>" not in answer.text and "&lt;img src=x onerror=alert(1)&gt;" in answer.text


async def test_half_a_pair_of_coordinates_is_422_naming_the_field(client: httpx.AsyncClient) -> None:
    answer = await client.post("/v1/reports", json={**problem(location={"lat": 30.1}), "source": "media"})
    assert answer.status_code == 422
    assert answer.json()["error"]["fields"] == [{"field": "location", "message": "经度和纬度需同时填写"}]


async def test_a_wrong_reporter_phone_is_422_without_echoing_it(client: httpx.AsyncClient) -> None:
    answer = await client.post("/v1/reports", json={**problem(), "source": "media", "reporter": {"phone": "99999"}})
    assert answer.status_code == 422
    assert answer.json()["error"]["fields"][0]["field"] == "reporter.phone"
    assert "99999" not in answer.text


async def test_text_of_control_characters_or_lone_surrogates_is_422_naming_the_field(client: httpx.AsyncClient) -> None:
    for field, value in (
        ("township", "\u001c"),
        ("township", "城关镇\u0000"),
        ("township", "\udbba"),
        ("batch", "第二轮\u0000"),
        ("external_ref", "\u0000"),
    ):
        answer = await client.post(
            "/v1/reports",
            content=json.dumps({**problem(), "source": "mailbox", field: value}).encode(),
            headers={"content-type": "application/json"},
        )
        assert answer.status_code == 422, (field, value)
        assert answer.json()["error"]["fields"][0]["field"] == field, answer.json()


async def test_each_refused_field_carries_its_own_message_in_chinese(client: httpx.AsyncClient) -> None:
    body = {**problem(), "title": "", "domain": "noise_of_aliens", "location": {"lat": 95, "lon": 114.3}}
    del body["township"]
    answer = await client.post("/v1/reports", json=body)
    assert answer.status_code == 422
    messages = {f["field"]: f["message"] for f in answer.json()["error"]["fields"]}
    assert messages["township"] == "必填"
    assert messages["title"].startswith("至少 1 个字")
    assert messages["domain"].startswith("应为以下之一")
    assert messages["location.lat"] == "应不大于 90"
