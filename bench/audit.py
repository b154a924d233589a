"""What the audit log (issue 16, item 2: shared/audit/) costs, on the stack's PostgreSQL.

    python -m bench.audit [--events 4000] [--rounds 3] [--leaves 100000]

1. The append path: bench.store's single appends (4 clients, one new stream each, as intake appends) into a store
   with migrations 001-005 (the chain) and one with 006 too (the transaction id column and the
   (xid, event_id) index the appender reads by), alternately, `--rounds` times each.
2. Placing leaves: `--leaves` events inserted in one statement, then placed by the appender's rounds (5,000 per
   transaction): wall time and this process's CPU per event.
3. At that size: a checkpoint (place, root from the frontier, sign, store, append its event), an inclusion proof and a
   consistency proof (from the tiles and two tiles' leaves; each verified), and
   `verify-tree` (every leaf against its event, every checkpoint).
"""

import argparse
import asyncio
import statistics
import time

import asyncpg

from bench import store
from bench.scratch import scratch_database
from shared.audit import leaves, proofs
from shared.audit.checkpoints import new_key
from shared.audit.log import AuditLog, verify_tree
from shared.db import PLATFORM_MIGRATIONS
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


async def append_rates(server: str, events: int, rounds: int) -> dict[str, list[store.Appends]]:
    runs: dict[str, list[store.Appends]] = {"chain (001-005)": [], "chain + audit log (001-006)": []}
    async with (
        scratch_database(server, "bench_audit_without") as without,
        scratch_database(server, "bench_audit_with") as with_log,
    ):
        await migrated(without, through="005_z")
        await migrated(with_log, through="006_z")
        for _ in range(rounds):
            for label, dsn in zip(runs, (without, with_log), strict=True):
                runs[label].append(await asyncio.to_thread(store.measure, dsn, events=events, clients=4, batch=1))
    return runs


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
        cpu = [round(a.client_cpu_us) for a in appends]
        print(f"{label:<28} events/s {rates} (median {statistics.median(rates):,.0f}); client CPU µs/append {cpu}")
    for name, value in asyncio.run(at_size(args.database_url, args.leaves)).items():
        print(f"{name:<28} {value:,.2f}")


if __name__ == "__main__":
    main()
