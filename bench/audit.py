"""What the audit log (issue 16, item 2: shared/audit/) costs, on the stack's PostgreSQL.

    python -m bench.audit [--events 4000] [--rounds 3] [--leaves 100000]

1. The append path: single appends (4 clients, one new stream each, as intake appends), rate, p50 and p99, into a
   store without the chain (migrations 001-002, the append statement without its two columns and no digest: what
   the store was before issue 16), one with the chain (001-005) and one with the audit log too (all migrations: the
   transaction id column and the (xid, event_id) index the appender reads by), alternately, `--rounds` times each.
2. Placing leaves: `--leaves` events inserted in one statement, then placed by the appender's rounds (5,000 per
   transaction): wall time and this process's CPU per event.
3. At that size: a checkpoint (place, root from the frontier, sign, store, append its event), an inclusion proof and a
   consistency proof (from the tiles and two tiles' leaves; each verified), and
   `verify-tree` (every leaf against its event, every checkpoint).
"""

import argparse
import asyncio
import contextlib
import statistics
import time
from dataclasses import dataclass

import asyncpg
import uvloop

from bench import store
from bench.scratch import scratch_database
from shared.audit import leaves, proofs
from shared.audit.checkpoints import new_key
from shared.audit.log import AuditLog, verify_tree
from shared.audit.verify import verify_store
from shared.db import PLATFORM_MIGRATIONS, Connection, init_connection
from shared.envelope import Envelope
from shared.eventstore import APPEND_ONE_NEW, GENESIS_SQL, EventStore, event_columns, outbox_slot
from shared.settings import ServiceSettings

FILL = """insert into events (event_id, stream_id, stream_version, type, schema_version, occurred_at, correlation_id,
                             actor, payload, prev_hash, hash)
          select gen_random_uuid(), 'bench-' || n, 1, 'Bench', 1, now(), 'bench', 'bench', '{}',
                 decode(repeat('00', 32), 'hex'), sha256(n::text::bytea)
            from generate_series(1, $1) as n"""


async def migrated(dsn: str, *, through: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        for path in sorted(PLATFORM_MIGRATIONS.glob("*.sql")):
            if path.name <= through:
                await conn.execute(path.read_text(encoding="utf-8"))
    finally:
        await conn.close()


# The one-event append of a new stream as it was before the chain: APPEND_ONE_NEW without prev_hash and hash.
_UNCHAINED_ONE_NEW = APPEND_ONE_NEW.replace(", prev_hash, hash)", ")").replace(
    f", '{GENESIS_SQL}'::bytea, sha256('{GENESIS_SQL}'::bytea || $14::bytea)", ""
)
assert _UNCHAINED_ONE_NEW.count("$14") == 0 and _UNCHAINED_ONE_NEW != APPEND_ONE_NEW


class UnchainedStore(EventStore):
    """The store's single append of a new stream without the chain (no digest, no hash columns): the baseline."""

    async def _insert(self, conn: Connection, stream_id: str, envelopes: list[Envelope], expected_version: int) -> None:
        assert len(envelopes) == 1 and expected_version == 0
        columns = event_columns(envelopes)
        first = envelopes[0]
        row = await conn.fetchrow(
            _UNCHAINED_ONE_NEW,
            stream_id,
            expected_version,
            *(column[0] for column in columns),
            first.correlation_id,
            first.causation_id,
            first.actor,
            outbox_slot(stream_id, self.slots),
            self.topic,
        )
        assert row is not None and row["appended"] == 1


@dataclass(frozen=True)
class Latencies:
    events_per_s: float
    p50_ms: float
    p99_ms: float
    client_cpu_us: float


async def _appends(dsn: str, event_store: EventStore, events: int, clients: int) -> Latencies:
    prepared = [store.sample_event(n) for n in range(events)]
    took: list[float] = []

    async def append(conn: Connection, n: int) -> None:
        started = time.perf_counter()
        await event_store.append(conn, prepared[n].issue_id, [prepared[n]], 0, store.META)
        took.append(time.perf_counter() - started)

    ran = await store.run_clients(clients, events, append, dsn)
    ordered = sorted(took)
    return Latencies(
        events / ran.seconds,
        1e3 * ordered[len(ordered) // 2],
        1e3 * ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        1e6 * ran.cpu_seconds / events,
    )


def measure_appends(dsn: str, event_store: EventStore, events: int, clients: int) -> Latencies:
    """`_appends` on uvloop in the calling thread, as the services append (run it with asyncio.to_thread)."""
    return uvloop.run(_appends(dsn, event_store, events, clients))


VARIANTS = {  # label: (the migrations through, the store)
    "no_chain": ("002_z", UnchainedStore(topic="bench.events")),
    "chain": ("005_z", EventStore(topic="bench.events")),
    "chain_and_log": ("999_z", EventStore(topic="bench.events")),
}


async def append_rates(server: str, events: int, rounds: int, clients: int = 4) -> dict[str, list[Latencies]]:
    """Each variant in a scratch database of its own, alternately, `rounds` times."""
    runs: dict[str, list[Latencies]] = {label: [] for label in VARIANTS}
    async with contextlib.AsyncExitStack() as stack:
        dsns = {
            label: await stack.enter_async_context(scratch_database(server, f"bench_audit_{label}"))
            for label in VARIANTS
        }
        for label, (through, _) in VARIANTS.items():
            await migrated(dsns[label], through=through)
        for _ in range(rounds):
            for label, (_, event_store) in VARIANTS.items():
                runs[label].append(await asyncio.to_thread(measure_appends, dsns[label], event_store, events, clients))
    return runs


async def verify_chains(server: str, events: int) -> dict[str, float]:
    """`make verify`'s chain part over `events` events appended through the store (real chains, new streams of one
    to three events, as intake's and cases' streams start), and its tree part once they are placed."""
    figures: dict[str, float] = {}
    async with scratch_database(server, "bench_audit_verify") as dsn:
        await migrated(dsn, through="999_z")
        conn = await asyncpg.connect(dsn)
        try:
            await init_connection(conn)
            event_store = EventStore(topic="bench.events")
            made = 0
            while made < events:
                streams = []
                for n in range(made, min(made + 1_000, events)):
                    event = store.sample_event(n)
                    streams.append((event.issue_id, [event], store.META))
                await event_store.append_new(conn, streams)
                made += len(streams)
            await leaves.place_all(conn)
        finally:
            await conn.close()
        started = time.monotonic()
        report = await verify_store("bench", dsn)
        figures["verify_chains_s"] = time.monotonic() - started
        assert not report.breaks and report.events == events, (report.events, report.breaks[:1])
        conn = await asyncpg.connect(dsn)
        try:
            started = time.monotonic()
            tree = await verify_tree(conn, "bench")
            figures["verify_tree_s"] = time.monotonic() - started
            assert not tree.problems and tree.leaves == events, tree.problems
        finally:
            await conn.close()
    figures["verify_s_per_100k"] = (figures["verify_chains_s"] + figures["verify_tree_s"]) * 100_000 / events
    return figures


async def at_size(server: str, size: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    async with scratch_database(server, "bench_audit_size") as dsn:
        await migrated(dsn, through="006_z")
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(FILL, size)
            started, cpu = time.monotonic(), time.process_time()
            placed = await leaves.place_all(conn)
            figures["place_us_per_event"] = 1e6 * (time.monotonic() - started) / placed
            figures["place_cpu_us_per_event"] = 1e6 * (time.process_time() - cpu) / placed
            settings = ServiceSettings(service_name="bench", audit_signing_key=new_key(), kafka_password="unused")
            audit = AuditLog.from_settings(settings)
            started = time.monotonic()
            signed, _ = await audit.checkpoint(conn)
            figures["checkpoint_ms"] = 1e3 * (time.monotonic() - started)
            event_id = await conn.fetchval("select event_id from audit_leaves where position = $1", size // 2)
            started = time.monotonic()
            inclusion = await audit.inclusion(conn, event_id, None)
            figures["inclusion_proof_ms"] = 1e3 * (time.monotonic() - started)
            assert proofs.verify_inclusion(inclusion, audit.public_keys()) is None
            await conn.execute(FILL.replace("'bench-' || n", "'more-' || n"), 1000)
            second, _ = await audit.checkpoint(conn)
            started = time.monotonic()
            consistency = await audit.consistency(conn, signed.checkpoint.size, second.checkpoint.size)
            figures["consistency_proof_ms"] = 1e3 * (time.monotonic() - started)
            assert proofs.verify_consistency(consistency, audit.public_keys()) is None
            started = time.monotonic()
            report = await verify_tree(conn, "bench", audit.public_keys())
            figures["verify_tree_s"] = time.monotonic() - started
            assert not report.problems, report.problems
            figures["leaves"] = report.leaves
        finally:
            await conn.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.audit", description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--leaves", type=int, default=100_000)
    parser.add_argument("--database-url", default=ServiceSettings(kafka_password="unused").database_url)
    args = parser.parse_args()
    runs = asyncio.run(append_rates(args.database_url, args.events, args.rounds))
    for label, appends in runs.items():
        rates = [round(a.events_per_s) for a in appends]
        p99 = [round(a.p99_ms, 2) for a in appends]
        cpu = [round(a.client_cpu_us) for a in appends]
        print(
            f"{label:<14} events/s {rates} (median {statistics.median(rates):,.0f}); p99 ms {p99};"
            f" client CPU µs/append {cpu}"
        )
    for name, value in asyncio.run(verify_chains(args.database_url, args.leaves)).items():
        print(f"{name:<28} {value:,.2f}")
    for name, value in asyncio.run(at_size(args.database_url, args.leaves)).items():
        print(f"{name:<28} {value:,.2f}")


if __name__ == "__main__":
    main()
