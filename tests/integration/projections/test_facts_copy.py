"""The rebuild's load (facts.copy): raw records copied straight into facts read as the batch statement reads them."""

import json
import uuid

import asyncpg

from services.projections.read_tables import facts
from services.projections.settings import ProjectionsSettings
from tests.integration.projections.conftest import new_generation

_TIME = b"2026-03-01T08:00:00.123456+08:00"


def _row(stream_id: bytes, version: int, value: bytes, **headers: bytes | None) -> tuple[bytes | None, ...]:
    columns = {
        "ce_id": str(uuid.uuid4()).encode(),
        "ce_type": b"CaseOpened",
        "ce_time": _TIME,
        "ce_subject": stream_id,
        "ce_streamversion": str(version).encode(),
        "ce_schemaversion": None,
        "ce_correlationid": None,
        "ce_actor": b"system:test",
        "value": value,
    } | headers
    return tuple(columns[name] for name in facts.RECORD_COLUMNS)


async def test_copied_facts_equal_the_loaded_ones_whatever_characters_their_headers_and_payloads_hold(
    pool: asyncpg.Pool, settings: ProjectionsSettings
) -> None:
    odd = 'c-"1\\\t\u6574\u6539'.encode()
    payload = b'{"title": "a\\\\b \\"q\\" \\n",\n\t"n": 1}'
    rows = [
        _row(odd, 1, payload),
        _row(b"c-2", 1, b'{"n": 2}', ce_schemaversion=b"1", ce_correlationid=b"corr-2"),
    ]
    generation = await new_generation(pool, settings)
    by_way = {}
    for way in ("copy", "load"):
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("select set_config('search_path', $1, true)", generation.search_path)
            await facts.begin(conn)
            if way == "copy":
                await facts.copy(conn, "cases", rows)
            else:
                await facts.load(conn, "cases", rows)
            recorded = await conn.fetch("select * from facts order by stream_id")
            by_way[way] = [dict(r) for r in recorded]
            await conn.execute("delete from facts")
    assert by_way["copy"] == by_way["load"]
    first, second = by_way["copy"]
    assert first["stream_id"] == odd.decode() and first["issue_ids"] == [odd.decode()]
    assert first["payload"] == json.loads(payload) and first["correlation_id"] == str(first["event_id"])
    assert second["correlation_id"] == "corr-2" and second["schema_version"] == 1


async def test_a_copied_batch_with_a_header_postgresql_cannot_read_fails_whole(
    pool: asyncpg.Pool, settings: ProjectionsSettings
) -> None:
    generation = await new_generation(pool, settings)
    async with pool.acquire() as conn:
        await conn.execute("select set_config('search_path', $1, false)", generation.search_path)
        failed = False
        try:
            async with conn.transaction():
                await facts.copy(conn, "cases", [_row(b"c-1", 1, b"{}"), _row(b"c-2", 1, b"{}", ce_id=b"not-a-uuid")])
        except asyncpg.DataError:
            failed = True
        assert failed and await conn.fetchval("select count(*) from facts") == 0
