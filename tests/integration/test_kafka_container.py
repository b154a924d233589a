"""The broker of docker-compose.yml (and of the tests' testcontainers path), run here without Docker.

infra/kafka/container.sh is the apache/kafka image's entrypoint there. It calls the image's bin/kafka-storage.sh and
bin/kafka-server-start.sh; here KAFKA_HOME points at two scripts that run the same classes from the jars the local
broker runs (infra/kafka.sh install), so what the entrypoint writes and formats is what a real broker starts with.
"""

import asyncio
import os
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError

from shared.broker import Broker
from shared.kafka_access import ACCESS, provision
from tests.support.kafka import may_write
from tests.support.service import free_port
from tests.support.stack import ROOT

LIBS = ROOT / ".cache" / "kafka" / "libs"
IMAGE_SCRIPTS = {
    "kafka-storage.sh": "kafka.tools.StorageTool",
    "kafka-server-start.sh": "kafka.Kafka",
}


@dataclass
class ContainerBroker:
    admin: Broker
    output: Path


@pytest.fixture
def container_broker(tmp_path: Path) -> Iterator[ContainerBroker]:
    subprocess.run(["bash", str(ROOT / "infra" / "kafka.sh"), "install"], check=True)
    home = tmp_path / "kafka-home"
    (home / "bin").mkdir(parents=True)
    logging = ROOT / "infra" / "kafka" / "log4j2.properties"
    for script, main_class in IMAGE_SCRIPTS.items():
        path = home / "bin" / script
        path.write_text(
            f'#!/usr/bin/env bash\nexec java -Xmx384m -Dlog4j2.configurationFile="{logging}" -cp "{LIBS}/*" '
            f'{main_class} "$@"\n',
            encoding="utf-8",
        )
        path.chmod(0o755)
    port, admin_password = free_port(), secrets.token_urlsafe(24)
    env = {
        **os.environ,
        "KAFKA_HOME": str(home),
        "KAFKA_ADMIN_PASSWORD": admin_password,
        "KAFKA_CONTROLLER_PASSWORD": secrets.token_urlsafe(24),
        "CLUSTER_ID": "4L6g3nShT-eMCtK--X86sw",
        "KAFKA_ADVERTISED_HOST": "127.0.0.1",
        "KAFKA_CLIENT_PORT": str(port),
        "KAFKA_CONTROLLER_PORT": str(free_port()),
        "KAFKA_DATA": str(tmp_path / "data"),
        "KAFKA_CONFIG_DIR": str(tmp_path / "config"),
    }
    output = tmp_path / "broker.log"
    with output.open("wb") as log:
        process = subprocess.Popen(
            ["bash", str(ROOT / "infra" / "kafka" / "container.sh")], env=env, stdout=log, stderr=log
        )
    try:
        yield ContainerBroker(Broker(f"127.0.0.1:{port}", "admin", admin_password), output)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def started(broker: ContainerBroker, within: float = 90.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while b"Kafka Server started" not in broker.output.read_bytes():
        assert asyncio.get_running_loop().time() < deadline, broker.output.read_text(errors="replace")[-2000:]
        await asyncio.sleep(0.3)


async def test_the_compose_broker_requires_sign_in_and_enforces_the_services_acls(
    container_broker: ContainerBroker,
) -> None:
    await started(container_broker)
    admin = container_broker.admin
    client = AIOKafkaAdminClient(**admin.client_options())
    await client.start()
    try:
        await client.create_topics([NewTopic(t, 1, 1) for t in ("intake.events", "cases.events")])
    finally:
        await client.close()
    stranger = AIOKafkaAdminClient(**admin.as_user("admin", "not-the-password").client_options())
    with pytest.raises(KafkaError):
        await asyncio.wait_for(stranger.start(), 15)
    await stranger.close()
    password = secrets.token_urlsafe(24)
    await asyncio.to_thread(provision, admin, {"cases": (password, ACCESS["cases"])})
    cases = admin.as_user("cases", password)
    deadline = asyncio.get_running_loop().time() + 15
    while not await may_write(cases, "cases.events"):
        assert asyncio.get_running_loop().time() < deadline, "the ACL never took effect"
        await asyncio.sleep(0.3)
    assert not await may_write(cases, "intake.events")
    config = (container_broker.output.parent / "config" / "server.properties").read_text(encoding="utf-8")
    assert admin.password not in container_broker.output.read_text(errors="replace"), "no password in the log"
    assert "allow.everyone.if.no.acl.found=false" in config
