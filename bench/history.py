"""The replay's history (重放用历史): a county's years of events, made once, through the event stores and the topics.

`python -m bench.history --events 200000` simulates a county (bench/county.py, built from the contracts: reports,
cases through their whole loop, enforcement cases with fines and payments, the escalation ladder and measures) with
about a tenth as many issues as events, appends each service's events to that service's event store
(`EventStore.append_recorded`: the same statement as any append, with its outbox rows) and lets a relay per service
publish them to its topic, as the services' own relays would. So projections' live consumer and a rebuild both see
them.

Made once: when the four topics already hold that many events it does nothing. Resumable: the simulation is
deterministic for its seed, a stream's versions already stored are left out, and the relay drains whatever is in the
outbox. Not through HTTP: this measures the replay, not the commands.
"""

import argparse
import asyncio
import json
import os
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass

import asyncpg
import structlog

from bench.config import BenchConfig
from bench.county import simulate
from bench.replay import topic_sizes
from services.projections.read_tables.facts import TOPIC_OF, TOPICS
from shared.db import create_pool, migrate
from shared.envelope import Envelope
from shared.eventstore import ConcurrencyConflict, EventStore
from shared.relay import OutboxRelay
from shared.settings import LOCAL_DATABASE_URL, ServiceSettings, dsn_for
from shared.stack_keys import use_stack_keys
from shared.topics import ensure_topics

log = structlog.get_logger()

SEED = 14
SPAN_DAYS = 1500  # about four years
EVENTS_PER_ISSUE = 10
# The services whose topics projections reads, in the order their stores are filled.
APPEND_ORDER = (
    "accountability",
    "enforcement",
    "cases",
    "intake",
)  # what the county simulation makes on average (203,251 events for 20,000 issues)


@dataclass(frozen=True)
class History:
    events_wanted: int
    events_on_topics: int
    made: bool  # False: the topics already held the history
    appended: int
    seconds: float


def settings_for(database_url: str, bootstrap: str, topic_prefix: str) -> ServiceSettings:
    """The stack's server, broker (with the sign-in the environment gives) and topic prefix."""
    return ServiceSettings(
        service_name="projections",
        database_url=database_url,
        kafka_bootstrap_servers=bootstrap,
        topic_prefix=topic_prefix,
        log_json=False,
        log_level="WARNING",
        relay_poll_seconds=0.1,
    )


def service_settings(base: ServiceSettings, service: str, database_prefix: str) -> ServiceSettings:
    """One service's settings on the base's server and broker: its database (`<prefix><service>`) and topic."""
    return base.model_copy(
        update={"service_name": service, "database_name": f"{database_prefix}{service}" if database_prefix else None}
    )


def county_of(events: int) -> list[Envelope]:
    """The county's events, at least `events` of them (a small county makes fewer per issue)."""
    issues = max(10, events // EVENTS_PER_ISSUE)
    while len(envelopes := simulate(seed=SEED, issues=issues, span_days=SPAN_DAYS).envelopes) < events:
        issues = issues * events // len(envelopes) + 1
    return envelopes


def streams(envelopes: list[Envelope]) -> dict[str, dict[str, list[Envelope]]]:
    """The events by owning service (= topic) and stream, each stream's in version order."""
    out: dict[str, dict[str, list[Envelope]]] = defaultdict(lambda: defaultdict(list))
    for envelope in envelopes:
        out[TOPIC_OF[envelope.type]][envelope.stream_id].append(envelope)
    for of_service in out.values():
        for events in of_service.values():
            events.sort(key=lambda e: e.stream_version)
    return out


def runs(events: list[Envelope]) -> Iterator[list[Envelope]]:
    """A stream's events cut where the actor or correlation changes (one append shares them)."""
    run: list[Envelope] = []
    for envelope in events:
        if run and (envelope.actor, envelope.correlation_id) != (run[0].actor, run[0].correlation_id):
            yield run
            run = []
        run.append(envelope)
    if run:
        yield run


async def _ensure_database(database_url: str, name: str) -> None:
    admin = await asyncpg.connect(dsn_for(database_url, "postgres"))
    try:
        if not await admin.fetchval("select true from pg_database where datname = $1", name):
            await admin.execute(f'create database "{name}"')
    finally:
        await admin.close()


async def _append(settings: ServiceSettings, of_service: dict[str, list[Envelope]], clients: int) -> int:
    """Appends what the service's store lacks of each stream; the number of events appended."""
    await _ensure_database(settings.database_url, settings.database)
    pool = await create_pool(settings)
    try:
        await migrate(pool)
        stored = {
            r["stream_id"]: r["version"]
            for r in await pool.fetch(
                "select stream_id, max(stream_version) as version from events where stream_id = any($1::text[])"
                " group by stream_id",
                list(of_service),
            )
        }
        store = EventStore(topic=settings.own_topic, slots=settings.outbox_slots)
        missing = [
            [e for e in events if e.stream_version > stored.get(stream, 0)] for stream, events in of_service.items()
        ]
        work = iter([run for events in missing for run in runs(events)])

        async def client() -> None:
            async with pool.acquire() as conn:
                for run in work:
                    try:
                        await store.append_recorded(conn, run)
                    except ConcurrencyConflict as conflict:  # a running service wrote to that stream first
                        log.warning("history_stream_skipped", stream=conflict.stream_id, error=str(conflict))

        await asyncio.gather(*(client() for _ in range(clients)))
        return sum(len(events) for events in missing)
    finally:
        await pool.close()


async def _publish(settings: ServiceSettings, timeout: float = 1800) -> None:
    """Runs a relay until the service's outbox is empty (a running service's relay may share the work)."""
    relay = OutboxRelay(settings, name="history")
    task = asyncio.create_task(relay.run())
    pool = await create_pool(settings)
    try:
        started = time.monotonic()
        while await pool.fetchval("select count(*) from outbox"):
            if task.done():
                raise RuntimeError(f"the relay of {settings.service_name} stopped: {task.exception()!r}")
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"the outbox of {settings.service_name} was not drained in {timeout:.0f}s")
            await asyncio.sleep(0.2)
    finally:
        relay.stop()
        await task
        await pool.close()


async def make_history(
    base: ServiceSettings, events: int, *, database_prefix: str = "", clients: int = 4, force: bool = False
) -> History:
    """Makes the history unless the four topics already hold `events` events.

    `base` gives the server, the broker and the topic prefix; each service's database is `<database_prefix><service>`
    (by default the service's own name, as `make up` names them).
    """
    started = time.monotonic()
    names = [base.topic(f"{short}.events") for short in TOPICS]
    await ensure_topics(base, names)
    on_topics = sum((await topic_sizes(base.broker, names)).values())
    if on_topics >= events and not force:
        return History(events, on_topics, made=False, appended=0, seconds=round(time.monotonic() - started, 1))
    by_service = streams(county_of(events))
    appended = 0
    # Every store first, the reports last: a running stack's cases service opens a case for each report it hears
    # of, and finds it opened already (it opens nothing more). Then the relays.
    for service in APPEND_ORDER:
        appended += await _append(
            service_settings(base, service, database_prefix), by_service.get(service, {}), clients
        )
    for service in APPEND_ORDER:
        await _publish(service_settings(base, service, database_prefix))
    on_topics = sum((await topic_sizes(base.broker, names)).values())
    return History(events, on_topics, made=True, appended=appended, seconds=round(time.monotonic() - started, 1))


async def ensure(config: BenchConfig, cases: int) -> History:
    """The stack's history grown to about `cases` issues (bench --history-sizes): made once, as `make_history`."""
    base = settings_for(config.database_url, config.kafka_bootstrap_servers, config.topic_prefix)
    return await make_history(base, cases * EVENTS_PER_ISSUE)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="make the replay's history once: a county's years on the topics")
    parser.add_argument("--events", type=int, default=200_000, help="at least this many events on the four topics")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", LOCAL_DATABASE_URL))
    parser.add_argument(
        "--kafka-bootstrap-servers", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    )
    parser.add_argument("--topic-prefix", default=os.environ.get("TOPIC_PREFIX", ""))
    parser.add_argument("--force", action="store_true", help="append what is missing even when the topics are full")
    args = parser.parse_args(argv)
    use_stack_keys()
    base = settings_for(args.database_url, args.kafka_bootstrap_servers, args.topic_prefix)
    history = asyncio.run(make_history(base, args.events, force=args.force))
    print(json.dumps(asdict(history), ensure_ascii=False))


if __name__ == "__main__":
    main()
