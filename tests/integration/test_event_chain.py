"""Each stream's hash chain on the real database: every way of appending sets prev_hash and hash in its insert, and
the rows stored before the chain existed are chained by the migration (shared/audit/)."""

from collections.abc import AsyncIterator
from typing import cast
from urllib.parse import urlsplit

import asyncpg
import pytest

from drill.faults import tamper as drill_tamper
from drill.stack import Stack, StackConfig
from drill.tamper import tamper, tamper_and_verify, undo
from shared.audit.__main__ import render
from shared.audit.backfill import chain_stored_events
from shared.audit.chain import GENESIS
from shared.audit.verify import first_break, stream_events, verify_store
from shared.contracts.intake import IssueReported
from shared.db import Connection, create_pool, migrate
from shared.eventstore import EventStore, Metadata
from shared.settings import ServiceSettings
from tests.conftest import SettingsFactory
from tests.support.events import reported as support_reported

META = Metadata(actor="测试员", correlation_id="corr-1", causation_id="cause-1")


def reported(issue_id: str, title: str = "河道非法采砂") -> IssueReported:
    """With quotes, a backslash and a line break in the text: the canonical encoding escapes them as JSON does."""
    return support_reported(issue_id, title, description='有人夜间采砂 "引号" \\ 反斜杠 \n 换行')


@pytest.fixture
async def pool(make_settings: SettingsFactory) -> AsyncIterator[asyncpg.Pool]:
    settings: ServiceSettings = make_settings(service_name="intake")
    pool = await create_pool(settings)
    await migrate(pool)
    yield pool
    await pool.close()


async def assert_intact(conn: Connection, stream_id: str, versions: int) -> None:
    events = await stream_events(conn, stream_id)
    assert [e.stream_version for e in events] == list(range(1, versions + 1))
    assert events[0].prev_hash == GENESIS
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(events, events[1:], strict=False))
    assert first_break(stream_id, events) is None


async def test_every_way_of_appending_chains_each_stream_from_the_genesis_hash(pool: asyncpg.Pool) -> None:
    store = EventStore(topic="t.intake.events")
    async with pool.acquire() as conn:
        await store.append(conn, "one", [reported("one")], 0, META)  # APPEND_ONE_NEW
        await store.append(conn, "one", [reported("one", "二")], 1, META)  # APPEND_ONE
        await store.append(conn, "one", [reported("one", "三"), reported("one", "四")], 2, META)  # APPEND
        await store.append(conn, "many", [reported("many"), reported("many", "b")], 0, META)  # APPEND, new stream
        await store.append_new(
            conn, [("new-a", [reported("new-a")], META), ("new-b", [reported("new-b"), reported("new-b", "b")], META)]
        )
        for stream_id, versions in (("one", 4), ("many", 2), ("new-a", 1), ("new-b", 2)):
            await assert_intact(conn, stream_id, versions)


async def test_a_stale_append_stores_nothing_and_leaves_the_chain_intact(pool: asyncpg.Pool) -> None:
    store = EventStore(topic="t.intake.events")
    async with pool.acquire() as conn:
        await store.append(conn, "s", [reported("s")], 0, META)
        await store.append(conn, "s", [reported("s", "b")], 1, META)
        with pytest.raises(Exception, match="expected 1"):
            await store.append(conn, "s", [reported("s", "stale"), reported("s", "stale 2")], 1, META)
        await assert_intact(conn, "s", 2)


async def test_events_stored_before_the_chain_are_chained_in_stream_order_by_the_migration(pool: asyncpg.Pool) -> None:
    store = EventStore(topic="t.intake.events")
    async with pool.acquire() as conn:
        await store.append(conn, "old", [reported("old"), reported("old", "b"), reported("old", "c")], 0, META)
        await store.append(conn, "older", [reported("older")], 0, META)
        expected = {e.hash for stream in ("old", "older") for e in await stream_events(conn, stream)}
        async with conn.transaction():  # as the rows were before migration 003
            await conn.execute(
                """alter table events drop constraint events_chain_hash_length,
                       alter column prev_hash drop not null, alter column hash drop not null"""
            )
            await conn.execute("update events set prev_hash = null, hash = null")
            assert await chain_stored_events(conn) == 4
        assert {e.hash for stream in ("old", "older") for e in await stream_events(conn, stream)} == expected
        await assert_intact(conn, "old", 3)


async def test_verify_names_an_edited_payload_a_deleted_row_and_a_swapped_pair_and_nothing_once_undone(
    pool: asyncpg.Pool, make_settings: SettingsFactory
) -> None:
    """The drill's tamper fault (drill/tamper.py) on a real store: each edit named where the chain shows it."""
    await four_published_streams(pool)
    settings: ServiceSettings = make_settings(service_name="intake")
    editor = await asyncpg.connect(settings.database_dsn)
    try:
        edits = await tamper(editor)
        report = await verify_store("intake", settings.database_dsn)
        assert {(b.stream_id, b.stream_version, b.kind) for b in report.breaks} == {
            ("a", 1, "changed"),
            ("b", 3, "removed"),
            ("c", 1, "reordered"),
        }
        assert (report.events, report.streams) == (15, 4)
        text = render([report], 0.1, limit=20)
        assert "removed (被删除): stream b version 3" in text and text.endswith(
            "BROKEN: 3 stream(s) do not match their chain: 1 store(s), 15 events, 0.10 s"
        )
        await undo(editor, edits)
    finally:
        await editor.close()
    edits, problems = await tamper_and_verify("intake", settings.database_dsn)  # the drill's own check
    assert [e.kind for e in edits] == ["changed", "removed", "reordered"] and problems == []
    intact = await verify_store("intake", settings.database_dsn)
    assert intact.breaks == [] and render([intact], 0.1, 20).startswith("intake")
    assert render([intact], 0.1, 20).endswith("all intact: 1 store(s), 16 events, 0.10 s")


async def four_published_streams(pool: asyncpg.Pool) -> None:
    """Streams a, b, c and d of four events each, all published (no outbox row left)."""
    store = EventStore(topic="t.intake.events")
    async with pool.acquire() as conn:
        for stream in ("a", "b", "c", "d"):
            events = [reported(stream, f"{stream}{n}") for n in range(4)]
            await store.append(conn, stream, events[:1], 0, META)
            await store.append(conn, stream, events[1:], 1, META)
        await conn.execute("delete from outbox")


class StandInStack:
    """What the tamper fault uses of the drill's stack: its databases, and the services' readiness (all ready)."""

    def __init__(self, config: StackConfig) -> None:
        self.config = config

    async def wait_ready(self) -> dict[str, float]:
        return {"cases-1": 0.0}  # each instance's seconds until ready, as Stack.wait_ready answers


async def test_the_drills_tamper_fault_reports_what_verify_named_and_finds_nothing_wrong(
    pool: asyncpg.Pool, make_settings: SettingsFactory, prefix: str
) -> None:
    await four_published_streams(pool)
    settings: ServiceSettings = make_settings(service_name="intake")
    port = urlsplit(settings.database_url).port
    assert port is not None
    fault = drill_tamper(settings.database.removeprefix(f"{prefix}_"))  # the drill's database of that "service"
    await fault.inject(cast(Stack, StandInStack(StackConfig(run=prefix, pg_port=port, kafka_keys={}))))
    assert fault.findings == []
    assert fault.notes == [
        "verify 指出：changed @ a 第 1 版",
        "verify 指出：removed @ b 第 3 版",
        "verify 指出：reordered @ c 第 1 版",
    ]
