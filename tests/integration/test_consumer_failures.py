"""A consumer's failures on the real broker and database: a handler's bug holds the consumer at the event (never
the DLQ), /readyz names it, and a dead letter comes back from the DLQ after a fix, applied once."""

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import orjson
import pytest
import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.audit.chain import GENESIS, chain_headers, envelope_fields, event_hash
from shared.consumer import ConsumerRunner, PoisonMessage, dlq_topic
from shared.contracts.intake import IssueReported
from shared.db import Connection, create_pool, migrate
from shared.envelope import Envelope, to_record
from shared.service import Platform, build_app
from shared.settings import ServiceSettings
from tests.conftest import SettingsFactory
from tests.integration.test_platform import consuming, produce, record_of, run_consumer_until, send, send_streams
from tests.support.events import payload, reported
from tests.support.kafka import committed, read_topic
from tests.support.service import serving, settings_env
from tests.support.stack import ROOT


@pytest.fixture
async def settings(make_settings: SettingsFactory, topics: list[str]) -> ServiceSettings:
    # A handler that fails three times in a row makes its consumer stalled; retries come quickly in a test.
    made: ServiceSettings = make_settings(
        service_name="intake", consumer_retry_attempts=3, consumer_max_backoff_seconds=0.3
    )
    return made


@pytest.fixture
async def pool(settings: ServiceSettings) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(settings)
    await migrate(pool)
    await pool.execute("create table applied (event_id uuid, title text)")
    yield pool
    await pool.close()


class Handler:
    """Records each event it applies in `applied`; raises for the titles in `failing` as a bug would, and refuses
    (PoisonMessage, on purpose) those in `refused`."""

    def __init__(self) -> None:
        self.failing: set[str] = set()
        self.refused: set[str] = set()

    async def __call__(self, conn: Connection, envelope: Envelope) -> None:
        title = payload(envelope, IssueReported).title
        if title in self.failing:
            raise RuntimeError(f"a bug met {title!r}")
        if title in self.refused:
            raise PoisonMessage("the title breaks a rule of this test")
        await conn.execute("insert into applied (event_id, title) values ($1, $2)", envelope.event_id, title)


async def titles(pool: asyncpg.Pool) -> list[str]:
    return sorted(r["title"] for r in await pool.fetch("select title from applied"))


async def eventually(condition: Callable[[], Awaitable[bool]], what: str, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, f"not reached in time: {what}"
        await asyncio.sleep(0.2)


async def applied_count(pool: asyncpg.Pool, count: int) -> bool:
    return bool(await pool.fetchval("select count(*) from applied") == count)


async def at_log_end(settings: ServiceSettings, pool: asyncpg.Pool, runner: ConsumerRunner) -> bool:
    """Whether the consumer's position on the one-partition stream of these tests is past the topic's last record."""
    last = max(r.offset for r in await read_topic(settings.broker, settings.topic("intake.events"))) + 1
    position = 'select "offset" from consumer_positions where consumer = $1'
    return bool(await pool.fetchval(position, runner.name) == last)


async def test_a_handler_that_keeps_failing_holds_its_consumer_at_the_event_and_readiness_names_it(
    settings: ServiceSettings, pool: asyncpg.Pool
) -> None:
    # One stream, so one partition: "after" may only be applied once "bad" is.
    await produce(settings, [record_of(reported("s-1", t), v) for v, t in enumerate(["before", "bad", "after"], 1)])
    [_, bad, _] = await read_topic(settings.broker, settings.topic("intake.events"))
    handler = Handler()
    handler.failing.add("bad")

    def consumers(platform: Platform[ServiceSettings]) -> list[ConsumerRunner]:
        topics = [settings.topic("intake.events")]
        return [ConsumerRunner(settings, platform.pool, name="flaky", topics=topics, handler=handler)]

    app = build_app(settings, title="a service with a buggy handler", compose=lambda p: p, consumers=consumers)
    async with serving(app) as (client, _):

        async def stalled() -> bool:
            answer = await client.get("/readyz", auth=None)
            return answer.status_code == 503 and answer.json()["checks"].get("consumer:flaky") == "stalled"

        await eventually(stalled, "readiness names the stalled consumer")
        answer = await client.get("/readyz", auth=None)
        assert {name: code for name, code in answer.json()["checks"].items() if code != "ok"} == {
            "consumer:flaky": "stalled"
        }
        assert "bug" not in answer.text and "RuntimeError" not in answer.text
        # Held at the event: nothing after it applied, nothing committed past it, nothing dead-lettered.
        assert await titles(pool) == ["before"]
        assert await read_topic(settings.broker, dlq_topic(settings.topic("intake.events"))) == []
        tp = TopicPartition(bad.topic, bad.partition)
        group = f"{settings.topic_prefix}intake.flaky"
        assert (await committed(settings.broker, group)).get(tp) == bad.offset
        position = 'select "offset" from consumer_positions where consumer = $1 and partition = $2'
        assert await pool.fetchval(position, "flaky", bad.partition) == bad.offset

        handler.failing.clear()  # the fault goes away: the held event is applied, once, and the rest after it

        async def recovered() -> bool:
            return (await client.get("/readyz", auth=None)).status_code == 200 and len(await titles(pool)) == 3

        await eventually(recovered, "the consumer goes on after the fault")
        assert await titles(pool) == ["after", "bad", "before"]
        assert (await committed(settings.broker, group)).get(tp) == bad.offset + 2
    assert await read_topic(settings.broker, dlq_topic(settings.topic("intake.events"))) == []


async def test_an_event_refused_in_the_middle_of_a_batch_goes_to_the_dlq_and_the_others_are_applied_once(
    settings: ServiceSettings, pool: asyncpg.Pool
) -> None:
    # One stream, so one partition, produced before the consumer starts: one batch, with a repeat after the refusal.
    records = [record_of(reported("s-1", t), v) for v, t in enumerate(["one", "two", "refused", "three", "four"], 1)]
    await produce(settings, [*records[:3], records[0], *records[3:]])
    topic = settings.topic("intake.events")
    handler = Handler()
    handler.refused.add("refused")
    runner = ConsumerRunner(settings, pool, name="batched", topics=[topic], handler=handler)
    await run_consumer_until(runner, lambda: at_log_end(settings, pool, runner))
    applied = await pool.fetch("select title, count(*) as n from applied group by title")
    assert {r["title"]: r["n"] for r in applied} == {"one": 1, "two": 1, "three": 1, "four": 1}
    assert runner.applied == 4
    [letter] = await read_topic(settings.broker, dlq_topic(topic))
    assert dict(letter.headers)["dlq_reason"] == b"the title breaks a rule of this test"
    [refused] = [r for r in await read_topic(settings.broker, topic) if r.value == letter.value]
    assert dict(letter.headers)["dlq_offset"] == str(refused.offset).encode()
    # The refused event has no inbox row, so its dead letter replayed after a fix is applied; the others have one.
    inbox = await pool.fetchval("select count(*) from inbox where consumer = $1", "batched")
    assert inbox == 4


@pytest.mark.parametrize("fault", ["refused", "failing"])
async def test_a_refusal_or_a_fault_on_one_partition_of_a_fetch_leaves_the_others_applied_once_and_that_one_held(
    settings: ServiceSettings, pool: asyncpg.Pool, fault: str
) -> None:
    # Twelve streams over the three partitions, produced while the consumer gathers: one fetch brings them all, and
    # their transaction together fails on t-0's second event. Each partition then goes alone: the refused event to the
    # DLQ and the rest of its partition applied, or the failing one held with what follows it on its partition; every
    # other event applied once.
    topic = settings.topic("intake.events")
    handler = Handler()
    getattr(handler, fault).add("t-0 v2")
    runner = ConsumerRunner(settings, pool, name="together", topics=[topic], handler=handler, gather_ms=1500)
    streams = [f"t-{n}" for n in range(12)]
    async with consuming(settings, runner) as producer:
        await send(producer, settings, reported("t-first", "first"))
        await eventually(lambda: applied_count(pool, 1), "the first record applied")
        await send_streams(producer, settings, streams)
        records = [r for r in await read_topic(settings.broker, topic) if r.key != b"t-first"]
        [bad] = [r for r in records if r.key == b"t-0" and dict(r.headers)["ce_streamversion"] == b"2"]
        held = {bad.offset} if fault == "refused" else {r.offset for r in records if r.partition == bad.partition}
        expected = ["first"] + [
            f"{r.key.decode()} v{dict(r.headers)['ce_streamversion'].decode()}"
            for r in records
            if r.partition != bad.partition or r.offset not in held or r.offset < bad.offset
        ]
        await eventually(lambda: applied_count(pool, len(expected)), "every event but those held applied")
        if fault == "refused":
            await eventually(lambda: dead_letters(settings, 1), "the refused event dead-lettered")
    assert await titles(pool) == sorted(expected)  # each once
    assert "t-0 v2" not in expected and len(expected) > 1 + len(streams)
    position = 'select "offset" from consumer_positions where consumer = $1 and partition = $2'
    letters = await read_topic(settings.broker, dlq_topic(topic))
    if fault == "refused":
        assert [dict(letter.headers)["dlq_offset"] for letter in letters] == [str(bad.offset).encode()]
        end = max(r.offset for r in records if r.partition == bad.partition) + 1
        assert await pool.fetchval(position, "together", bad.partition) == end
    else:
        assert letters == []
        assert await pool.fetchval(position, "together", bad.partition) == bad.offset  # held at it, nothing skipped


async def dead_letters(settings: ServiceSettings, count: int) -> bool:
    return len(await read_topic(settings.broker, dlq_topic(settings.topic("intake.events")))) == count


class BatchHandler:
    """Applies a batch's events in one statement, refusing the whole batch when one title is refused (the runner
    then isolates that event with the per-event handler); records what each call was given."""

    def __init__(self, refused: set[str]) -> None:
        self.refused = refused
        self.calls: list[list[str]] = []

    async def __call__(self, conn: Connection, envelopes: list[Envelope]) -> None:
        titles = [payload(envelope, IssueReported).title for envelope in envelopes]
        self.calls.append(titles)
        if self.refused & set(titles):
            raise PoisonMessage("the title breaks a rule of this test")
        await conn.execute(
            "insert into applied (event_id, title) select unnest($1::uuid[]), unnest($2::text[])",
            [envelope.event_id for envelope in envelopes],
            titles,
        )


async def test_a_batch_handler_gets_the_fresh_events_once_and_a_refusal_among_them_is_isolated_to_the_dlq(
    settings: ServiceSettings, pool: asyncpg.Pool
) -> None:
    # One partition, one batch: a repeat of "one" and a refused event in the middle; then a clean batch.
    records = [record_of(reported("s-1", t), v) for v, t in enumerate(["one", "two", "refused", "three", "four"], 1)]
    await produce(settings, [*records[:2], records[0], *records[2:]])
    topic = settings.topic("intake.events")
    handler = Handler()
    handler.refused.add("refused")
    batch = BatchHandler(handler.refused)
    runner = ConsumerRunner(settings, pool, name="set-based", topics=[topic], handler=handler, batch_handler=batch)
    await run_consumer_until(runner, lambda: at_log_end(settings, pool, runner))
    # The batch handler was given each fresh event once, in order; its refusal sent the batch one event at a time.
    assert batch.calls == [["one", "two", "refused", "three", "four"]]
    applied = await pool.fetch("select title, count(*) as n from applied group by title")
    assert {r["title"]: r["n"] for r in applied} == {"one": 1, "two": 1, "three": 1, "four": 1}
    assert runner.applied == 4 and runner.dead_lettered == 1
    [letter] = await read_topic(settings.broker, dlq_topic(topic))
    assert dict(letter.headers)["dlq_reason"] == b"the title breaks a rule of this test"
    assert await pool.fetchval("select count(*) from inbox where consumer = $1", "set-based") == 4

    # A batch without a refusal is applied by the batch handler alone; a repeat of an applied event is left out.
    await produce(settings, [records[1], record_of(reported("s-1", "five"), 6), record_of(reported("s-1", "six"), 7)])
    again = ConsumerRunner(settings, pool, name="set-based", topics=[topic], handler=handler, batch_handler=batch)
    await run_consumer_until(again, lambda: at_log_end(settings, pool, again))
    assert batch.calls[1:] == [["five", "six"]]
    assert again.applied == 2 and again.dead_lettered == 0
    assert await titles(pool) == ["five", "four", "one", "six", "three", "two"]


def dlq_command(settings: ServiceSettings, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m shared.dlq …` as an operator runs it, against this test's topics."""
    return subprocess.run(
        [sys.executable, "-m", "shared.dlq", *args],
        cwd=ROOT,
        env=settings_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_a_dead_letter_replayed_after_the_fix_is_applied_once(
    settings: ServiceSettings, pool: asyncpg.Pool
) -> None:
    topic = settings.topic("intake.events")
    await produce(settings, [record_of(reported(f"r-{t}", t)) for t in ("first", "refused", "last")])
    handler = Handler()
    handler.refused.add("refused")

    def runner() -> ConsumerRunner:
        return ConsumerRunner(settings, pool, name="replayed", topics=[topic], handler=handler)

    async def count(title: str) -> int:
        return int(await pool.fetchval("select count(*) from applied where title = $1", title))

    async def caught_up() -> bool:
        ends = {(r.partition): r.offset + 1 for r in await read_topic(settings.broker, topic)}
        rows = await pool.fetch('select partition, "offset" from consumer_positions where consumer = $1', "replayed")
        return {r["partition"]: r["offset"] for r in rows} == ends

    await run_consumer_until(runner(), caught_up)
    assert await titles(pool) == ["first", "last"]
    [letter] = await read_topic(settings.broker, dlq_topic(topic))
    place = f"{letter.partition}:{letter.offset}"

    listing = dlq_command(settings, "list")
    assert listing.returncode == 0, listing.stderr
    line = next(line for line in listing.stdout.splitlines() if line.strip().startswith(place))
    assert "the title breaks a rule of this test" in line and "IssueReported" in line
    assert f"{dlq_topic(topic)}: 1 封死信 (dead letters), 1 封未重放 (not replayed)" in listing.stdout

    handler.refused.clear()  # the fix
    replay = dlq_command(settings, "replay", "--topic", "intake.events", "--offsets", place)
    assert replay.returncode == 0, replay.stderr
    await run_consumer_until(runner(), caught_up)
    assert await titles(pool) == ["first", "last", "refused"]

    # Not twice by accident; on purpose (--again) it is published again, and the inbox keeps it applied once.
    twice = dlq_command(settings, "replay", "--topic", "intake.events", "--offsets", place)
    assert twice.returncode == 2 and "已重放过 (already replayed)" in twice.stderr
    forced = dlq_command(settings, "replay", "--topic", "intake.events", "--offsets", place, "--again")
    assert forced.returncode == 0, forced.stderr
    await run_consumer_until(runner(), caught_up)
    assert [await count(t) for t in ("first", "refused", "last")] == [1, 1, 1]

    listing = dlq_command(settings, "list")
    assert f"{dlq_topic(topic)}: 1 封死信 (dead letters), 0 封未重放 (not replayed)" in listing.stdout
    assert "已重放 replayed" in listing.stdout
    replays = await read_topic(settings.broker, settings.topic("dlq.replays"))
    assert [r.key.decode() for r in replays] == [f"{dlq_topic(topic)}:{place}"] * 2


async def test_a_batch_whose_partition_moved_while_it_was_applied_neither_stops_the_consumer_nor_is_held(
    settings: ServiceSettings, pool: asyncpg.Pool
) -> None:
    # Under load a member can lose its assignment between taking a batch and committing it (a rebalance it could not
    # wait for, e.g. a missed heartbeat). aiokafka then refuses the partition's lag, seek and commit; that refusal
    # stopped a rebuild's consumer once ("Partition is not assigned"). The new owner redelivers from the committed
    # offset, so the old one has nothing left to do for that partition.
    await produce(settings, [record_of(reported("s-1", "first"))])
    [record] = await read_topic(settings.broker, settings.topic("intake.events"))
    runner = ConsumerRunner(settings, pool, name="moved", topics=[settings.topic("intake.events")], handler=Handler())
    consumer = AIOKafkaConsumer(**settings.broker.client_options(), group_id=f"{settings.topic_prefix}moved")
    consumer.subscribe([settings.topic("intake.events")])
    await consumer.start()
    try:
        await eventually(lambda: asyncio.sleep(0.05, bool(consumer.assignment())), "the member is assigned")
        moved = TopicPartition(record.topic, record.partition + 100)  # never this member's
        await runner._commit(consumer, moved, record.offset + 1)
        runner._hold(consumer, moved, record, RuntimeError("a bug"), counted=True)
        assert runner.health == "ok"
        assert moved not in consumer.paused()
    finally:
        await consumer.stop()


async def test_a_group_offset_left_behind_by_a_lost_commit_reaches_the_stored_position_with_no_new_record(
    settings: ServiceSettings, pool: asyncpg.Pool
) -> None:
    # A kill -9 between the batch's database commit and Kafka's leaves the group's offset behind the position stored
    # with the effects; with no new record on the partition nothing else moves it, and the lag shows for ever.
    await produce(settings, [record_of(reported(f"s-{n}", f"t{n}")) for n in range(3)])
    runner = ConsumerRunner(settings, pool, name="behind", topics=[settings.topic("intake.events")], handler=Handler())
    await run_consumer_until(runner, lambda: applied_count(pool, 3))
    records = await read_topic(settings.broker, settings.topic("intake.events"))
    offsets: dict[TopicPartition, list[int]] = {}
    for r in records:
        offsets.setdefault(TopicPartition(r.topic, r.partition), []).append(r.offset)
    ends = {tp: max(read) + 1 for tp, read in offsets.items()}
    starts = {tp: min(read) for tp, read in offsets.items()}
    lost = AIOKafkaConsumer(**settings.broker.client_options(), group_id=runner.group_id, enable_auto_commit=False)
    await lost.start()
    try:
        lost.assign(list(starts))
        await lost.commit(starts)  # the group as the crash left it: behind on every partition it read
    finally:
        await lost.stop()
    assert await committed(settings.broker, runner.group_id) == starts

    again = ConsumerRunner(settings, pool, name="behind", topics=[settings.topic("intake.events")], handler=Handler())

    async def caught_up() -> bool:
        return await committed(settings.broker, runner.group_id) == ends

    await run_consumer_until(again, caught_up)
    assert await titles(pool) == ["t0", "t1", "t2"]  # applied once: the restart redelivered nothing


async def test_a_connection_the_database_closed_while_the_consumer_kept_it_is_replaced_before_the_next_batch(
    settings: ServiceSettings, pool: asyncpg.Pool
) -> None:
    # A consumer keeps the connection it applies batches on (ConsumerRunner._connection). A database restart closes it;
    # the next batch takes a new one instead of failing once on the old one and being retried.
    await produce(settings, [record_of(reported("kept-1", "before"))])
    runner = ConsumerRunner(settings, pool, name="kept", topics=[settings.topic("intake.events")], handler=Handler())
    task = asyncio.create_task(runner.run())
    try:
        await eventually(lambda: applied_count(pool, 1), "the first event applied")
        async with pool.acquire() as admin:
            closed = await admin.fetchval(
                """select count(pg_terminate_backend(pid)) from pg_stat_activity
                    where datname = current_database() and pid <> pg_backend_pid()"""
            )
        assert closed >= 1
        with structlog.testing.capture_logs() as logs:
            await produce(settings, [record_of(reported("kept-2", "after"))])
            await eventually(lambda: applied_count(pool, 2), "the second event applied")
        assert [entry for entry in logs if entry["event"] == "event_retrying"] == []
        assert runner.health == "ok"
    finally:
        runner.stop()
        await task


Record = tuple[bytes, bytes, list[tuple[str, bytes]]]


def chained(event: IssueReported, version: int, prev_hash: bytes) -> tuple[Record, bytes]:
    """The record of `event` at `version` of its stream, chained from `prev_hash` as the relay sends it; its hash."""
    envelope = Envelope.wrap(event, stream_id=event.issue_id, stream_version=version, actor="测试", correlation_id="c")
    key, value, headers = to_record(envelope, source="/test")
    own = event_hash(prev_hash=prev_hash, **envelope_fields(envelope, orjson.loads(value)))
    return (key, value, headers + chain_headers(prev_hash, own)), own


async def test_a_record_that_breaks_its_streams_chain_goes_to_the_dlq_and_readiness_raises_the_alert(
    settings: ServiceSettings, pool: asyncpg.Pool
) -> None:
    one, h1 = chained(reported("s-1", "one"), 1, GENESIS)
    two, _ = chained(reported("s-1", "two"), 2, h1)
    changed = (two[0], two[1].replace(b'"two"', b'"tw0"'), two[2])  # the payload edited after it was hashed
    three, _ = chained(reported("s-1", "three"), 3, h1)  # chains from version 1: version 2 is not its predecessor
    other, o1 = chained(reported("s-2", "other"), 1, GENESIS)
    other_next, _ = chained(reported("s-2", "other next"), 2, o1)
    # A redelivery of "one" (at least once) is no break; s-2's chain is intact and applied whole.
    await produce(settings, [one, one, changed, other, three, other_next])
    topic = settings.topic("intake.events")

    def consumers(platform: Platform[ServiceSettings]) -> list[ConsumerRunner]:
        return [ConsumerRunner(settings, platform.pool, name="checker", topics=[topic], handler=Handler())]

    app = build_app(settings, title="a service checking chains", compose=lambda p: p, consumers=consumers)
    async with serving(app) as (client, _):

        async def alerted() -> bool:
            answer = await client.get("/readyz", auth=None)
            return bool(answer.json()["alerts"] == {"consumer:checker": "chain_break"})

        await eventually(alerted, "readiness raises the chain alert")
        answer = await client.get("/readyz", auth=None)
        assert answer.status_code == 200 and answer.json()["ready"] is True and answer.json()["degraded"] is True

        async def all_seen() -> bool:
            return len(await titles(pool)) == 3 and len(await read_topic(settings.broker, dlq_topic(topic))) == 2

        await eventually(all_seen, "the intact events applied, the two breaks dead-lettered")
    letters = await read_topic(settings.broker, dlq_topic(topic))
    assert {r.value: dict(r.headers)["dlq_reason"].decode() for r in letters} == {
        changed[1]: "chain break: changed: the event at version 2 does not match its hash",
        three[1]: "chain break: removed: version 2 is missing before version 3 (or was refused)",
    }
    assert await titles(pool) == ["one", "other", "other next"]
    head = await pool.fetchrow("select stream_version, hash from stream_heads where stream_id = 's-1'")
    assert head is not None
    assert (head["stream_version"], bytes(head["hash"])) == (1, h1)  # the head does not move past a break


async def test_once_a_partition_is_chained_a_record_without_the_headers_or_a_stream_begun_mid_way_goes_to_the_dlq(
    settings: ServiceSettings, pool: asyncpg.Pool
) -> None:
    one, h1 = chained(reported("s-1", "one"), 1, GENESIS)
    bare = record_of(reported("s-1", "bare"), 2)  # no chain headers: written past the relay, by someone with access
    late, _ = chained(reported("s-9", "late"), 3, b"\1" * 32)  # a stream whose versions 1-2 never came
    late = (one[0], late[1], late[2])  # on s-1's partition, read from its first (chained) record
    two, _ = chained(reported("s-1", "two"), 2, h1)
    await produce(settings, [one, bare, late, two])
    topic = settings.topic("intake.events")

    def consumers(platform: Platform[ServiceSettings]) -> list[ConsumerRunner]:
        return [ConsumerRunner(settings, platform.pool, name="checker", topics=[topic], handler=Handler())]

    app = build_app(settings, title="a service checking chains", compose=lambda p: p, consumers=consumers)
    async with serving(app):

        async def all_seen() -> bool:
            return len(await titles(pool)) == 2 and len(await read_topic(settings.broker, dlq_topic(topic))) == 2

        await eventually(all_seen, "the chained events applied, the other two dead-lettered")
    letters = await read_topic(settings.broker, dlq_topic(topic))
    reasons = {r.value: dict(r.headers)["dlq_reason"].decode() for r in letters}
    assert reasons[bare[1]].startswith("chain break: inserted: a record without the chain headers")
    assert reasons[late[1]] == (
        "chain break: removed or inserted: the stream's first event on this partition is version 3;"
        " version 1-2 never came (or was refused)"
    )
    assert await titles(pool) == ["one", "two"]
