"""Waiting for the stack's own consumers to have nothing left to apply before a measurement that shares the machine.

A step that follows a large load (the open loop, the replay's history of 200,000 events) would otherwise be measured
beside cases, enforcement, accountability and intake still applying that load on the same cores and database. The
projections have their own wait (`bench.reads.read_models_caught_up`); this one looks at the other services' groups.
"""

import asyncio
import time

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from bench.config import BenchConfig

# The services whose consumer groups are `<prefix><service>.<consumer>` (shared.consumer.ConsumerRunner.group_id).
SERVICES = ("intake", "cases", "enforcement", "accountability")


async def consumers_lag(config: BenchConfig) -> int:
    """Records the services' consumer groups have yet to apply, summed over their partitions."""
    prefixes = tuple(f"{config.topic_prefix}{service}." for service in SERVICES)
    admin = AIOKafkaAdminClient(**config.broker.client_options())
    await admin.start()
    try:
        groups = [group for group, *_ in await admin.list_consumer_groups() if group.startswith(prefixes)]
        committed: dict[TopicPartition, list[int]] = {}
        for group in groups:
            for tp, meta in (await admin.list_consumer_group_offsets(group)).items():
                committed.setdefault(tp, []).append(meta.offset)
    finally:
        await admin.close()
    if not committed:
        return 0
    consumer = AIOKafkaConsumer(**config.broker.client_options(), enable_auto_commit=False, group_id=None)
    await consumer.start()
    try:
        ends = await consumer.end_offsets(list(committed))
    finally:
        await consumer.stop()
    return sum(max(ends[tp] - offset, 0) for tp, offsets in committed.items() for offset in offsets if offset >= 0)


async def consumers_caught_up(config: BenchConfig, timeout: float = 600.0) -> float:
    """Seconds until the services' consumers lag on no partition; TimeoutError after `timeout`."""
    started = time.monotonic()
    while (lag := await consumers_lag(config)) > 0:
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"the services' consumers still lag by {lag} records after {timeout:.0f}s")
        await asyncio.sleep(1.0)
    return time.monotonic() - started
