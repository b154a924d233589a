"""Where the tests' Kafka broker and PostgreSQL server come from."""

import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Infrastructure:
    kafka_bootstrap_servers: str
    database_url: str
    origin: str
    _stop: list[Callable[[], None]] = field(default_factory=list)

    def stop(self) -> None:
        for stop in reversed(self._stop):
            stop()


def _docker_engine_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _from_testcontainers() -> Infrastructure:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.postgres import PostgresContainer

    kafka = KafkaContainer("confluentinc/cp-kafka:7.6.0").with_kraft()
    postgres = PostgresContainer("postgres:16", driver=None)
    kafka.start()
    postgres.start()
    infra = Infrastructure(
        kafka_bootstrap_servers=kafka.get_bootstrap_server(),
        database_url=postgres.get_connection_url(),
        origin="testcontainers",
    )
    infra._stop += [kafka.stop, postgres.stop]
    return infra


def _from_local_stack() -> Infrastructure:
    """The project's own scripts; they do nothing when the stack is already up."""
    subprocess.run(["bash", str(ROOT / "infra" / "postgres.sh"), "start"], check=True)
    subprocess.run(["bash", str(ROOT / "infra" / "kafka.sh"), "start"], check=True)
    url = subprocess.run(
        ["bash", str(ROOT / "infra" / "postgres.sh"), "url", "postgres"], check=True, capture_output=True, text=True
    ).stdout.strip()
    return Infrastructure(kafka_bootstrap_servers="127.0.0.1:9092", database_url=url, origin="local stack")


def start_infrastructure() -> Infrastructure:
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    database = os.environ.get("DATABASE_URL")
    if kafka and database:
        return Infrastructure(kafka_bootstrap_servers=kafka, database_url=database, origin="environment")
    if _docker_engine_answers():
        return _from_testcontainers()
    return _from_local_stack()
