"""Reading a whole topic back, as a test sees what really went over the broker."""

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import TopicAuthorizationFailedError

from shared.broker import Broker
from shared.envelope import Envelope, from_record


async def read_topic(broker: Broker, topic: str, *, timeout: float = 10.0) -> list[Any]:
    """Every record on the topic now, from all partitions, in partition then offset order."""
    # Without a group the consumer takes every partition of the topic, from the earliest offset.
    consumer = AIOKafkaConsumer(
        topic, **broker.client_options(), enable_auto_commit=False, group_id=None, auto_offset_reset="earliest"
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


async def read_events(broker: Broker, topic: str) -> list[Envelope]:
    return [from_record(r.value, r.headers) for r in await read_topic(broker, topic)]


async def wait_for_events(broker: Broker, topic: str, count: int, *, timeout: float = 15.0) -> list[Envelope]:
    """Polls the topic until it holds at least `count` events."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        events = await read_events(broker, topic)
        if len(events) >= count or asyncio.get_running_loop().time() > deadline:
            return events
        await asyncio.sleep(0.2)


async def may_write(broker: Broker, topic: str) -> bool:
    producer = AIOKafkaProducer(**broker.client_options(), request_timeout_ms=5000)
    try:
        await producer.start()
        await producer.send_and_wait(topic, b"probe")
        return True
    except TopicAuthorizationFailedError:
        return False
    finally:
        await producer.stop()


async def may_read(broker: Broker, topic: str, within: float = 10.0) -> bool:
    """Whether the user may fetch the topic's records (outside any group: a group's own ACL is another test).

    A topic it may not even describe is not in its metadata at all; one it may describe but not read refuses the
    fetch. The topic holds a record, so a user who may read it gets one."""
    consumer = AIOKafkaConsumer(**broker.client_options(), group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        if topic not in await consumer.topics():
            return False
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        await consumer.seek_to_beginning(partition)
        deadline = asyncio.get_running_loop().time() + within
        while asyncio.get_running_loop().time() < deadline:
            if (await consumer.getmany(partition, timeout_ms=500)).get(partition):
                return True
        raise AssertionError(f"{broker.username} may fetch {topic} but got nothing in {within}s")
    except TopicAuthorizationFailedError:
        return False
    finally:
        await consumer.stop()


async def committed(broker: Broker, group_id: str) -> dict[TopicPartition, int]:
    """The offsets the consumer group has committed, per partition."""
    admin = AIOKafkaAdminClient(**broker.client_options())
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group_id)
    finally:
        await admin.close()
    return {tp: meta.offset for tp, meta in offsets.items()}
