"""Which broker the client is pinned against, proven by a round trip."""

import re
from importlib.metadata import version

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shared.settings import ServiceSettings
from tests.conftest import SettingsFactory
from tests.support.stack import ROOT, Infrastructure

KAFKA_VERSION = "4.1.1"
AIOKAFKA_VERSION = "0.14.0"


def test_the_local_broker_is_apache_kafka_4_1_1_and_the_client_aiokafka_0_14_0() -> None:
    pom = (ROOT / "infra" / "kafka" / "pom.xml").read_text(encoding="utf-8")
    found = re.search(r"<kafka.version>([^<]+)</kafka.version>", pom)
    assert found is not None and found.group(1) == KAFKA_VERSION
    assert version("aiokafka") == AIOKAFKA_VERSION


async def test_aiokafka_round_trips_with_idempotence_on_the_broker(
    infrastructure: Infrastructure, make_settings: SettingsFactory, topics: list[str]
) -> None:
    if infrastructure.origin == "local stack":
        libs = ROOT / ".cache" / "kafka" / "libs"
        assert (libs / f"kafka_2.13-{KAFKA_VERSION}.jar").exists(), "the running broker is not the pinned version"
    settings: ServiceSettings = make_settings()
    topic = settings.topic("intake.events")
    producer = AIOKafkaProducer(**infrastructure.broker.client_options(), enable_idempotence=True, acks="all")
    await producer.start()
    try:
        sent = await producer.send_and_wait(topic, b"ping", key=b"k")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic, **infrastructure.broker.client_options(), auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    try:
        record = await consumer.getone()
    finally:
        await consumer.stop()
    assert (record.value, record.partition, record.offset) == (b"ping", sent.partition, sent.offset)
