"""Signed checkpoints and proofs through a running service (intake) on the real PostgreSQL and Kafka: published on
audit.checkpoints and to the province, and the proofs fetched over HTTP verify with the published key alone."""

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from services.intake.main import create_app
from services.intake.settings import IntakeSettings
from shared.audit import proofs
from shared.audit.__main__ import main as audit_command
from shared.audit.checkpoints import load_private_key, load_public_key, new_key
from shared.audit.log import SigningKeyRequired, verify_tree
from shared.auth import Role
from shared.db import create_pool
from tests.conftest import SettingsFactory
from tests.support.auth import RoleAuth
from tests.support.kafka import wait_for_events
from tests.support.service import serving

REPORT = {
    "source": "hotline_12369",
    "title": "河道夜间非法采砂",
    "description": "夜里有采砂船作业",
    "township": "城关镇",
    "domain": "quarrying_sand",
}


@pytest.fixture
def settings(make_settings: SettingsFactory, topics: list[str]) -> IntakeSettings:
    settings: IntakeSettings = make_settings(IntakeSettings, audit_signing_key=new_key(), audit_append_seconds=0.1)
    return settings


@contextlib.asynccontextmanager
async def running(settings: IntakeSettings) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(create_app(settings)) as (client, _):
        yield client


@pytest.fixture
async def client(settings: IntakeSettings) -> AsyncIterator[httpx.AsyncClient]:
    async with running(settings) as client:
        yield client


async def reported(client: httpx.AsyncClient, settings: IntakeSettings) -> str:
    """A report stored; its IssueReported's event id."""
    answer = await client.post("/v1/reports", json=REPORT)
    assert answer.status_code == 202, answer.text
    conn = await asyncpg.connect(settings.database_dsn)
    try:
        event_id = await conn.fetchval(
            "select event_id from events where stream_id = $1 and stream_version = 1", answer.json()["issue_id"]
        )
    finally:
        await conn.close()
    return str(event_id)


async def published_keys(client: httpx.AsyncClient) -> list[Any]:
    answer = await client.get("/v1/audit/keys", headers={"Authorization": ""})
    assert answer.status_code == 200
    return [load_public_key(k["public_key"]) for k in answer.json()["keys"]]


async def test_a_checkpoint_on_demand_is_signed_published_and_proves_an_event_offline(
    client: httpx.AsyncClient, settings: IntakeSettings
) -> None:
    event_id = await reported(client, settings)
    first = await client.post("/v1/audit/checkpoints")
    assert first.status_code == 201, first.text
    assert first.json()["size"] >= 1
    again = await client.post("/v1/audit/checkpoints")
    assert again.status_code == 200 and again.json() == first.json()

    keys = await published_keys(client)
    proof = proofs.InclusionProof.from_json((await client.get(f"/v1/audit/proof/{event_id}")).json())
    assert proofs.verify_inclusion(proof, keys) is None
    forged = proofs.InclusionProof(proof.event_id, bytes(32), proof.index, proof.path, proof.checkpoint)
    assert proofs.verify_inclusion(forged, keys) is not None
    assert proofs.verify_inclusion(proof, [load_private_key(new_key()).public_key()]) is not None

    # A second event, a second checkpoint: the first is a prefix of it.
    await reported(client, settings)
    second = await client.post("/v1/audit/checkpoints")
    assert second.status_code == 201
    sizes = {"from": first.json()["size"], "to": second.json()["size"]}
    answer = await client.get("/v1/audit/consistency", params=sizes)
    assert answer.status_code == 200, answer.text
    assert proofs.verify_consistency(proofs.ConsistencyProof.from_json(answer.json()), keys) is None

    # Both checkpoints on audit.checkpoints, and forwarded by intake to the province.
    broker = settings.broker
    on_audit = await wait_for_events(broker, settings.topic("audit.checkpoints"), 2)
    assert [e.payload.model_dump()["size"] for e in on_audit] == [sizes["from"], sizes["to"]]
    for _ in range(100):
        to_province = [
            e
            for e in await wait_for_events(broker, settings.topic("province.outbound"), 2)
            if e.type == "CheckpointSigned"
        ]
        if len(to_province) == 2:
            break
        await asyncio.sleep(0.2)
    assert [e.payload for e in to_province] == [e.payload for e in on_audit]


async def test_a_leaf_changed_in_the_database_no_longer_proves_against_the_signed_checkpoint(
    client: httpx.AsyncClient, settings: IntakeSettings
) -> None:
    event_id = await reported(client, settings)
    await reported(client, settings)
    assert (await client.post("/v1/audit/checkpoints")).status_code == 201
    pool = await create_pool(settings)
    try:
        await pool.execute("update audit_leaves set hash = $1 where event_id <> $2", b"\x07" * 32, event_id)
    finally:
        await pool.close()
    proof = proofs.InclusionProof.from_json((await client.get(f"/v1/audit/proof/{event_id}")).json())
    failure = proofs.verify_inclusion(proof, await published_keys(client))
    assert failure is not None and "is not leaf" in failure


async def test_checkpoints_are_signed_at_the_interval_and_read_by_role(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    settings = make_settings(
        IntakeSettings, audit_signing_key=new_key(), audit_append_seconds=0.1, audit_checkpoint_seconds=0.3
    )
    async with running(settings) as client:
        await reported(client, settings)
        for _ in range(50):
            listed = (await client.get("/v1/audit/checkpoints")).json()["checkpoints"]
            if listed:
                break
            await asyncio.sleep(0.2)
        assert listed and listed[0]["size"] >= 1
        auth = client.auth
        assert isinstance(auth, RoleAuth)
        for role, status in ((Role.UNIT, 403), (Role.VIEWER, 403), (Role.DISCIPLINE, 200)):
            token = auth.token(role, unit="城关镇人民政府" if role is Role.UNIT else None)
            answer = await client.get("/v1/audit/checkpoints", headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == status, role
        assert (await client.get("/v1/audit/checkpoints", headers={"Authorization": ""})).status_code == 401


def test_outside_development_a_service_without_a_signing_key_refuses_to_start(make_settings: SettingsFactory) -> None:
    with pytest.raises(SigningKeyRequired, match="AUDIT_SIGNING_KEY"):
        create_app(make_settings(IntakeSettings, audit_signing_key=""))


async def test_in_development_without_a_signing_key_no_checkpoint_is_signed(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    settings = make_settings(IntakeSettings, audit_signing_key="", environment="development")
    async with serving(create_app(settings)) as (client, _):
        answer = await client.post("/v1/audit/checkpoints")
        assert answer.status_code == 503 and answer.json()["error"]["code"] == "audit_key_missing"
        assert (await client.get("/v1/audit/keys")).json()["keys"] == []


async def test_the_command_verifies_a_proof_fetched_over_http_with_the_published_keys_alone(
    client: httpx.AsyncClient, settings: IntakeSettings, tmp_path: Path
) -> None:
    event_id = await reported(client, settings)
    assert (await client.post("/v1/audit/checkpoints")).status_code == 201
    proof_file, keys_file = tmp_path / "proof.json", tmp_path / "keys.json"
    proof_file.write_text((await client.get(f"/v1/audit/proof/{event_id}")).text)
    keys_file.write_text((await client.get("/v1/audit/keys", headers={"Authorization": ""})).text)

    def exit_status(*argv: str) -> object:
        with pytest.raises(SystemExit) as exited:
            audit_command(list(argv))
        return exited.value.code

    assert exit_status("verify-proof", str(proof_file), "--keys", str(keys_file)) == 0
    proof = json.loads(proof_file.read_text())
    proof["index"] += 1
    proof_file.write_text(json.dumps(proof))
    assert exit_status("verify-proof", str(proof_file), "--keys", str(keys_file)) == 1


async def test_the_tree_check_finds_a_changed_and_a_removed_event_under_a_signed_checkpoint(
    client: httpx.AsyncClient, settings: IntakeSettings
) -> None:
    first, second, third = [await reported(client, settings) for _ in range(3)]
    assert (await client.post("/v1/audit/checkpoints")).status_code == 201
    conn = await asyncpg.connect(settings.database_dsn)
    try:
        intact = await verify_tree(conn, "intake")
        assert intact.problems == () and intact.leaves >= 3 and intact.checkpoints == 1
        await conn.execute("update events set hash = $1 where event_id = $2", b"\x01" * 32, uuid.UUID(second))
        await conn.execute("delete from events where event_id = $1", uuid.UUID(third))
        broken = await verify_tree(conn, "intake")
    finally:
        await conn.close()
    assert any(second in p and "changed" in p for p in broken.problems)
    assert any(third in p and "removed" in p for p in broken.problems)
    assert any("is not the signed root" in p for p in broken.problems)
    assert not any(first in p for p in broken.problems)


async def test_make_verify_checks_the_chains_and_every_checkpoint_and_names_a_changed_event(
    client: httpx.AsyncClient,
    settings: IntakeSettings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await reported(client, settings)
    changed = await reported(client, settings)
    assert (await client.post("/v1/audit/checkpoints")).status_code == 201
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    store = f"intake={settings.database}"
    with pytest.raises(SystemExit) as intact:
        await asyncio.to_thread(audit_command, ["verify", store])
    assert intact.value.code == 0, capsys.readouterr().out
    assert "1 checkpoints  intact" in capsys.readouterr().out
    conn = await asyncpg.connect(settings.database_dsn)
    try:
        await conn.execute("update events set hash = $1 where event_id = $2", b"\x02" * 32, uuid.UUID(changed))
    finally:
        await conn.close()
    with pytest.raises(SystemExit) as broken:
        await asyncio.to_thread(audit_command, ["verify", store])
    out = capsys.readouterr().out
    assert broken.value.code == 1
    assert f"event {changed}'s hash is not the one placed" in out and "is not the signed root" in out
