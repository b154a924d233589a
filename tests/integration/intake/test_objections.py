"""公示异议 (issue 17 item 2): anyone objects to a case in 公示, with no token, on intake's public endpoint.

The objection is durable before the 202 (its event and outbox row in intake's database), published as
ObjectionFiled on intake.events, refused with 422 naming the field when malformed (nothing recorded), and limited
per client address like the report form (429 with Retry-After).
"""

import uuid
from collections.abc import Mapping

import asyncpg
import httpx

from services.intake.main import create_app
from services.intake.settings import IntakeSettings
from shared.contracts.intake import ObjectionFiled
from tests.conftest import SettingsFactory
from tests.integration.intake.conftest import ANONYMOUS
from tests.support.kafka import wait_for_events
from tests.support.service import running

PATH = "/v1/public/objections"


async def object_to(client: httpx.AsyncClient, body: Mapping[str, object]) -> httpx.Response:
    return await client.post(PATH, json=body, auth=ANONYMOUS)


async def test_an_objection_is_recorded_before_the_answer_and_published_with_numbers_masked(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    settings = make_settings(IntakeSettings, public_rate_limit="3/hour")
    case_id = str(uuid.uuid4())
    text = "  河道仍有采砂船夜间作业，整改不实。联系我 13912345678  "
    async with running(create_app(settings)) as client:
        answer = await object_to(client, {"case_id": case_id.upper(), "text": text})
        assert answer.status_code == 202, answer.text
        receipt = answer.json()
        assert receipt["case_id"] == case_id
        assert "督察办" in receipt["message"]
        assert receipt["received_at"].endswith("+08:00")

        # durable: the event and its outbox row are in intake's database as the 202 leaves
        conn = await asyncpg.connect(settings.database_dsn)
        try:
            stored = await conn.fetchrow(
                "select type, stream_version, payload::text as payload from events where stream_id = $1",
                receipt["objection_id"],
            )
        finally:
            await conn.close()
        assert stored is not None and (stored["type"], stored["stream_version"]) == ("ObjectionFiled", 1)
        assert "13912345678" not in stored["payload"]

        published = await wait_for_events(settings.broker, settings.topic("intake.events"), 1)
        objections = [e for e in published if e.type == "ObjectionFiled"]
        assert len(objections) == 1
        event = objections[0].payload
        assert isinstance(event, ObjectionFiled)
        assert (event.objection_id, event.case_id) == (receipt["objection_id"], case_id)
        assert event.text == "河道仍有采砂船夜间作业，整改不实。联系我 【手机号码已隐去】"
        assert objections[0].stream_id == receipt["objection_id"] and objections[0].actor == "public"


async def test_a_malformed_objection_is_refused_naming_the_field_and_records_nothing(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    settings = make_settings(IntakeSettings, public_rate_limit="2/hour")
    async with running(create_app(settings)) as client:
        for body, field in (
            ({"case_id": "not-a-case", "text": "整改不到位，仍在排污"}, "case_id"),
            ({"case_id": str(uuid.uuid4()), "text": "  不行 "}, "text"),
            ({"case_id": str(uuid.uuid4()), "text": "字" * 1001}, "text"),
            ({"case_id": str(uuid.uuid4()), "text": "整改不到位\x00仍在排污"}, "text"),
            ({"text": "整改不到位，仍在排污"}, "case_id"),
        ):
            refused = await object_to(client, body)
            assert refused.status_code == 422, (body, refused.text)
            fields = refused.json()["error"]["fields"]
            assert [f["field"] for f in fields] == [field], fields
            assert any("\u4e00" <= ch <= "\u9fff" for ch in fields[0]["message"]), fields
        # refusals are not counted against the address: two good ones still go through, the third is limited
        good = {"case_id": str(uuid.uuid4()), "text": "整改不到位，仍在排污"}
        assert [(await object_to(client, good)).status_code for _ in range(3)] == [202, 202, 429]
        limited = await object_to(client, good)
        assert limited.json()["error"]["code"] == "too_many_requests" and int(limited.headers["Retry-After"]) > 0

        conn = await asyncpg.connect(settings.database_dsn)
        try:
            recorded = await conn.fetchval("select count(*) from events where type = 'ObjectionFiled'")
        finally:
            await conn.close()
        assert recorded == 2
