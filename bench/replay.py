"""The projections' replay rate: the rebuild command (`python -m services.projections.rebuild`)
replays the stack's whole history into a scratch database, so the live read models are not touched.

Beside it, Kafka's ConsumerPerformance fetches the same topics, and the rebuilt read models are compared with the
live ones table by table (rows and a digest of them).
"""

import asyncio
import json
import os
import subprocess
import sys
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer

from bench.baselines import consumer_performance
from bench.config import ROOT
from shared.broker import Broker
from shared.topics import existing_partitions


class ReplayFailed(RuntimeError):
    pass


def rebuild_into(
    database_url: str,
    database_name: str,
    bootstrap: str,
    topic_prefix: str,
    *,
    timeout: float = 1800,
    signed_in_as: Broker | None = None,
) -> dict[str, Any]:
    """Runs the rebuild command against a scratch database; returns what it reported (events, seconds, rates). It
    signs in to the broker as `signed_in_as` when given, else as this process's environment says."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DATABASE_NAME": database_name,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "TOPIC_PREFIX": topic_prefix,
        "LOG_LEVEL": "WARNING",
    }
    if signed_in_as is not None:
        env |= {
            "KAFKA_USERNAME": signed_in_as.username,
            "KAFKA_PASSWORD": signed_in_as.password,
            "KAFKA_SECURITY_PROTOCOL": signed_in_as.security_protocol,
        }
    done = subprocess.run(
        [sys.executable, "-m", "services.projections.rebuild", "--grace-seconds", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise ReplayFailed(f"rebuild exited {done.returncode}: {(done.stderr or done.stdout)[-600:]}")
    for line in done.stdout.splitlines():
        line = line.strip()
        if line.startswith("{") and '"events_per_second"' in line:
            result: dict[str, Any] = json.loads(line)
            return result
    raise ReplayFailed(f"the rebuild printed no result: {done.stdout[-600:]}")


async def topic_sizes(broker: Broker, topics: list[str]) -> dict[str, int]:
    """Records now on each topic (log end minus log start, summed over partitions)."""
    all_tps = await existing_partitions(broker, topics)
    consumer = AIOKafkaConsumer(**broker.client_options(), enable_auto_commit=False)
    await consumer.start()
    try:
        sizes: dict[str, int] = {}
        for topic in topics:
            tps = [tp for tp in all_tps if tp.topic == topic]
            if not tps:
                sizes[topic] = 0
                continue
            ends = await consumer.end_offsets(tps)
            starts = await consumer.beginning_offsets(tps)
            sizes[topic] = sum(ends[tp] - starts[tp] for tp in tps)
        return sizes
    finally:
        await consumer.stop()


def consumer_performance_of(broker: Broker, sizes: dict[str, int]) -> tuple[float, list[str]]:
    """ConsumerPerformance over the same topics as the replay: each topic's fetch, the rate of all of them together
    (records ÷ the sum of each topic's fetch time); and each run's summary line."""
    seconds = 0.0
    lines = []
    for topic, records in sizes.items():
        if records:
            rate, line = consumer_performance(broker, topic, records)
            seconds += records / rate
            lines.append(f"{topic}: {line}")
    return (sum(sizes.values()) / seconds if seconds else 0.0), lines


# The read models of a generation, each compared by its rows (the generation's own bookkeeping left out).
READ_TABLES = (
    "facts",
    "issues",
    "case_history",
    "escalations",
    "measures",
    "measure_revocations",
    "enforcement_cases",
    "penalties",
    "payments",
    "enforcement_actions",
    # the summaries kept on write
    "state_changes",
    "daily_changes",
    "township_daily_changes",
    "enforcement_years",
    "accountability_counts",
)


async def read_model_digests(dsn: str) -> dict[str, tuple[int, int]]:
    """Rows and a digest of the rows (order left out) of each read table of the database's active generation."""
    conn = await asyncpg.connect(dsn)
    try:
        schema = await conn.fetchval("select schema_name from read_model_generations where status = 'active'")
        if schema is None:
            return {}
        digests = {}
        for table in READ_TABLES:
            row = await conn.fetchrow(
                f'select count(*) as n, coalesce(sum(hashtext(t::text)), 0) as digest from "{schema}".{table} t'
            )
            assert row is not None
            digests[table] = (int(row["n"]), int(row["digest"]))
        return digests
    finally:
        await conn.close()


async def applied_events(dsn: str) -> int:
    """Events the active generation has applied in all (the sum of its consumer's positions)."""
    conn = await asyncpg.connect(dsn)
    try:
        return int(
            await conn.fetchval(
                """select coalesce(sum(p."offset"), 0) from consumer_positions p
                    join read_model_generations g on g.consumer = p.consumer and g.status = 'active'"""
            )
        )
    finally:
        await conn.close()


async def same_read_models(live_dsn: str, rebuilt_dsn: str, *, timeout: float = 120) -> dict[str, Any]:
    """Whether the rebuilt read models equal the live ones, once the live consumer has applied as much as the
    rebuild did (it is given `timeout` seconds to catch up); the tables that differ. None: no live database, or the
    live consumer applied another number of events than the rebuild read (nothing to compare at one point)."""
    try:
        await (await asyncpg.connect(live_dsn)).close()
    except asyncpg.InvalidCatalogNameError:
        return {"equal": None, "differ": [], "why": "no live projections database to compare with"}
    rebuilt_events = await applied_events(rebuilt_dsn)
    deadline = asyncio.get_running_loop().time() + timeout
    while await applied_events(live_dsn) < rebuilt_events and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(1)
    live_events = await applied_events(live_dsn)
    if live_events != rebuilt_events:
        # more: the topics grew after the rebuild read them (the live models are of a later history); fewer: the
        # live consumer did not catch up within `timeout`
        return {
            "equal": None,
            "differ": [],
            "why": f"the live consumer applied {live_events} events, the rebuild {rebuilt_events}",
            "live_events": live_events,
            "rebuilt_events": rebuilt_events,
        }
    live, rebuilt = await read_model_digests(live_dsn), await read_model_digests(rebuilt_dsn)
    differ = sorted(table for table in READ_TABLES if live.get(table) != rebuilt.get(table))
    return {
        "equal": not differ and bool(live),
        "differ": differ,
        "rows": {table: rebuilt.get(table, (0, 0))[0] for table in READ_TABLES},
        "live_events": live_events,
        "rebuilt_events": rebuilt_events,
    }
