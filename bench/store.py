"""Event store appends per second: ours (shared.eventstore) and the `eventsourcing` library's recorder.

Both append the same events (an IssueReported of the size intake writes) to a scratch database
on the stack's PostgreSQL, with the same number of clients, one event per append and in batches.
Every single append opens a new stream, as intake does for a new issue, named by a new issue id (a version 7 UUID, as
intake mints them; random ones made the bench's streams land on random leaf pages of the events' index).

Ours runs on uvloop in a thread of its own (`measure`), as the services' appends do (uvicorn runs them on uvloop),
and the thread's CPU time is counted: on two cores shared with PostgreSQL a Python client at a few hundred µs
per append is itself a ceiling, which pgbench's C client (a few tens of µs per transaction) does not have.
"""

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import asyncpg
import uvloop

from bench import samples
from bench.scratch import connection_parts
from shared.contracts.intake import IssueReported
from shared.db import PLATFORM_MIGRATIONS, Connection, init_connection
from shared.eventstore import EventStore, Metadata
from shared.ids import new_id

META = Metadata(actor="bench", correlation_id="bench")


def sample_event(n: int) -> IssueReported:
    body = samples.report("bench-store", n)
    return IssueReported(issue_id=str(new_id()), **body)  # as intake mints them (time-ordered: shared/ids.py)


def payload_bytes(event: IssueReported) -> bytes:
    return event.model_dump_json().encode()


@dataclass(frozen=True)
class Ran:
    seconds: float  # wall time of the jobs, connections made before
    cpu_seconds: float  # the calling thread's CPU time over the same jobs (not the connections' set-up)


async def run_clients(clients: int, jobs: int, job: Callable[[Connection, int], Awaitable[None]], dsn: str) -> Ran:
    """Runs `jobs` jobs spread over `clients` connections; the time they took."""
    conns = [await asyncpg.connect(dsn) for _ in range(clients)]
    for conn in conns:
        await init_connection(conn)
    queue = iter(range(jobs))

    async def client(conn: Connection) -> None:
        for n in queue:
            await job(conn, n)

    try:
        started, cpu = time.monotonic(), time.thread_time()
        await asyncio.gather(*(client(c) for c in conns))
        return Ran(time.monotonic() - started, time.thread_time() - cpu)
    finally:
        for conn in conns:
            await conn.close()


async def ours(dsn: str, *, events: int, clients: int, batch: int) -> "Appends":
    """Events appended per second by shared.eventstore.EventStore in appends of `batch` events, and the client's CPU
    per append (the thread's: the envelopes, asyncpg and the event loop; not the events' making nor the connecting)."""
    conn = await asyncpg.connect(dsn)
    try:
        for path in sorted(PLATFORM_MIGRATIONS.glob("*.sql")):
            await conn.execute(path.read_text(encoding="utf-8"))
    except asyncpg.DuplicateTableError:
        pass  # a second measurement in the same scratch database
    finally:
        await conn.close()
    store = EventStore(topic="bench.events")
    prepared = [sample_event(n) for n in range(events)]

    async def append(conn: Connection, n: int) -> None:
        events = prepared[n * batch : (n + 1) * batch]
        await store.append(conn, events[0].issue_id, events, 0, META)

    appends = events // batch
    ran = await run_clients(clients, appends, append, dsn)
    return Appends(appends * batch / ran.seconds, 1e6 * ran.cpu_seconds / appends)


@dataclass(frozen=True)
class Appends:
    events_per_s: float
    client_cpu_us: float  # the client's CPU time per append (the thread's, on uvloop, over the appends only)


def measure(dsn: str, *, events: int, clients: int, batch: int) -> Appends:
    """`ours` on uvloop in the calling thread (run it with asyncio.to_thread)."""
    return uvloop.run(ours(dsn, events=events, clients=clients, batch=batch))


def eventsourcing_recorder(dsn: str, *, events: int, clients: int, batch: int) -> float:
    """Events per second by eventsourcing's PostgresApplicationRecorder.insert_events, same events and clients."""
    from eventsourcing.persistence import StoredEvent
    from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

    parts = connection_parts(dsn)
    datastore = PostgresDatastore(
        parts["dbname"], parts["host"], parts["port"], parts["user"], parts["password"], pool_size=clients
    )
    recorder = PostgresApplicationRecorder(datastore, events_table_name=f"stored_events_{batch}")
    recorder.create_table()
    appends = events // batch
    prepared = [payload_bytes(sample_event(n)) for n in range(events)]

    def append(n: int) -> None:
        stream = uuid.uuid4()
        recorder.insert_events(
            [StoredEvent(stream, i + 1, "IssueReported", prepared[n * batch + i]) for i in range(batch)]
        )

    try:
        with ThreadPoolExecutor(max_workers=clients) as pool:
            started = time.monotonic()
            list(pool.map(append, range(appends)))
            seconds = time.monotonic() - started
    finally:
        datastore.close()
    return appends * batch / seconds
