"""Where the tests' Kafka broker and PostgreSQL server come from."""

import fcntl
import os
import secrets
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from shared import stack_keys
from shared.broker import Broker
from shared.settings import BrokerSettings
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Infrastructure:
    # The broker, signed in as its admin: the tests' services run as admin unless a test gives them their own users.
    broker: Broker
    database_url: str
    origin: str
    _stop: list[Callable[[], None]] = field(default_factory=list)

    def stop(self) -> None:
        for stop in reversed(self._stop):
            stop()


@contextmanager
def exclusive(lock_file: Path) -> Iterator[None]:
    """Holds an exclusive lock on `lock_file` (made if missing): one test worker at a time in the block."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _docker_engine_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _from_testcontainers() -> Infrastructure:
    """Apache Kafka with the same sign-in and authorization as the local stack (infra/kafka/container.sh)."""
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs
    from testcontainers.postgres import PostgresContainer

    # The broker advertises the port clients reach it on: the same number inside and outside the container.
    port = free_port()
    admin_password = secrets.token_urlsafe(24)
    kafka = (
        DockerContainer("apache/kafka:4.1.1")
        .with_volume_mapping(str(ROOT / "infra" / "kafka"), "/infra/kafka", "ro")
        .with_kwargs(entrypoint=["bash", "/infra/kafka/container.sh"])
        .with_envs(
            KAFKA_ADMIN_PASSWORD=admin_password,
            KAFKA_CONTROLLER_PASSWORD=secrets.token_urlsafe(24),
            CLUSTER_ID="4L6g3nShT-eMCtK--X86sw",
            KAFKA_ADVERTISED_HOST="127.0.0.1",
            KAFKA_CLIENT_PORT=str(port),
        )
        .with_bind_ports(port, port)
    )
    postgres = PostgresContainer("postgres:16", driver=None)
    kafka.start()
    wait_for_logs(kafka, "Kafka Server started", timeout=120)
    postgres.start()
    infra = Infrastructure(
        broker=Broker(f"127.0.0.1:{port}", stack_keys.KAFKA_ADMIN, admin_password),
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
    keys = stack_keys.read()
    # infra/kafka.sh listens on KAFKA_PORT (a second checkout's suite runs its own broker beside make up's), and with
    # KAFKA_NODES=3 on the two ports after it as well.
    bootstrap = stack_keys.local_kafka_bootstrap()
    broker = Broker(bootstrap, stack_keys.KAFKA_ADMIN, stack_keys.kafka_password(keys, stack_keys.KAFKA_ADMIN))
    return Infrastructure(broker=broker, database_url=url, origin="local stack")


def _from_environment() -> bool:
    return bool(os.environ.get("KAFKA_BOOTSTRAP_SERVERS") and os.environ.get("DATABASE_URL"))


def launch_early() -> None:
    """When the tests will use the local stack: PostgreSQL and Kafka are started in the background now, while the
    tests that need neither run (on a fresh clone Kafka's jars are first resolved from Maven Central: minutes). The
    `infrastructure` fixture's start then finds them up, or waits for the start under way (the scripts' lock)."""
    if _from_environment() or _docker_engine_answers():
        return
    log = ROOT / ".run" / "logs" / f"infrastructure-{os.environ.get('KAFKA_PORT', '9092')}-launch.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    infra = ROOT / "infra"
    with log.open("wb") as out:
        subprocess.Popen(
            ["bash", "-c", f'bash "{infra}/postgres.sh" start && bash "{infra}/kafka.sh" start'],
            stdout=out,
            stderr=out,
            start_new_session=True,
        )


def start_infrastructure() -> Infrastructure:
    if _from_environment():
        # The same variables as the services: KAFKA_USERNAME/KAFKA_PASSWORD of a user allowed everything (admin).
        database = os.environ["DATABASE_URL"]
        return Infrastructure(broker=BrokerSettings().broker, database_url=database, origin="environment")
    if _docker_engine_answers():
        return _from_testcontainers()
    return _from_local_stack()
