"""The three-node cluster of `KAFKA_NODES=3 infra/kafka.sh`: a topic of three replicas (min.insync.replicas 2) keeps
taking the relays' acks=all, idempotent writes while the leader of one of its partitions is killed with SIGKILL, and
every write is on the topic exactly once, in order per key.

It starts three JVMs of its own (about 25-35 s on the shared 2-core machine, the whole test about a minute): ports
from KAFKA_CLUSTER_PORT (node i's client listener on +i-1, its controller on +10+i-1), else 13 free ones. Its state,
.run/kafka-cluster-<port>/, is kept between runs (each run its own topic) and the cluster is stopped at the end.
"""

import asyncio
import os
import subprocess
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from shared import stack_keys
from shared.broker import Broker
from shared.relay import make_producer
from shared.settings import ServiceSettings
from shared.topics import ensure_topics, read_to_end
from tests.support.ports import free_ports
from tests.support.stack import ROOT

RECORDS = 900
KILL_AT = 300
KEYS = 30


@dataclass
class Cluster:
    env: dict[str, str]
    admin: Broker

    def script(self, *args: str) -> None:
        subprocess.run(["bash", str(ROOT / "infra" / "kafka.sh"), *args], env=self.env, check=True, timeout=240)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    port = int(os.environ.get("KAFKA_CLUSTER_PORT") or free_ports(13))
    env = {**os.environ, "KAFKA_NODES": "3", "KAFKA_PORT": str(port)}
    env.pop("KAFKA_CONTROLLER_PORT", None)
    keys = stack_keys.ensure()
    admin = Broker(
        stack_keys.local_kafka_bootstrap(env),
        stack_keys.KAFKA_ADMIN,
        stack_keys.kafka_password(keys, stack_keys.KAFKA_ADMIN),
    )
    cluster = Cluster(env, admin)
    started = time.monotonic()
    cluster.script("start")
    print(f"three-node cluster on {admin.bootstrap_servers} ready in {time.monotonic() - started:.1f}s")
    try:
        yield cluster
    finally:
        cluster.script("stop")


async def leaders(broker: Broker, topic: str) -> dict[int, int]:
    admin = AIOKafkaAdminClient(**broker.client_options())
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    assert all(len(p["replicas"]) == 3 for p in described["partitions"]), described
    return {p["partition"]: p["leader"] for p in described["partitions"]}


async def test_acks_all_writes_go_on_exactly_once_while_a_leader_is_killed(cluster: Cluster) -> None:
    topic = f"cluster-test-{uuid.uuid4().hex[:8]}"
    settings = ServiceSettings(
        kafka_bootstrap_servers=cluster.admin.bootstrap_servers,
        kafka_username=cluster.admin.username,
        kafka_password=cluster.admin.password,
    )
    # The topic follows the cluster: three replicas, two of them in sync for a write.
    assert await ensure_topics(settings, [topic]) == [topic]
    victim = (await leaders(cluster.admin, topic))[0]

    producer = make_producer(cluster.admin)
    await producer.start()
    deliveries = []
    longest_wait = 0.0
    try:
        for i in range(RECORDS):
            if i == KILL_AT:
                await asyncio.to_thread(cluster.script, "kill", str(victim))
            deliveries.append(await producer.send(topic, key=f"k{i % KEYS}".encode(), value=str(i).encode()))
            if len(deliveries) % 50 == 0:
                began = time.monotonic()
                await asyncio.gather(*deliveries[-50:])
                longest_wait = max(longest_wait, time.monotonic() - began)
        await asyncio.gather(*deliveries)
    finally:
        await producer.stop()
    print(f"longest wait for 50 acknowledgements after killing node {victim}: {longest_wait:.1f}s")

    moved = await leaders(cluster.admin, topic)
    assert victim not in moved.values(), moved
    records = await read_to_end(cluster.admin, [topic])
    values = [int(r.value) for r in records]
    assert sorted(values) == list(range(RECORDS)), "each write exactly once"
    by_key: dict[bytes, list[int]] = defaultdict(list)
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        by_key[record.key].append(int(record.value))
    assert all(sent == sorted(sent) for sent in by_key.values()), "in order per key"
