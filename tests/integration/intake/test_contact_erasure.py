"""可被遗忘 (crypto-shredding), end to end on the real database and broker: a reporter's contact erased on request
after a key rotation is gone from the database, from a backup once the service key is retired, and was never on a
topic; every event stays as it was, and the erasure and each read are audit events on audit.reads.intake."""

import asyncio
import glob
import shutil
import subprocess
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from cryptography.fernet import Fernet, InvalidToken

from services.intake.main import create_app
from services.intake.privacy import ContactVault
from services.intake.rotate_keys import rotate
from services.intake.settings import IntakeSettings
from shared.audit.reads import topic_of
from shared.auth import Role
from shared.contracts.audit import ContactErased
from shared.db import init_connection
from shared.envelope import from_record
from shared.topics import read_to_end
from tests.conftest import SettingsFactory
from tests.integration.intake.conftest import bearer, problem
from tests.support.service import running

NAME, PHONE, CALLER = "欧阳娜娜", "13912345678", "0710-3888888"
ID_NUMBER_TEXT = "举报人说手机13700001111可联系"


async def report_twice(client: httpx.AsyncClient) -> tuple[str, list[str]]:
    """One problem reported twice: a named reporter whose description holds a number (masked, sealed), a caller."""
    body = {**problem(description=ID_NUMBER_TEXT), "source": "media", "reporter": {"name": NAME, "phone": PHONE}}
    first = (await client.post("/v1/reports", json=body)).json()
    call = {**problem(), "line": "hotline_12369", "call_ref": "12369-9", "caller": {"phone": CALLER}}
    second = (await client.post("/v1/hotline-calls", json=call)).json()
    assert second["issue_id"] == first["issue_id"]
    return first["issue_id"], [first["report_id"], second["report_id"]]


async def connect(settings: IntakeSettings) -> asyncpg.Connection:
    conn = await asyncpg.connect(settings.database_dsn)
    await init_connection(conn)
    return conn


async def audit_events(settings: IntakeSettings, wanted: int) -> list[Any]:
    """The audit events on audit.reads once the relay has published `wanted` of them."""
    for _ in range(100):
        records = await read_to_end(settings.broker, [settings.topic(topic_of("intake"))])
        if len(records) >= wanted:
            return records
        await asyncio.sleep(0.1)
    raise AssertionError(f"{wanted} audit events expected on intake's audit topic, found {len(records)}")


async def test_an_erased_contact_is_unrecoverable_after_rotation_and_every_event_stays_as_it_was(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    old, new, newest = (Fernet.generate_key().decode() for _ in range(3))
    base = make_settings(IntakeSettings, contact_keys=old)
    async with running(create_app(base)) as client:
        issue_id, (named, caller) = await report_twice(client)

    # A key rotation before the erasure: the data keys are re-wrapped, the old service key retired.
    assert await rotate(base.model_copy(update={"contact_keys": f"{new},{old}"})) == 2
    settings = base.model_copy(update={"contact_keys": new})
    conn = await connect(settings)
    try:
        events_before = [dict(r) for r in await conn.fetch("select * from events order by event_id")]
        # What a backup taken now holds of the named reporter: the sealed contact and its data key, wrapped by `new`.
        backup = await conn.fetchrow(
            """select phone_sealed, wrapped from reporter_contacts join contact_keys using (report_id)
                where report_id = $1""",
            named,
        )
        assert backup is not None
        async with running(create_app(settings)) as client:
            operator = bearer(settings, Role.OPERATOR, "wang")
            path = f"/v1/reports/{issue_id}/contact"
            assert (await client.request("DELETE", path, json={"reason": "x"}, auth=None)).status_code == 401
            for role in (Role.LEADER, Role.DISCIPLINE, Role.VIEWER, Role.INSPECTION_OFFICE):
                denied = await client.request("DELETE", path, json={"reason": "依申请"}, headers=bearer(settings, role))
                assert denied.status_code == 403, role
            no_reason = await client.request("DELETE", path, json={}, headers=operator)
            assert no_reason.status_code == 422
            assert [f["field"] for f in no_reason.json()["error"]["fields"]] == ["reason"]
            long_reason = await client.request("DELETE", path, json={"reason": "长" * 501}, headers=operator)
            assert long_reason.status_code == 422
            which = await client.request("DELETE", path, json={"reason": "申请编号 2026-07"}, headers=operator)
            assert which.status_code == 422 and "report_id" in which.text and "举报人" in which.text

            erased = await client.request(
                "DELETE", path, json={"reason": "申请编号 2026-07", "report_id": named}, headers=operator
            )
            assert erased.status_code == 200, erased.text
            assert erased.json()["report_id"] == named and erased.json()["erased_at"].endswith("+08:00")
            again = await client.request(
                "DELETE", path, json={"reason": "申请编号 2026-07", "report_id": named}, headers=operator
            )
            assert again.status_code == 409 and again.json()["error"]["code"] == "contact_erased"

            read = await client.get(f"/v1/reports/{issue_id}/contacts", headers=operator)
            assert read.status_code == 200
            first, second = read.json()["contacts"]
            assert (first["report_id"], first["erased"], first["erased_notice"]) == (named, True, "已依申请删除")
            assert (first["name"], first["phone"], first["original_text"]) == (None, None, None)
            assert NAME not in read.text and PHONE not in read.text and "13700001111" not in read.text
            assert (second["report_id"], second["phone"], second["erased"]) == (caller, CALLER, False)

            # Each read and the erasure are audit events, on the topic; no contact on it.
            records = await audit_events(settings, 2)
        # From the database: no data key, no sealed column left for the erased report.
        assert await conn.fetchval("select count(*) from contact_keys where report_id = $1", named) == 0
        row = await conn.fetchrow("select * from reporter_contacts where report_id = $1", named)
        assert row is not None
        assert (row["name_sealed"], row["phone_sealed"], row["text_sealed"]) == (None, None, None)
        assert row["erased_by"] == "wang"

        # Every event stored before the erasure is exactly as it was (the hash chains cover nothing that moved).
        events_after = [
            dict(r)
            for r in await conn.fetch(
                "select * from events where event_id = any($1::uuid[])", [e["event_id"] for e in events_before]
            )
        ]
        assert sorted(events_after, key=lambda e: e["event_id"]) == events_before
        added = await conn.fetch(
            "select type, payload::text as payload from events where event_id <> all($1::uuid[])",
            [e["event_id"] for e in events_before],
        )
        assert sorted(r["type"] for r in added) == ["ContactErased", "ContactRead"]
        every_payload = await conn.fetchval("select string_agg(payload::text, ' ') from events")
        for secret in (NAME, PHONE, CALLER, "13700001111"):
            assert secret not in every_payload
    finally:
        await conn.close()

    published = [from_record(r.value, list(r.headers or ())) for r in records]
    assert sorted(e.type for e in published) == ["ContactErased", "ContactRead"]
    erasure = next(e for e in published if e.type == "ContactErased")
    assert isinstance(erasure.payload, ContactErased)
    assert (erasure.actor, erasure.payload.reason, erasure.payload.report_id) == ("wang", "申请编号 2026-07", named)
    assert all(NAME.encode() not in r.value and PHONE.encode() not in r.value for r in records)

    # From a backup taken before the erasure: readable while `new` is kept, never once it is retired. The operator's
    # procedure after the erasure window: put a newer key first, re-wrap (rotate), retire `new`.
    assert ContactVault(new).unwrap(backup["wrapped"]).open(backup["phone_sealed"]) == PHONE
    assert await rotate(settings.model_copy(update={"contact_keys": f"{newest},{new}"})) == 1, "the erased one is gone"
    retired = ContactVault(newest)
    with pytest.raises(InvalidToken):
        retired.unwrap(backup["wrapped"])
    async with running(create_app(settings.model_copy(update={"contact_keys": newest}))) as client:
        still = await client.get(f"/v1/reports/{issue_id}/contacts", headers=bearer(settings, Role.OPERATOR))
    assert [c["phone"] for c in still.json()["contacts"]] == [None, CALLER]


def pg_tool(name: str) -> str:
    """The newest PostgreSQL's own client tool (the server the tests run is from the same packages)."""
    found = next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None) or shutil.which(name)
    assert found, f"{name} is not installed"
    return found


async def test_a_backup_restored_before_the_key_is_retired_loses_the_erased_contact_again_from_the_audit_topic(
    make_settings: SettingsFactory, topics: list[str], tmp_path: Path
) -> None:
    settings = make_settings(IntakeSettings)
    async with running(create_app(settings)) as client:
        issue_id, (named, _) = await report_twice(client)
    # The nightly backup, taken before the erasure (pg_dump of intake's database, as an operator takes it).
    dump = tmp_path / "intake.dump"
    subprocess.run([pg_tool("pg_dump"), "-Fc", "-f", str(dump), "-d", settings.database_dsn], check=True)

    operator = bearer(settings, Role.OPERATOR, "wang")
    async with running(create_app(settings)) as client:
        erased = await client.request(
            "DELETE",
            f"/v1/reports/{issue_id}/contact",
            json={"reason": "申请编号 2026-08", "report_id": named},
            headers=operator,
        )
        assert erased.status_code == 200, erased.text
        await audit_events(settings, 1)  # the erasure's event is on intake's audit topic, outside the database

    # The database is lost and restored from that backup, within the erasure window: the service key still opens it.
    subprocess.run(
        [pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "-d", settings.database_dsn, str(dump)],
        check=True,
    )
    conn = await connect(settings)
    try:
        assert await conn.fetchval("select count(*) from contact_keys where report_id = $1", named) == 1
        async with running(create_app(settings)) as client:
            # Intake reads its audit topic on from where the restored database stood, and erases again.
            for _ in range(100):
                if not await conn.fetchval("select count(*) from contact_keys where report_id = $1", named):
                    break
                await asyncio.sleep(0.1)
            read = await client.get(f"/v1/reports/{issue_id}/contacts", headers=operator)
        row = await conn.fetchrow("select * from reporter_contacts where report_id = $1", named)
    finally:
        await conn.close()
    assert row is not None and (row["name_sealed"], row["phone_sealed"], row["text_sealed"]) == (None, None, None)
    assert row["erased_by"] == "wang" and row["erased_at"] is not None
    first = next(c for c in read.json()["contacts"] if c["report_id"] == named)
    assert (first["erased"], first["name"], first["phone"]) == (True, None, None)
    assert NAME not in read.text and PHONE not in read.text
