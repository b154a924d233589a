"""The relay's publish rate and a consumer's apply rate on a backlog: `python -m bench.pipeline --events 20000`.

Runs on the PostgreSQL server and the broker given (by default `make up`'s), in a scratch database and under
topics of its own (`pipe<run>.*`), both removed afterwards. Three figures, each over the same N events:

- relay: N IssueReported events appended through the event store while no relay runs, then one relay drains the
  outbox; events/s from its first batch deleted to the empty outbox (its start-up left out).
- consumer: one ConsumerRunner reads the N events from the topic; its handler writes one row per event (the runner's
  own cost: decode, inbox, position, commit, plus one statement); events/s from the first event applied to the last.
- projections: `python -m services.projections.rebuild` replays the same topics into a scratch database (the real
  handler: facts and read models).

`--profile-seconds S` leaves out the projections replay and samples this process with py-spy while it runs
(py-spy must be installed in the venv; the top frames are printed).
"""

import argparse
import asyncio
import json
import os
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg

from bench.config import ROOT
from bench.replay import rebuild_into
from bench.scratch import scratch_database
from shared.consumer import ConsumerRunner
from shared.contracts.codes import Domain, Source
from shared.contracts.intake import IssueReported
from shared.db import Connection, create_pool, migrate
from shared.envelope import Envelope
from shared.eventstore import EventStore, Metadata
from shared.relay import OutboxRelay
from shared.settings import LOCAL_DATABASE_URL, ServiceSettings
from shared.stack_keys import use_stack_keys
from shared.topics import ensure_topics

META = Metadata(actor="bench", correlation_id="bench-pipeline")


@dataclass(frozen=True)
class Figures:
    events: int
    relay_events_per_second: float
    consumer_events_per_second: float
    projections: dict[str, Any] | None
    load_before: float
    load_after: float


def _load() -> float:
    return os.getloadavg()[0]


async def _fill(pool: asyncpg.Pool, store: EventStore, events: int, clients: int = 4) -> None:
    """N new streams of one event each, appended by `clients` connections side by side."""
    queue = iter(range(events))

    async def client() -> None:
        async with pool.acquire() as conn:
            for i in queue:
                issue = f"bench-{i}"
                event = IssueReported(
                    issue_id=issue,
                    source=Source.HOTLINE_12369,
                    title=f"河道非法采砂 {i}",
                    description="有人夜间采砂",
                    township="城关镇",
                    domain=Domain.QUARRYING_SAND,
                )
                await store.append(conn, issue, [event], 0, META)

    await asyncio.gather(*(client() for _ in range(clients)))


async def _until(condition: Any, timeout: float) -> float:
    started = time.monotonic()
    while not await condition():
        if time.monotonic() - started > timeout:
            raise TimeoutError("the backlog was not drained in time")
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def _relay_rate(settings: ServiceSettings, pool: asyncpg.Pool, events: int) -> float:
    relay = OutboxRelay(settings, name="bench")
    task = asyncio.create_task(relay.run())

    waiting = events

    async def started() -> bool:
        nonlocal waiting
        waiting = int(await pool.fetchval("select count(*) from outbox"))
        return waiting < events

    async def drained() -> bool:
        return bool(await pool.fetchval("select count(*) = 0 from outbox"))

    try:
        await _until(started, 120)  # the relay connected, claimed its slots and acknowledged a first batch
        seconds = await _until(drained, 600)
    finally:
        relay.stop()
        await task
    return waiting / seconds


async def _consumer_rate(settings: ServiceSettings, pool: asyncpg.Pool, events: int) -> float:
    await pool.execute("create table if not exists bench_applied (event_id uuid primary key, stream_id text)")

    async def handler(conn: Connection, envelope: Envelope) -> None:
        await conn.execute(
            "insert into bench_applied (event_id, stream_id) values ($1, $2)", envelope.event_id, envelope.stream_id
        )

    runner = ConsumerRunner(
        settings, pool, name="bench", topics=[settings.topic("intake.events")], handler=handler, max_records=1000
    )
    task = asyncio.create_task(runner.run())
    try:

        async def started() -> bool:
            return runner.applied > 0

        await _until(started, 120)
        first = runner.applied

        async def done() -> bool:
            return runner.applied >= events

        seconds = await _until(done, 600)
    finally:
        runner.stop()
        await task
    return (events - first) / seconds


def _profile(seconds: float) -> subprocess.Popen[bytes]:
    out = ROOT / ".run" / "bench" / f"pipeline-{os.getpid()}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "py-spy"),
            "record",
            "--pid",
            str(os.getpid()),
            "--duration",
            str(int(seconds)),
            "--format",
            "raw",
            "--output",
            str(out),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stop_profile(spy: subprocess.Popen[bytes] | None) -> None:
    if spy is not None:
        spy.send_signal(signal.SIGINT)  # py-spy writes its samples on an interrupt
        spy.wait()


async def measure(
    database_url: str, bootstrap: str, events: int, *, projections: bool = True, profile: str | None = None
) -> Figures:
    run = f"pipe{uuid.uuid4().hex[:8]}"
    settings = ServiceSettings(
        service_name="intake",
        database_url=database_url,
        database_name=f"{run}_intake",
        topic_prefix=f"{run}.",
        kafka_bootstrap_servers=bootstrap,
        log_json=False,
        log_level="WARNING",
        relay_poll_seconds=0.2,
    )
    load_before = _load()
    await ensure_topics(settings)
    async with scratch_database(database_url, settings.database):
        pool = await create_pool(settings)
        try:
            await migrate(pool)
            await _fill(pool, EventStore(topic=settings.own_topic, slots=settings.outbox_slots), events)
            spy = _profile(600) if profile == "relay" else None
            relay = await _relay_rate(settings, pool, events)
            _stop_profile(spy)
            spy = _profile(600) if profile == "consumer" else None
            consumer = await _consumer_rate(settings, pool, events)
            _stop_profile(spy)
        finally:
            await pool.close()
    replay = None
    if projections:
        async with scratch_database(database_url, f"{run}_projections") as _:
            replay = await asyncio.to_thread(rebuild_into, database_url, f"{run}_projections", bootstrap, f"{run}.")
    await _delete_topics(settings)
    return Figures(
        events=events,
        relay_events_per_second=round(relay, 1),
        consumer_events_per_second=round(consumer, 1),
        projections=replay,
        load_before=load_before,
        load_after=_load(),
    )


async def _delete_topics(settings: ServiceSettings) -> None:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(**settings.broker.client_options())
    await admin.start()
    try:
        names = [name for name in await admin.list_topics() if name.startswith(settings.topic_prefix)]
        if names:
            await admin.delete_topics(names)
    finally:
        await admin.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="relay publish rate and consumer apply rate on a backlog")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", LOCAL_DATABASE_URL))
    parser.add_argument(
        "--kafka-bootstrap-servers", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    )
    parser.add_argument("--no-projections", action="store_true", help="leave out the projections replay")
    parser.add_argument("--profile", choices=("relay", "consumer"), help="py-spy this process during that phase")
    args = parser.parse_args(argv)
    use_stack_keys()
    figures = asyncio.run(
        measure(
            args.database_url,
            args.kafka_bootstrap_servers,
            args.events,
            projections=not args.no_projections,
            profile=args.profile,
        )
    )
    print(json.dumps(figures.__dict__, ensure_ascii=False))


if __name__ == "__main__":
    main()
