"""The shared mechanisms on the real broker and the real database."""

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from uuid import uuid4

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.partitioner import DefaultPartitioner

from shared.aggregate import Decider, execute
from shared.consumer import ConsumerRunner, dlq_topic
from shared.contracts.intake import IssueReported
from shared.db import MIGRATION_LOCK, Connection, create_pool, migrate
from shared.envelope import Envelope, from_record, to_record
from shared.eventstore import ConcurrencyConflict, EventStore, Metadata, outbox_slot
from shared.relay import OutboxRelay
from shared.settings import ServiceSettings
from tests.conftest import SettingsFactory
from tests.support.events import payload, reported
from tests.support.kafka import committed, read_events, read_topic, wait_for_events
from tests.support.stack import ROOT

META = Metadata(actor="test", correlation_id="corr-1")


@pytest.fixture
async def settings(make_settings: SettingsFactory, topics: list[str]) -> ServiceSettings:
    settings: ServiceSettings = make_settings(service_name="intake")
    return settings


@pytest.fixture
async def pool(settings: ServiceSettings) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(settings)
    await migrate(pool)
    yield pool
    await pool.close()


@pytest.fixture
def store(settings: ServiceSettings) -> EventStore:
    return EventStore(topic=settings.own_topic, slots=settings.outbox_slots)


async def run_until(relays: list[OutboxRelay], condition: Callable[[], Awaitable[bool]], timeout: float = 20.0) -> None:
    tasks = [asyncio.create_task(r.run()) for r in relays]
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while not await condition():
            assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
            await asyncio.sleep(0.1)
    finally:
        for r in relays:
            r.stop()
        await asyncio.gather(*tasks)


async def test_a_connection_given_back_to_the_pool_has_its_open_transaction_rolled_back_and_no_migration_lock(
    pool: asyncpg.Pool,
) -> None:
    await pool.execute("create table given_back (n int)")
    async with pool.acquire() as conn:
        await conn.execute("begin")  # not conn.transaction(): left open on purpose
        await conn.execute("insert into given_back values (1)")
    async with pool.acquire() as conn:
        assert not conn.is_in_transaction()
    assert await pool.fetchval("select count(*) from given_back") == 0
    # The pool's reset no longer unlocks every advisory lock: migrate releases its session lock itself.
    await migrate(pool)
    held = await pool.fetchval(
        """select count(*) from pg_locks
            where locktype = 'advisory' and classid = 0 and objid = $1
              and database = (select oid from pg_database where datname = current_database())""",
        MIGRATION_LOCK,
    )
    assert held == 0


async def test_append_with_a_stale_expected_version_is_a_conflict(pool: asyncpg.Pool, store: EventStore) -> None:
    async with pool.acquire() as conn:
        await store.append(conn, "i-1", [reported("i-1")], 0, META)
        with pytest.raises(ConcurrencyConflict) as caught:
            await store.append(conn, "i-1", [reported("i-1", "again")], 0, META)
        assert caught.value.actual == 1
        assert [e.stream_version for e in await store.read(conn, "i-1")] == [1]


async def test_one_event_at_a_version_behind_or_ahead_of_the_stream_is_a_conflict(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    """A stream that exists appends one event through APPEND_ONE, which reads the stream's version: a stale expected
    version and one the stream has not reached (which the unique key alone would let through, leaving a gap) are
    both refused, each saying where the stream is."""
    async with pool.acquire() as conn:
        await store.append(conn, "at-2", [reported("at-2"), reported("at-2", "second")], 0, META)
        for expected in (1, 3):
            with pytest.raises(ConcurrencyConflict) as caught:
                await store.append(conn, "at-2", [reported("at-2", f"after {expected}")], expected, META)
            assert (caught.value.expected, caught.value.actual) == (expected, 2)
        await store.append(conn, "at-2", [reported("at-2", "third")], 2, META)
        assert [e.stream_version for e in await store.read(conn, "at-2")] == [1, 2, 3]
        assert await conn.fetchval("select count(*) from outbox o join events e using (event_id)") == 3


async def test_concurrent_appends_at_the_same_version_let_exactly_one_win(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    async def attempt(n: int) -> bool:
        async with pool.acquire() as conn:
            try:
                await store.append(conn, "race", [reported("race", f"writer {n}")], 0, META)
                return True
            except ConcurrencyConflict:
                return False

    outcomes = await asyncio.gather(*(attempt(n) for n in range(6)))
    assert outcomes.count(True) == 1
    async with pool.acquire() as conn:
        assert await conn.fetchval("select count(*) from outbox") == 1


async def test_a_conflict_inside_the_callers_transaction_leaves_it_usable(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await store.append(conn, "in-tx", [reported("in-tx")], 0, META)
        with pytest.raises(ConcurrencyConflict) as caught:
            await store.append(conn, "in-tx", [reported("in-tx", "again")], 0, META)
        assert caught.value.actual == 1
        await store.append(conn, "in-tx", [reported("in-tx", "next")], 1, META)
    async with pool.acquire() as conn:
        assert [e.payload.title for e in await store.read(conn, "in-tx")] == ["河道非法采砂", "next"]  # type: ignore[attr-defined]
        assert (
            await conn.fetchval(
                "select count(*) from outbox o join events e using (event_id) where stream_id = 'in-tx'"
            )
            == 2
        )


async def test_several_events_of_which_another_writer_took_one_are_not_appended_at_all(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    """The other writer takes version 1 while this append of versions 1 and 2 waits for it: version 2 is not kept."""
    async with pool.acquire() as first, pool.acquire() as second:
        async with first.transaction():
            await store.append(first, "part", [reported("part", "first")], 0, META)
            late = asyncio.create_task(
                store.append(second, "part", [reported("part", "a"), reported("part", "b")], 0, META)
            )
            await asyncio.sleep(0.3)  # the second append now waits on the first writer's version 1
            assert not late.done()
        with pytest.raises(ConcurrencyConflict) as caught:
            await late
        assert caught.value.actual == 1
        assert [e.stream_version for e in await store.read(second, "part")] == [1]
        assert (
            await second.fetchval(
                "select count(*) from outbox o join events e using (event_id) where stream_id = 'part'"
            )
            == 1
        )


@pytest.fixture
async def outbox_notifications(settings: ServiceSettings) -> AsyncIterator[asyncio.Queue[str]]:
    """The payloads (slots) of the relay's wake-ups, as a listener on the service's database hears them."""
    heard: asyncio.Queue[str] = asyncio.Queue()
    listener = await asyncpg.connect(settings.database_dsn)
    try:
        await listener.add_listener("outbox", lambda *args: heard.put_nowait(args[3]))
        yield heard
    finally:
        await listener.close()


async def test_an_append_wakes_the_relay_of_its_slot(
    pool: asyncpg.Pool, store: EventStore, outbox_notifications: asyncio.Queue[str]
) -> None:
    async with pool.acquire() as conn:
        await store.append(conn, "wake", [reported("wake", "a"), reported("wake", "b")], 0, META)
    assert await asyncio.wait_for(outbox_notifications.get(), 5) == str(outbox_slot("wake", store.slots))
    assert outbox_notifications.empty()


async def test_an_append_behind_rows_waiting_in_its_slot_sends_no_notification(
    pool: asyncpg.Pool, store: EventStore, outbox_notifications: asyncio.Queue[str]
) -> None:
    """The relay that owns the slot is publishing them, and looks again before it waits (shared/relay.py)."""
    heard = outbox_notifications
    async with pool.acquire() as conn:
        await store.append(conn, "first", [reported("first")], 0, META)
        assert await asyncio.wait_for(heard.get(), 5) == str(outbox_slot("first", store.slots))
        behind = [f"behind-{n}" for n in range(store.slots * 4)]
        for stream in behind:
            await store.append(conn, stream, [reported(stream)], 0, META)
    # Only the first append into each slot that was empty notifies; none into the first stream's slot.
    empty_slots = {outbox_slot(stream, store.slots) for stream in behind} - {outbox_slot("first", store.slots)}
    await asyncio.sleep(0.5)
    assert sorted(heard.get_nowait() for _ in range(heard.qsize())) == sorted(str(s) for s in empty_slots)


async def test_a_relay_publishes_a_burst_of_appends_without_waiting_for_its_poll(
    make_settings: SettingsFactory, settings: ServiceSettings, pool: asyncpg.Pool, store: EventStore
) -> None:
    """Most of a burst's appends find rows waiting and notify nobody; the relay publishes them all the same."""
    relay = OutboxRelay(make_settings(service_name="intake", relay_poll_seconds=60.0))
    running = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(1.0)  # started and waiting for work
        streams = [f"burst-{n}" for n in range(40)]

        async def append(stream: str) -> None:
            async with pool.acquire() as conn:
                for version in range(3):
                    await store.append(conn, stream, [reported(stream, f"v{version + 1}")], version, META)

        await asyncio.gather(*(append(stream) for stream in streams))
        await wait_for_events(settings.broker, settings.own_topic, 120, timeout=10)

        async def drained() -> bool:  # the rows leave the outbox once the broker acknowledged them, a moment after
            return bool(await pool.fetchval("select count(*) from outbox") == 0)

        await eventually_true(drained, timeout=10)
        assert len(await read_topic(settings.broker, settings.own_topic)) == 120
    finally:
        relay.stop()
        await asyncio.wait_for(running, 15)


async def test_new_streams_appended_together_each_get_their_events_outbox_rows_metadata_and_a_wake_up(
    pool: asyncpg.Pool, store: EventStore, settings: ServiceSettings
) -> None:
    heard: asyncio.Queue[str] = asyncio.Queue()
    listener = await asyncpg.connect(settings.database_dsn)
    other = Metadata(actor="operator-2", correlation_id="corr-2")
    try:
        await listener.add_listener("outbox", lambda *args: heard.put_nowait(args[3]))
        async with pool.acquire() as conn:
            appended = await store.append_new(
                conn,
                [
                    ("new-a", [reported("new-a", "a")], META),
                    ("new-b", [reported("new-b", "b1"), reported("new-b", "b2")], other),
                ],
            )
            assert [[e.stream_version for e in stream] for stream in appended] == [[1], [1, 2]]
            rows = await conn.fetch(
                """select e.stream_id, e.stream_version, e.actor, e.correlation_id, o.slot
                     from events e join outbox o using (event_id) order by o.id"""
            )
        slot_a, slot_b = outbox_slot("new-a", store.slots), outbox_slot("new-b", store.slots)
        assert [tuple(r) for r in rows] == [
            ("new-a", 1, "test", "corr-1", slot_a),
            ("new-b", 1, "operator-2", "corr-2", slot_b),
            ("new-b", 2, "operator-2", "corr-2", slot_b),
        ]
        woken = {await asyncio.wait_for(heard.get(), 5) for _ in range(len({slot_a, slot_b}))}
        assert woken == {str(slot_a), str(slot_b)}
    finally:
        await listener.close()


async def test_new_streams_of_which_one_exists_are_a_conflict_and_the_transaction_rolls_back_whole(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    async with pool.acquire() as conn:
        await store.append(conn, "exists", [reported("exists")], 0, META)
        with pytest.raises(ConcurrencyConflict):
            async with conn.transaction():
                await store.append_new(
                    conn, [("fresh", [reported("fresh")], META), ("exists", [reported("exists", "again")], META)]
                )
        assert await conn.fetchval("select count(*) from events") == 1
        assert await store.read(conn, "fresh") == []


async def test_a_command_on_a_new_stream_whose_id_is_taken_after_all_is_a_conflict(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    """`execute(new=True)` reads no history: the append at version 0 is what refuses a stream that exists."""
    decider: Decider[str, int] = Decider(
        decide=lambda title, _: [reported("taken", title)], evolve=lambda n, _: n + 1, initial=0
    )
    async with pool.acquire() as conn:
        first = await execute(conn, store, "taken", "first", decider, meta=META, new=True)
        assert (first.version, first.state) == (1, 1)
        with pytest.raises(ConcurrencyConflict) as caught:
            await execute(conn, store, "taken", "second", decider, meta=META, new=True)
        assert caught.value.actual == 1
        assert [e.stream_version for e in await store.read(conn, "taken")] == [1]


async def test_two_relays_publish_each_event_once_and_in_stream_order(
    settings: ServiceSettings, pool: asyncpg.Pool, store: EventStore
) -> None:
    streams = [f"s-{n}" for n in range(20)]
    async with pool.acquire() as conn:
        for round_ in range(5):
            for stream in streams:
                await store.append(conn, stream, [reported(stream, f"v{round_ + 1}")], round_, META)

    async def outbox_empty() -> bool:
        return bool(await pool.fetchval("select count(*) from outbox") == 0)

    await run_until([OutboxRelay(settings, name="a"), OutboxRelay(settings, name="b")], outbox_empty)

    events = await read_events(settings.broker, settings.own_topic)
    assert len(events) == 100
    assert len({e.event_id for e in events}) == 100
    for stream in streams:
        versions = [e.stream_version for e in events if e.stream_id == stream]
        assert versions == [1, 2, 3, 4, 5]


async def test_a_relay_batch_goes_to_each_keys_own_partition_in_stream_order_across_record_batches(
    settings: ServiceSettings, pool: asyncpg.Pool, store: EventStore
) -> None:
    """The relay builds record batches itself: each record on the partition `producer.send` would choose for its key
    (the default partitioner), a stream's events in order, also when one partition's events fill several batches."""
    streams = [f"b-{n}" for n in range(40)]
    long_text = (
        "群众反映" * 1225
    )  # 15 KB of JSON each: half the events make ~1.8 MB, several record batches a partition
    async with pool.acquire() as conn:
        for round_ in range(6):
            for n, stream in enumerate(streams):
                title = f"v{round_ + 1}"
                event = (
                    reported(stream, title)
                    if n % 8
                    else reported(stream, title).model_copy(update={"description": long_text})
                )
                await store.append(conn, stream, [event], round_, META)

    async def outbox_empty() -> bool:
        return bool(await pool.fetchval("select count(*) from outbox") == 0)

    await run_until([OutboxRelay(settings)], outbox_empty)

    records = await read_topic(settings.broker, settings.own_topic)
    partitions = sorted({r.partition for r in records})
    assert len(records) == 240 and len(partitions) == settings.topic_partitions
    for stream in streams:
        mine = [r for r in records if r.key == stream.encode()]
        assert {r.partition for r in mine} == {DefaultPartitioner()(stream.encode(), partitions, partitions)}
        assert [from_record(r.value, r.headers).stream_version for r in mine] == [1, 2, 3, 4, 5, 6]


async def test_relay_killed_before_publishing_still_delivers_after_restart(
    settings: ServiceSettings, pool: asyncpg.Pool, store: EventStore
) -> None:
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "DATABASE_URL": settings.database_url,
        "DATABASE_NAME": settings.database,
        "TOPIC_PREFIX": settings.topic_prefix,
    }
    # A relay process that owns every slot, killed with SIGKILL: no clean shutdown at all.
    process = subprocess.Popen([sys.executable, "-m", "tests.support.relay_process"], cwd=ROOT, env=env)
    try:
        deadline = asyncio.get_running_loop().time() + 20
        while await pool.fetchval("select count(*) from pg_locks where locktype = 'advisory'") < 8:
            assert asyncio.get_running_loop().time() < deadline, "relay process never took its slots"
            await asyncio.sleep(0.1)
        process.send_signal(signal.SIGSTOP)  # frozen: it holds the slots and publishes nothing
        async with pool.acquire() as conn:
            await store.append(conn, "late", [reported("late")], 0, META)
        await asyncio.sleep(1)
        assert await pool.fetchval("select count(*) from outbox") == 1
        process.kill()
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()

    async def outbox_empty() -> bool:
        return bool(await pool.fetchval("select count(*) from outbox") == 0)

    await run_until([OutboxRelay(settings, name="restarted")], outbox_empty)
    events = await wait_for_events(settings.broker, settings.own_topic, 1)
    assert [(e.stream_id, e.stream_version) for e in events] == [("late", 1)]


async def produce(settings: ServiceSettings, records: list[tuple[bytes, bytes, list[tuple[str, bytes]]]]) -> None:
    producer = AIOKafkaProducer(**settings.broker.client_options(), enable_idempotence=True)
    await producer.start()
    try:
        for key, value, headers in records:
            await producer.send_and_wait(settings.topic("intake.events"), value=value, key=key, headers=headers)
    finally:
        await producer.stop()


def record_of(event: IssueReported, stream_version: int = 1) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    envelope = Envelope.wrap(
        event, stream_id=event.issue_id, stream_version=stream_version, actor="test", correlation_id="c"
    )
    return to_record(envelope, source="/test")


class Counter:
    """A handler that counts its applications in a table, inside the runner's transaction."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.batches: list[int] = []  # the size of each batch given to `apply_batch`

    async def __call__(self, conn: Connection, envelope: Envelope) -> None:
        await conn.execute(
            "insert into applied (event_id, title) values ($1, $2)",
            envelope.event_id,
            payload(envelope, IssueReported).title,
        )
        self.seen.append(payload(envelope, IssueReported).title)

    async def apply_batch(self, conn: Connection, envelopes: list[Envelope]) -> None:
        self.batches.append(len(envelopes))
        for envelope in envelopes:
            await self(conn, envelope)


@pytest.fixture
async def applied_table(pool: asyncpg.Pool) -> None:
    await pool.execute("create table applied (event_id uuid, title text)")


@contextlib.asynccontextmanager
async def consuming(settings: ServiceSettings, runner: ConsumerRunner) -> AsyncIterator[AIOKafkaProducer]:
    """A producer to intake.events while `runner` runs; the runner, then the producer, stopped after."""
    producer = AIOKafkaProducer(**settings.broker.client_options(), enable_idempotence=True)
    await producer.start()
    task = asyncio.create_task(runner.run())
    try:
        yield producer
    finally:
        runner.stop()
        await task
        await producer.stop()


async def send(producer: AIOKafkaProducer, settings: ServiceSettings, event: IssueReported, version: int = 1) -> None:
    key, value, headers = record_of(event, version)
    await producer.send_and_wait(settings.topic("intake.events"), value=value, key=key, headers=headers)


async def send_streams(producer: AIOKafkaProducer, settings: ServiceSettings, streams: list[str]) -> None:
    """Two events of each stream (titled "<stream> v1", "<stream> v2"), its second after its first, sent at once."""
    sent = []
    for version in (1, 2):
        for stream in streams:
            key, value, headers = record_of(reported(stream, f"{stream} v{version}"), version)
            sent.append(await producer.send(settings.topic("intake.events"), value=value, key=key, headers=headers))
    await asyncio.gather(*sent)


async def run_consumer_until(
    runner: ConsumerRunner, condition: Callable[[], Awaitable[bool]], timeout: float = 20.0
) -> None:
    task = asyncio.create_task(runner.run())
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while not await condition():
            assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
            assert not task.done(), f"consumer stopped: {task.exception() if task.done() else ''}"
            await asyncio.sleep(0.1)
    finally:
        runner.stop()
        await task


async def test_the_same_event_delivered_twice_is_applied_once(
    settings: ServiceSettings, pool: asyncpg.Pool, applied_table: None
) -> None:
    first = record_of(reported("dup-1", "first"))
    second = record_of(reported("dup-2", "second"))
    await produce(settings, [first, first, second])
    handler = Counter()
    runner = ConsumerRunner(settings, pool, name="counter", topics=[settings.topic("intake.events")], handler=handler)

    async def both_seen() -> bool:
        return bool(await pool.fetchval("select count(distinct title) from applied") == 2)

    await run_consumer_until(runner, both_seen)
    assert sorted(handler.seen) == ["first", "second"]
    assert await pool.fetchval("select count(*) from applied") == 2

    # A whole new consumer of the same name (a restart that lost its offsets) re-reads from the start: no second effect.
    await pool.execute("delete from consumer_positions")
    fresh = ConsumerRunner(
        settings,
        pool,
        name="counter",
        topics=[settings.topic("intake.events")],
        handler=handler,
        group_id=f"replay-{uuid4().hex[:8]}",  # a new group reads the topic from the beginning
    )

    async def caught_up() -> bool:
        return bool(await pool.fetchval('select coalesce(sum("offset"), 0) from consumer_positions') >= 3)

    await run_consumer_until(fresh, caught_up)
    assert await pool.fetchval("select count(*) from applied") == 2


async def test_a_consumer_that_gathers_takes_the_first_record_at_once_and_those_of_its_pause_together(
    settings: ServiceSettings, pool: asyncpg.Pool, applied_table: None
) -> None:
    handler = Counter()
    batches = handler.batches
    runner = ConsumerRunner(
        settings,
        pool,
        name="gatherer",
        topics=[settings.topic("intake.events")],
        handler=handler,
        batch_handler=handler.apply_batch,
        gather_ms=3000,
    )

    async with consuming(settings, runner) as producer:
        await send(producer, settings, reported("g-0", "first"))
        await eventually_true(lambda: applied_count(pool, 1))
        assert batches == [1]  # after a quiet spell the first record is taken at once
        # One stream, one partition: six records, one after the other, while the consumer pauses.
        for n in range(1, 7):
            await send(producer, settings, reported("g-1", f"next {n}"), n)
        await eventually_true(lambda: applied_count(pool, 7))
    assert sorted(handler.seen) == ["first", *(f"next {n}" for n in range(1, 7))]
    # The record the consumer's next fetch (sent as it took the last batch) brought back first, and the rest of the
    # pause together: not one batch per record.
    assert len(batches) <= 3, batches


async def test_a_consumer_whose_broker_gathers_bytes_takes_records_sent_together_at_once_and_a_lone_one_after_its_wait(
    settings: ServiceSettings, pool: asyncpg.Pool, applied_table: None
) -> None:
    handler = Counter()
    batches = handler.batches
    runner = ConsumerRunner(
        settings,
        pool,
        name="broker-gathers",
        topics=[settings.topic("intake.events")],
        handler=handler,
        batch_handler=handler.apply_batch,
        fetch_min_bytes=1024 * 1024,  # never reached here: every fetch is answered by the wait
        fetch_max_wait_ms=1500,
    )

    async with consuming(settings, runner) as producer:
        for n in range(1, 7):
            await send(producer, settings, reported("b-1", f"next {n}"), n)
        await eventually_true(lambda: applied_count(pool, 6))
        together = list(batches)
        await send(producer, settings, reported("b-2", "alone"))
        await eventually_true(lambda: applied_count(pool, 7))
    assert sorted(handler.seen) == ["alone", *(f"next {n}" for n in range(1, 7))]
    # One stream, one partition: what came within the broker's wait is one batch (or two, when the wait of a fetch
    # sent before them ended between two sends), not one per record; the lone record was not held for the bytes.
    assert len(together) <= 2, together
    assert batches[len(together) :] == [1]


async def test_the_records_of_several_partitions_fetched_together_are_applied_in_one_transaction_each_once(
    settings: ServiceSettings, pool: asyncpg.Pool, applied_table: None
) -> None:
    handler = Counter()
    calls: list[set[str]] = []  # the streams each batch handler call was given
    transactions = 0

    async def begin(conn: Connection) -> bool:
        nonlocal transactions
        transactions += 1
        return True

    async def apply_batch(conn: Connection, envelopes: list[Envelope]) -> None:
        calls.append({envelope.stream_id for envelope in envelopes})
        for envelope in envelopes:
            await handler(conn, envelope)

    runner = ConsumerRunner(
        settings,
        pool,
        name="together",
        topics=[settings.topic("intake.events")],
        handler=handler,
        batch_handler=apply_batch,
        begin=begin,
        gather_ms=1500,  # the records produced during the pause come in one fetch
    )

    streams = [f"t-{n}" for n in range(12)]
    async with consuming(settings, runner) as producer:
        await send(producer, settings, reported("t-first", "first"))
        await eventually_true(lambda: applied_count(pool, 1))
        before = transactions
        await send_streams(producer, settings, streams)
        await eventually_true(lambda: applied_count(pool, 25))
    assert sorted(handler.seen) == sorted(["first", *(f"{s} v{v}" for s in streams for v in (1, 2))])
    records = [r for r in await read_topic(settings.broker, settings.topic("intake.events")) if r.key != b"t-first"]
    partitions = {r.partition for r in records}
    assert len(partitions) == settings.topic_partitions  # twelve streams over every partition
    # One transaction for the partitions fetched together, not one each; a stream's events in its order.
    assert transactions - before < len(partitions), (transactions - before, calls)
    assert any(len({r.partition for r in records if r.key.decode() in call}) > 1 for call in calls), calls
    for stream in streams:
        assert [t for t in handler.seen if t.startswith(f"{stream} ")] == [f"{stream} v1", f"{stream} v2"]
    # Each partition's position stored with the effects.
    positions = await pool.fetch('select partition, "offset" from consumer_positions where consumer = $1', "together")
    ends = {p: max(r.offset for r in records if r.partition == p) + 1 for p in partitions}
    assert {r["partition"]: r["offset"] for r in positions} == ends
    assert await pool.fetchval("select count(*) from inbox where consumer = 'together'") == 25


async def test_a_consumer_commits_its_offsets_once_per_interval_and_the_rest_when_it_stops(
    settings: ServiceSettings, pool: asyncpg.Pool, applied_table: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One stream, so one partition; a batch of one record at a time: three batches, each applied with its position.
    await produce(settings, [record_of(reported("c-1", t), v) for v, t in enumerate(["one", "two", "three"], 1)])
    commits: list[dict[TopicPartition, int]] = []
    commit = AIOKafkaConsumer.commit

    async def counted_commit(consumer: AIOKafkaConsumer, offsets: dict[TopicPartition, int]) -> None:
        commits.append(dict(offsets))
        await commit(consumer, offsets)

    monkeypatch.setattr(AIOKafkaConsumer, "commit", counted_commit)
    slow = settings.model_copy(update={"consumer_commit_interval_ms": 60_000})
    handler = Counter()
    topic = settings.topic("intake.events")
    runner = ConsumerRunner(slow, pool, name="committer", topics=[topic], handler=handler, max_records=1)

    async def applied() -> bool:
        return bool(await pool.fetchval("select count(*) from applied") == 3)

    await run_consumer_until(runner, applied)
    assert handler.seen == ["one", "two", "three"]
    # The first batch's offset went at once (none committed for a minute before it); the later ones waited for the
    # interval, for a fetch that found nothing or for the stop, and went together in one request.
    assert 1 <= len(commits) <= 2, commits
    [(tp, last)] = commits[-1].items()
    assert last == 3
    assert (await committed(settings.broker, f"{settings.topic_prefix}intake.committer"))[tp] == 3
    positions = 'select "offset" from consumer_positions where consumer = $1'
    assert await pool.fetchval(positions, "committer") == 3


async def eventually_true(condition: Callable[[], Awaitable[bool]], timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def test_begin_runs_in_each_batch_transaction_before_its_events_and_its_no_leaves_them_seen_not_handled(
    settings: ServiceSettings, pool: asyncpg.Pool, applied_table: None
) -> None:
    # One stream, so one partition and the records in order.
    await produce(settings, [record_of(reported("b-1", t), v) for v, t in enumerate(["one", "two", "three"], 1)])
    topic = settings.topic("intake.events")
    settings_seen: list[str] = []

    async def handler(conn: Connection, envelope: Envelope) -> None:
        settings_seen.append(await conn.fetchval("select current_setting('test.batch', true)"))

    async def begin_yes(conn: Connection) -> bool:
        await conn.execute("select set_config('test.batch', 'entered', true)")  # local to the batch's transaction
        return True

    async def begin_no(conn: Connection) -> bool:
        return False

    def caught_up(name: str) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            return bool(await pool.fetchval('select "offset" from consumer_positions where consumer = $1', name) == 3)

        return check

    yes = ConsumerRunner(settings, pool, name="yes", topics=[topic], handler=handler, begin=begin_yes)
    await run_consumer_until(yes, caught_up("yes"))
    assert settings_seen == ["entered"] * 3
    assert await pool.fetchval("select current_setting('test.batch', true)") in (None, "")  # nothing leaks

    no = ConsumerRunner(settings, pool, name="no", topics=[topic], handler=handler, begin=begin_no)
    await run_consumer_until(no, caught_up("no"))
    assert settings_seen == ["entered"] * 3  # not handed to the handler
    assert await pool.fetchval("select count(*) from inbox where consumer = 'no'") == 3  # but recorded as seen


async def test_a_poison_message_goes_to_the_dlq_and_the_next_one_is_applied(
    settings: ServiceSettings, pool: asyncpg.Pool, applied_table: None
) -> None:
    good_before = record_of(reported("p-1", "before"))
    key, _, headers = record_of(reported("p-2"))
    not_json = (key, b"\x00garbage", headers)
    unknown_type = (b"p-3", b"{}", [(n, b"Martian" if n == "ce_type" else v) for n, v in headers])
    # A payload that breaks its contract, carrying what a reporter wrote: the reason names fields, never values.
    secret = "举报人手机13800138000"
    invalid_payload = (b"p-4", json.dumps({"issue_id": secret, "title": secret}).encode(), headers)
    good_after = record_of(reported("p-5", "after"))
    await produce(settings, [good_before, not_json, unknown_type, invalid_payload, good_after])

    runner = ConsumerRunner(settings, pool, name="counter", topics=[settings.topic("intake.events")], handler=Counter())

    async def after_applied() -> bool:
        return bool(await pool.fetchval("select count(*) from applied where title = 'after'") == 1)

    await run_consumer_until(runner, after_applied)
    dead = await read_topic(settings.broker, dlq_topic(settings.topic("intake.events")))
    reasons = [dict(r.headers)["dlq_reason"].decode() for r in dead]
    assert len(dead) == 3
    assert any("not JSON" in r for r in reasons)
    assert any("unknown event type 'Martian'" in r for r in reasons)
    assert any(r.startswith("invalid IssueReported payload:") and "description: Field required" in r for r in reasons)
    assert not any("13800138000" in r for r in reasons), reasons
    assert {dict(r.headers)["dlq_topic"].decode() for r in dead} == {settings.topic("intake.events")}
    assert sorted(await pool.fetchval("select array_agg(title) from applied")) == ["after", "before"]


async def test_readiness_fails_when_a_background_task_has_ended(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    from services.intake.main import create_app
    from services.intake.settings import IntakeSettings
    from tests.support.service import serving

    app = create_app(make_settings(IntakeSettings))
    async with serving(app) as (client, state):
        checks = (await client.get("/readyz")).json()["checks"]
        assert checks["relay"] == checks["consumer:province-inbound"] == checks["consumer:case-progress"] == "ok"
        # A consumer whose task ends while the service runs is a consumer that died.
        task = next(t for t in state["platform"].tasks if t.get_name() == "consumer:case-progress")
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 15)
        answer = await client.get("/readyz")
        assert answer.status_code == 503
        assert answer.json()["checks"]["consumer:case-progress"] == "stopped"
        assert answer.json()["checks"]["consumer:province-inbound"] == "ok"


async def test_relays_share_the_slots_and_the_slots_of_one_that_leaves_go_to_the_others(
    settings: ServiceSettings, pool: asyncpg.Pool, store: EventStore
) -> None:
    streams = [f"s-{n}" for n in range(40)]
    first, second = OutboxRelay(settings, name="first"), OutboxRelay(settings, name="second")
    running = [asyncio.create_task(first.run())]
    slots = frozenset(range(settings.outbox_slots))

    async def append_round(round_: int) -> None:
        async with pool.acquire() as conn:
            for stream in streams:
                await store.append(conn, stream, [reported(stream, f"v{round_ + 1}")], round_, META)

    async def owning(*counts: int) -> bool:
        return [len(relay.owned_slots) for relay in (first, second)][: len(counts)] == list(counts)

    try:
        await eventually_true(lambda: owning(8))
        await append_round(0)
        running.append(asyncio.create_task(second.run()))
        await eventually_true(lambda: owning(4, 4))
        assert first.owned_slots | second.owned_slots == slots
        await append_round(1)
        second.stop()
        await running.pop()
        await eventually_true(lambda: owning(8))
        await append_round(2)
        await eventually_true(lambda: outbox_is_empty(pool))
    finally:
        for relay in (first, second):
            relay.stop()
        await asyncio.gather(*running)

    events = await read_events(settings.broker, settings.own_topic)
    assert len(events) == len({e.event_id for e in events}) == 120
    for stream in streams:
        assert [e.stream_version for e in events if e.stream_id == stream] == [1, 2, 3]


async def outbox_is_empty(pool: asyncpg.Pool) -> bool:
    return bool(await pool.fetchval("select count(*) from outbox") == 0)


async def test_the_relay_sends_each_events_stored_chain_and_a_consumer_checking_it_applies_them_all(
    settings: ServiceSettings, pool: asyncpg.Pool, store: EventStore, applied_table: None
) -> None:
    async with pool.acquire() as conn:
        await store.append(conn, "r-1", [reported("r-1", "a")], 0, META)
        await store.append(conn, "r-1", [reported("r-1", "b"), reported("r-1", "c")], 1, META)
        stored = await conn.fetch("select prev_hash, hash from events order by stream_version")

    async def published() -> bool:
        return len(await read_topic(settings.broker, settings.own_topic)) == 3

    await run_until([OutboxRelay(settings)], published)
    records = await read_topic(settings.broker, settings.own_topic)
    sent = [(dict(r.headers)["ce_prevhash"], dict(r.headers)["ce_hash"]) for r in records]
    assert sent == [(bytes(r["prev_hash"]).hex().encode(), bytes(r["hash"]).hex().encode()) for r in stored]
    runner = ConsumerRunner(settings, pool, name="checker", topics=[settings.own_topic], handler=Counter())
    await run_consumer_until(runner, lambda: applied_count(pool, 3))
    assert not runner.chain_breaks
    head = await pool.fetchrow("select stream_version, hash from stream_heads where consumer = 'checker'")
    assert head is not None
    assert (head["stream_version"], head["hash"]) == (3, stored[-1]["hash"])


async def applied_count(pool: asyncpg.Pool, n: int) -> bool:
    return bool(await pool.fetchval("select count(*) from applied") == n)
