"""The projections' replay rate: the rebuild command (`python -m services.projections.rebuild`)
replays the stack's whole history into a scratch database, so the live read models are not touched.
"""

import json
import os
import subprocess
import sys
from typing import Any

from aiokafka import AIOKafkaConsumer

from bench.config import ROOT
from shared.broker import Broker
from shared.topics import existing_partitions


class ReplayFailed(RuntimeError):
    pass


def rebuild_into(
    database_url: str, database_name: str, bootstrap: str, topic_prefix: str, *, timeout: float = 1800
) -> dict[str, Any]:
    """Runs the rebuild command against a scratch database; returns what it reported (events, seconds, rates)."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DATABASE_NAME": database_name,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "TOPIC_PREFIX": topic_prefix,
        "LOG_LEVEL": "WARNING",
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
