"""包案领导's 联络渠道 (Assigned and Reassigned at schema version 2), and a 交办 recorded at version 1 before it.

The version-1 event is appended as the code before version 2 appended it (the old shape, `AssignedV1`, through the
same event store, with the case's list row in the same transaction): it must still fold, be shown and be published
as stored, and its stored row must stay byte for byte what it was after the new code has read it and decided on it.
"""

from datetime import timedelta
from typing import Any

import asyncpg

from services.cases import domain, read_tables
from services.cases.main import create_app
from services.cases.settings import CasesSettings
from shared import clock
from shared.aggregate import fold
from shared.audit.verify import first_break, stream_events
from shared.contracts.cases import AssignedV1, Leader
from shared.db import init_connection
from shared.eventstore import EventStore, Metadata
from tests.integration.cases.support import five_definitions, open_case
from tests.support.kafka import read_topic
from tests.support.service import running

LIAISON = "城关镇党政办督查组"


async def stored(settings: CasesSettings, case_id: str) -> list[dict[str, Any]]:
    """The case's event rows as stored: every column, the payload as its text."""
    conn = await asyncpg.connect(settings.database_dsn)
    try:
        rows = await conn.fetch(
            "select *, payload::text as payload_text from events where stream_id = $1 order by stream_version", case_id
        )
    finally:
        await conn.close()
    return [dict(row) for row in rows]


async def append_as_before_version_2(settings: CasesSettings, case_id: str) -> None:
    """交办 as the code before schema version 2 appended it: the version-1 shape, its list row in the same commit."""
    old = AssignedV1(
        problem="河道两岸被挖空",
        task="清理采砂设备，恢复河岸",
        unit="城关镇人民政府",
        leader=Leader(name="王建国", post="城关镇党委书记"),
        deadline=clock.now() + timedelta(days=30),
        measures="按期完成通报表扬，逾期约谈",
    )
    store = EventStore(topic=settings.own_topic, slots=settings.outbox_slots)
    conn = await asyncpg.connect(settings.database_dsn)
    await init_connection(conn)  # json and jsonb as the services' pools read them
    try:
        async with conn.transaction():
            await store.append(conn, case_id, [old], 1, Metadata(actor="office:old", correlation_id="before-v2"))
            case = fold(domain.evolve, None, [e.payload for e in await store.read(conn, case_id)])
            assert case is not None
            await read_tables.save(conn, case)
    finally:
        await conn.close()


async def test_assign_and_reassign_record_the_liaison_and_the_case_shows_it(settings: CasesSettings) -> None:
    async with running(create_app(settings)) as client:
        case_id = await open_case(client, settings)
        base = f"/v1/cases/{case_id}"
        body = five_definitions()
        body["leader"] = {**body["leader"], "liaison": LIAISON}
        assert (await client.post(f"{base}/assign", json=body, headers={"If-Match": "1"})).status_code == 200
        leader = (await client.get(base)).json()["assignment"]["leader"]
        assert leader == {"name": "王建国", "post": "城关镇党委书记", "liaison": LIAISON}

        # 重新交办 without one: the caller may leave it out, and it is recorded as not given.
        again = five_definitions(unit="县水利局", reason="职责调整")
        assert (await client.post(f"{base}/assign", json=again, headers={"If-Match": "2"})).status_code == 200
        assert (await client.get(base)).json()["assignment"]["leader"]["liaison"] is None

        rows = await stored(settings, case_id)
        assert [(r["type"], r["schema_version"]) for r in rows] == [
            ("CaseOpened", 1),
            ("Assigned", 2),
            ("Reassigned", 2),
        ]
        assert '"liaison": "城关镇党政办督查组"' in rows[1]["payload_text"]
        assert '"liaison": null' in rows[2]["payload_text"]


async def test_a_phone_number_as_the_liaison_is_a_422_on_the_field_in_chinese(settings: CasesSettings) -> None:
    async with running(create_app(settings)) as client:
        case_id = await open_case(client, settings)
        for liaison, message in (("王干事 13800138000", "不能填写电话号码"), ("办" * 101, "最多 100 个字")):
            body = five_definitions()
            body["leader"] = {**body["leader"], "liaison": liaison}
            answer = await client.post(f"/v1/cases/{case_id}/assign", json=body)
            assert answer.status_code == 422, answer.text
            (field,) = answer.json()["error"]["fields"]
            assert field["field"] == "leader.liaison" and message in field["message"]
        assert (await stored(settings, case_id))[-1]["type"] == "CaseOpened"


async def test_an_assignment_recorded_at_version_1_still_folds_is_shown_published_as_stored_and_never_rewritten(
    settings: CasesSettings,
) -> None:
    async with running(create_app(settings)) as client:
        case_id = await open_case(client, settings)
        await append_as_before_version_2(settings, case_id)
        before = await stored(settings, case_id)
        assert (before[1]["type"], before[1]["schema_version"]) == ("Assigned", 1)
        assert "liaison" not in before[1]["payload_text"]

        base = f"/v1/cases/{case_id}"
        case = (await client.get(base)).json()
        assert (case["status"], case["version"]) == ("assigned", 2)
        assert case["assignment"]["leader"] == {"name": "王建国", "post": "城关镇党委书记", "liaison": None}
        listed = (await client.get("/v1/cases", params={"status": "assigned"})).json()["items"]
        assert [c["leader"] for c in listed if c["case_id"] == case_id] == [
            {"name": "王建国", "post": "城关镇党委书记"}
        ]
        history = (await client.get(f"{base}/history")).json()["events"]
        assert [e["label"] for e in history] == ["立案", "交办"]

        # The new code decides on the folded version-1 event: a reassignment, at version 2, after it.
        again = five_definitions(unit="县水利局", reason="职责调整")
        again["leader"] = {**again["leader"], "liaison": LIAISON}
        answer = await client.post(f"{base}/assign", json=again, headers={"If-Match": "2"})
        assert answer.status_code == 200 and answer.json()["events"] == ["Reassigned"]

        after = await stored(settings, case_id)
        assert after[:2] == before  # every column of the version-1 row, its payload's text too
        assert [(r["type"], r["schema_version"]) for r in after] == [
            ("CaseOpened", 1),
            ("Assigned", 1),
            ("Reassigned", 2),
        ]

        # The relay publishes each as stored, under the version it was stored with; a reader upcasts the first.
        records = [r for r in await read_topic(settings.broker, settings.own_topic) if r.key == case_id.encode()]
        versions = [(dict(r.headers)["ce_type"], dict(r.headers)["ce_schemaversion"]) for r in records]
        assert versions == [(b"CaseOpened", b"1"), (b"Assigned", b"1"), (b"Reassigned", b"2")]
        assert b"liaison" not in records[1].value

        # The stream's hash chain, over the stored bytes and versions, still holds across the versions.
        conn = await asyncpg.connect(settings.database_dsn)
        try:
            assert first_break(case_id, await stream_events(conn, case_id)) is None
        finally:
            await conn.close()
