"""Every door a problem comes through ends as IssueReported on intake.events, with its channel."""

import hashlib
import io
from typing import Any

import httpx
from PIL import Image

from services.intake.settings import IntakeSettings
from shared.auth import Role
from tests.integration.intake.conftest import ANONYMOUS, PNG, batch_xlsx, bearer, problem
from tests.support.kafka import wait_for_events


async def published(settings: IntakeSettings, count: int) -> list[Any]:
    return await wait_for_events(settings.broker, settings.own_topic, count)


async def test_a_json_report_entered_by_staff_with_its_source_is_published_as_issue_reported_from_the_api(
    client: httpx.AsyncClient, settings: IntakeSettings
) -> None:
    answer = await client.post(
        "/v1/reports",
        json={**problem(), "source": "media", "external_ref": "报道-17"},
        headers=bearer(settings, Role.OPERATOR, "li"),
    )
    assert answer.status_code == 202
    body = answer.json()
    assert body["status"] == "accepted" and body["message"] == f"已受理，问题编号 {body['issue_id']}"
    [event] = await published(settings, 1)
    assert (event.type, event.stream_id, event.actor) == ("IssueReported", body["issue_id"], "li")
    assert event.payload.channel == "api" and event.payload.source == "media"
    assert event.payload.external_ref == "报道-17"


async def test_an_anonymous_json_report_is_published_as_a_letter_from_the_public(
    client: httpx.AsyncClient, settings: IntakeSettings
) -> None:
    answer = await client.post("/v1/reports", json=problem(), auth=ANONYMOUS)
    assert answer.status_code == 202
    [event] = await published(settings, 1)
    assert (event.actor, event.payload.channel, event.payload.source) == ("public", "api", "mailbox")
    assert (event.payload.batch, event.payload.external_ref) == (None, None)


async def test_the_form_page_is_served_in_chinese_with_every_domain(client: httpx.AsyncClient) -> None:
    page = await client.get("/report")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-CN">' in page.text and "举报人信息（选填）" in page.text
    assert '<option value="quarrying_sand">非法采砂采石</option>' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert (await client.get("/static/intake.css")).status_code == 200


async def test_a_form_with_photos_opens_an_issue_whose_photos_can_be_fetched(
    client: httpx.AsyncClient, settings: IntakeSettings
) -> None:
    form = {
        "title": "工地扬尘",
        "description": "渣土车未覆盖",
        "township": "城关镇",
        "domain": "dust_construction_waste",
        "address": "城关镇建设路工地",
    }
    answer = await client.post("/report", data=form, files=[("photos", ("工地.png", PNG, "image/png"))])
    assert answer.status_code == 200
    assert "举报已受理" in answer.text
    [event] = await published(settings, 1)
    assert event.payload.channel == "web_form" and event.payload.source == "mailbox"
    [photo] = event.payload.attachments
    assert (photo.file_name, photo.content_type) == ("photo-1.png", "image/png")
    assert event.stream_id in answer.text
    fetched = await client.get(f"/v1/attachments/{photo.attachment_id}")
    assert fetched.status_code == 200 and fetched.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(fetched.content)).size == Image.open(io.BytesIO(PNG)).size
    assert (photo.size_bytes, photo.sha256) == (len(fetched.content), hashlib.sha256(fetched.content).hexdigest())
    report = (await client.get(f"/v1/reports/{event.stream_id}")).json()
    assert report["channel_label"] == "网上举报" and report["attachments"][0]["sha256"] == photo.sha256


async def test_the_form_answers_in_json_to_a_client_that_asks_for_it(client: httpx.AsyncClient) -> None:
    form = {
        "title": "噪声扰民",
        "description": "夜间施工",
        "township": "河口镇",
        "domain": "noise",
        "lat": "30.5",
        "lon": "114.1",
    }
    answer = await client.post("/report", data=form, headers={"Accept": "application/json"})
    assert answer.status_code == 202 and answer.json()["status"] == "accepted"
    refused = await client.post("/report", data={**form, "domain": ""}, headers={"Accept": "application/json"})
    assert refused.status_code == 422
    assert refused.json()["error"]["fields"] == [{"field": "domain", "message": "请选择问题领域"}]


async def test_a_hotline_call_keeps_its_reference_and_entering_it_again_creates_nothing(
    client: httpx.AsyncClient, settings: IntakeSettings, db: Any
) -> None:
    call = {**problem(), "line": "hotline_12369", "call_ref": "12369-20260630-0042"}
    first = await client.post("/v1/hotline-calls", json=call)
    again = await client.post("/v1/hotline-calls", json=call)
    assert first.status_code == again.status_code == 202
    assert again.json()["status"] == "already_received"
    assert again.json()["issue_id"] == first.json()["issue_id"]
    assert again.json()["report_id"] == first.json()["report_id"]
    assert await db.fetchval("select count(*) from events") == 1
    events = await published(settings, 1)
    assert len(events) == 1
    assert (events[0].payload.source, events[0].payload.channel) == ("hotline_12369", "hotline_operator")
    assert events[0].payload.external_ref == "12369-20260630-0042"


async def test_a_county_hotline_call_needs_its_reference(client: httpx.AsyncClient) -> None:
    answer = await client.post("/v1/hotline-calls", json={**problem(), "line": "county_hotline"})
    assert answer.status_code == 422
    assert answer.json()["error"]["fields"][0]["field"] == "call_ref"


async def test_self_and_covert_inspection_entries_carry_their_source(
    client: httpx.AsyncClient, settings: IntakeSettings
) -> None:
    for kind, township in (("self_inspection", "城关镇"), ("covert_inspection", "河口镇")):
        answer = await client.post("/v1/inspections", json={**problem(township=township), "kind": kind})
        assert answer.status_code == 202 and answer.json()["status"] == "accepted"
    events = await published(settings, 2)
    assert sorted((e.payload.source, e.payload.channel) for e in events) == [
        ("covert_inspection", "inspection_staff"),
        ("self_inspection", "inspection_staff"),
    ]


async def test_a_batch_reports_each_row_and_uploading_it_again_creates_nothing(
    client: httpx.AsyncClient, settings: IntakeSettings, db: Any
) -> None:
    files = {"file": ("交办表.xlsx", batch_xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}
    first = await client.post("/v1/batches", data={"source": "central_inspection"}, files=files)
    assert first.status_code == 200, first.text
    report = first.json()
    assert (report["rows"], report["accepted_count"], report["refused_count"], report["created_count"]) == (3, 2, 1, 2)
    assert [(r["serial"], r["status"]) for r in report["accepted"]] == [("1", "accepted"), ("2", "accepted")]
    [refused] = report["refused"]
    assert refused["row"] == 4 and "问题为空" in refused["reasons"]
    assert any("火星污染" in reason for reason in refused["reasons"])

    second = (await client.post("/v1/batches", data={"source": "central_inspection"}, files=files)).json()
    assert second["created_count"] == 0
    assert [r["status"] for r in second["accepted"]] == ["already_received", "already_received"]
    assert [r["issue_id"] for r in second["accepted"]] == [r["issue_id"] for r in report["accepted"]]
    assert await db.fetchval("select count(*) from events") == 2

    events = await published(settings, 2)
    assert len(events) == 2
    assert {(e.payload.batch, e.payload.external_ref, e.payload.channel) for e in events} == {
        ("第二轮第3批", "1", "batch_upload"),
        ("第二轮第3批", "2", "batch_upload"),
    }
    kept = (await client.get(f"/v1/batches/{report['upload_id']}")).json()
    assert kept["refused"] == report["refused"] and kept["uploaded_at"].endswith("+08:00")


async def test_a_file_that_is_not_a_table_is_refused_with_the_reason(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/v1/batches", data={"source": "provincial_inspection"}, files={"file": ("x.csv", b"a,b\n1,2\n", "text/csv")}
    )
    assert answer.status_code == 422
    assert "缺少必需的列" in answer.json()["error"]["message"]
