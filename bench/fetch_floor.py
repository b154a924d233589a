"""The ceiling of any replay that fetches in Python (issue 14 item 5): aiokafka's `getmany` over the four history
topics with nothing done per record, beside Kafka's ConsumerPerformance on the same topics, in the same minute.

    .venv/bin/python -m bench.fetch_floor [--topic-prefix P] [--kafka-bootstrap-servers …] [--max-records 1000]
"""

import argparse
import asyncio
import json
import os
import time
from typing import Any

from aiokafka import AIOKafkaConsumer

from bench.history import settings_for
from bench.replay import consumer_performance_of, topic_sizes
from services.projections.read_tables.facts import topics
from shared.broker import Broker
from shared.settings import LOCAL_DATABASE_URL
from shared.stack_keys import use_stack_keys


async def fetch_floor(broker: Broker, names: list[str], records: int, max_records: int) -> dict[str, Any]:
    """Fetches every record of the topics from offset 0 (no group), counting them and nothing else."""
    consumer = AIOKafkaConsumer(
        *names, **broker.client_options(), enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        started = time.monotonic()
        cpu = time.process_time()
        fetched = 0
        first_at: float | None = None
        while fetched < records:
            batches = await consumer.getmany(timeout_ms=1000, max_records=max_records)
            for batch in batches.values():
                fetched += len(batch)
            if first_at is None and fetched:
                first_at = time.monotonic()
        seconds = time.monotonic() - started
        since_first = time.monotonic() - (first_at or started)
        return {
            "records": fetched,
            "seconds": round(seconds, 3),
            "records_per_second": round(fetched / seconds, 1),
            "records_per_second_after_first": round(fetched / since_first, 1) if since_first else 0.0,
            "cpu_seconds": round(time.process_time() - cpu, 3),
        }
    finally:
        await consumer.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="aiokafka getmany over the history topics, beside ConsumerPerformance")
    parser.add_argument(
        "--kafka-bootstrap-servers", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    )
    parser.add_argument("--topic-prefix", default=os.environ.get("TOPIC_PREFIX", ""))
    parser.add_argument("--max-records", type=int, default=1000)
    parser.add_argument("--skip-consumer-performance", action="store_true")
    args = parser.parse_args(argv)
    use_stack_keys()
    settings = settings_for(LOCAL_DATABASE_URL, args.kafka_bootstrap_servers, args.topic_prefix)
    names = topics(settings)
    sizes = asyncio.run(topic_sizes(settings.broker, names))
    result: dict[str, Any] = {"sizes": sizes, "load_before": os.getloadavg()[0]}
    result["getmany"] = asyncio.run(fetch_floor(settings.broker, names, sum(sizes.values()), args.max_records))
    if not args.skip_consumer_performance:
        rate, lines = consumer_performance_of(settings.broker, sizes)
        result["consumer_performance_msgs_per_second"] = round(rate, 1)
        result["consumer_performance"] = lines
    result["load_after"] = os.getloadavg()[0]
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
