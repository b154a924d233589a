"""Reading a whole topic back, as a test sees what really went over the broker."""

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer

from shared.envelope import Envelope, from_record


async def read_topic(bootstrap: str, topic: str, *, timeout: float = 10.0) -> list[Any]:
    """Every record on the topic now, from all partitions, in partition then offset order."""
    # Without a group the consumer takes every partition of the topic, from the earliest offset.
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while not consumer.assignment():
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"topic {topic} not found")
            await asyncio.sleep(0.05)
        tps = sorted(consumer.assignment())
        ends = await consumer.end_offsets(tps)
        records: list[Any] = []
        next_offset = await consumer.beginning_offsets(tps)
        while any(next_offset[tp] < ends[tp] for tp in tps):
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"could not read {topic} to its end")
            batch = await consumer.getmany(timeout_ms=200)
            for tp, tp_records in batch.items():
                records.extend(r for r in tp_records if r.offset < ends[tp])
                next_offset[tp] = tp_records[-1].offset + 1
        return sorted(records, key=lambda r: (r.partition, r.offset))
    finally:
        await consumer.stop()


async def read_events(bootstrap: str, topic: str) -> list[Envelope]:
    return [from_record(r.value, r.headers) for r in await read_topic(bootstrap, topic)]


async def wait_for_events(bootstrap: str, topic: str, count: int, *, timeout: float = 15.0) -> list[Envelope]:
    """Polls the topic until it holds at least `count` events."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        events = await read_events(bootstrap, topic)
        if len(events) >= count or asyncio.get_running_loop().time() > deadline:
            return events
        await asyncio.sleep(0.2)
