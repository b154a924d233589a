"""The drill's own stack: Kafka and PostgreSQL on ports of its own (through infra/*.sh), and each of the five
services' instances (one each unless --scale says more; drill/instances.py) as processes it can kill and start again.

The infra scripts give a non-default port its own broker data and its own database cluster, so
the drill never touches the shared broker on 9092 or the server on 55432. Whatever the drill
started, it stops at the end; what was already running on those ports is left running.
"""

import asyncio
import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
from aiokafka.admin import AIOKafkaAdminClient

from drill.instances import Instance
from shared import stack_keys
from shared.broker import Broker
from shared.kafka_access import ACCESS, provision
from shared.settings import ServiceSettings, dsn_for
from shared.topics import ensure_topics

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("intake", "cases", "enforcement", "accountability", "projections")
SHARED_PORTS = {"kafka": 9092, "postgres": 55432}


class StackError(RuntimeError):
    pass


@dataclass
class StackConfig:
    run: str  # topic prefix and database name prefix of this drill
    kafka_port: int = 19092
    kafka_controller_port: int = 19093
    # 3: a cluster (infra/kafka.sh's KAFKA_NODES), node i on kafka_port + i - 1, its controller on kafka_port + 9 + i
    kafka_nodes: int = 1
    pg_port: int = 55433
    # each service's instances' ports (drill/instances.py): one each by default, on 18001-18005
    ports: dict[str, tuple[int, ...]] = field(default_factory=lambda: {s: (18001 + i,) for i, s in enumerate(SERVICES)})
    log_dir: Path = ROOT / ".run" / "drill"
    # The services' /metrics answer only this bearer token outside development (shared/web.py): one per drill.
    metrics_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    # The install's broker passwords (.run/secrets.env; infra/kafka.sh formats the drill's broker with them):
    # the drill signs in as admin, each service as its own user with its ACLs (shared/kafka_access.py).
    kafka_keys: dict[str, str] = field(default_factory=stack_keys.ensure, repr=False)

    @property
    def bootstrap(self) -> str:
        return stack_keys.local_kafka_bootstrap(
            {"KAFKA_PORT": str(self.kafka_port), "KAFKA_NODES": str(self.kafka_nodes)}
        )

    @property
    def broker(self) -> Broker:
        """The drill's broker, signed in as its admin."""
        admin = stack_keys.KAFKA_ADMIN
        return Broker(self.bootstrap, admin, stack_keys.kafka_password(self.kafka_keys, admin))

    @property
    def database_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.pg_port}/postgres"

    @property
    def topic_prefix(self) -> str:
        return f"{self.run}."

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"

    def database(self, service: str) -> str:
        return f"{self.run}_{service}"

    def instances(self, service: str | None = None) -> list[Instance]:
        """A service's instances, or every service's."""
        return [
            Instance(s, i, port)
            for s in (SERVICES if service is None else (service,))
            for i, port in enumerate(self.ports[s], start=1)
        ]

    def url(self, service: str) -> str:
        """The service's first instance (every instance of a service reads and writes the same database)."""
        return self.instances(service)[0].url

    def urls(self, service: str | None = None) -> list[str]:
        return [i.url for i in self.instances(service)]

    @property
    def scaled(self) -> bool:
        return any(len(p) > 1 for p in self.ports.values())


class Stack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.processes: dict[str, subprocess.Popen[bytes]] = {}  # by instance name (intake-1)
        # the consumer groups the drill's rebuilds made: done with, they fall behind and are neither checked nor counted
        self.done_groups: set[str] = set()
        self._started_kafka = False
        self._started_postgres = False
        # when the last broker fault's brokers were started again, and when they were all up (the stall figures)
        self.brokers_started_at: float | None = None
        self.brokers_up_at: float | None = None

    # ------------------------------------------------------------ infra
    def _infra_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS")}
        env.update(
            KAFKA_PORT=str(self.config.kafka_port),
            KAFKA_CONTROLLER_PORT=str(self.config.kafka_controller_port),
            KAFKA_NODES=str(self.config.kafka_nodes),
            PGPORT=str(self.config.pg_port),
        )
        return env

    def _script(self, name: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            ["bash", str(ROOT / "infra" / f"{name}.sh"), *args],
            env=self._infra_env(),
            capture_output=True,
            text=True,
            timeout=180,
        )
        if check and done.returncode != 0:
            raise StackError(f"infra/{name}.sh {' '.join(args)} failed: {(done.stderr or done.stdout)[-800:]}")
        return done

    def _running(self, name: str) -> bool:
        return self._script(name, "status", check=False).returncode == 0

    def start_kafka(self, *nodes: int) -> None:
        """Every broker, or those numbered (1..kafka_nodes)."""
        self.brokers_started_at = time.monotonic()
        self._script("kafka", "start", *map(str, nodes))
        self.brokers_up_at = time.monotonic()

    def stop_kafka(self, *nodes: int) -> None:
        self._script("kafka", "stop", *map(str, nodes))

    def kill_broker(self, node: int) -> None:
        """SIGKILL one node of the cluster: no controlled shutdown, its leaderships move when the quorum fences it."""
        self._script("kafka", "kill", str(node))

    def restart_postgres(self) -> None:
        self._script("postgres", "restart")

    # --------------------------------------------------------- services
    def _service_env(self, instance: Instance) -> dict[str, str]:
        service = instance.service
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "KAFKA_", "TOPIC_"))}
        env.update(
            PORT=str(instance.port),
            KAFKA_BOOTSTRAP_SERVERS=self.config.bootstrap,
            KAFKA_USERNAME=service,
            KAFKA_PASSWORD=stack_keys.kafka_password(self.config.kafka_keys, service),
            DATABASE_URL=self.config.database_url,
            DATABASE_NAME=self.config.database(service),
            TOPIC_PREFIX=self.config.topic_prefix,
            RELAY_POLL_SECONDS="0.2",
            DEADLINE_POLL_SECONDS="0.5",
            LOG_JSON="true",
            METRICS_TOKEN=self.config.metrics_token,
            # Outside development every service signs its audit log (shared/audit/log.py): the install's key for it.
            AUDIT_SIGNING_KEY=self.config.kafka_keys.get(f"AUDIT_SIGNING_KEY_{service.upper()}", ""),
        )
        return env

    def start_instance(self, instance: Instance) -> None:
        """A full instance of its service (API, relay, consumers, jobs): the same database and consumer groups as
        the service's other instances, a port of its own."""
        self.config.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.config.log_dir / f"{self.config.run}-{instance.name}.log", "ab")  # noqa: SIM115
        self.processes[instance.name] = subprocess.Popen(
            [sys.executable, "-m", f"services.{instance.service}"],
            cwd=ROOT,
            env=self._service_env(instance),
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        log.close()

    def kill_instance(self, instance: Instance) -> None:
        """SIGKILL: no drain, no commit, no goodbye to the consumer group, the outbox slots left to the others."""
        process = self.processes[instance.name]
        process.send_signal(signal.SIGKILL)
        process.wait()

    async def ready(self, instance: Instance, client: httpx.AsyncClient) -> bool:
        with contextlib.suppress(httpx.HTTPError):
            return (await client.get(f"{instance.url}/readyz", timeout=3)).status_code == 200
        return False

    async def wait_ready(self, timeout: float = 120.0) -> dict[str, float]:
        """Seconds until each instance answered /readyz with 200 (by name); raises StackError on timeout or exit."""
        started = time.monotonic()
        pending = {i.name: i for i in self.config.instances()}
        ready_after: dict[str, float] = {}
        async with httpx.AsyncClient() as client:
            while pending:
                for name in pending:
                    if self.processes[name].poll() is not None:
                        raise StackError(
                            f"{name} exited with {self.processes[name].returncode}; see {self.config.log_dir}"
                        )
                # all at once, so that one slow answer does not add to the others' figures
                answers = await asyncio.gather(*(self.ready(i, client) for i in pending.values()))
                for name, ready in zip(list(pending), answers, strict=True):
                    if ready:
                        ready_after[name] = round(time.monotonic() - started, 1)
                        del pending[name]
                if time.monotonic() - started > timeout:
                    raise StackError(f"not ready after {timeout:.0f}s: {', '.join(sorted(pending))}")
                if pending:
                    await asyncio.sleep(0.2)
        return ready_after

    # ------------------------------------------------------------ whole
    async def start(self) -> None:
        kafka_ports = range(self.config.kafka_port, self.config.kafka_port + self.config.kafka_nodes)
        for name, ports in (("kafka", kafka_ports), ("postgres", [self.config.pg_port])):
            if SHARED_PORTS[name] in ports:
                raise StackError(
                    f"{name} port {SHARED_PORTS[name]} is the shared stack's: the drill stops and restarts its {name}; "
                    "give it a port of its own"
                )
        self._started_postgres = not self._running("postgres")
        self._script("postgres", "start")
        self._started_kafka = not self._running("kafka")
        self.start_kafka()
        admin = self.config.broker
        await ensure_topics(
            ServiceSettings(
                kafka_bootstrap_servers=admin.bootstrap_servers,
                kafka_username=admin.username,
                kafka_password=admin.password,
                topic_prefix=self.config.topic_prefix,
            )
        )
        # The services sign in as themselves: what they may do on the broker is what they may do in production.
        users = {user: (stack_keys.kafka_password(self.config.kafka_keys, user), ACCESS[user]) for user in ACCESS}
        await asyncio.to_thread(provision, admin, users, topic_prefix=self.config.topic_prefix)
        for instance in self.config.instances():
            self.start_instance(instance)
        await self.wait_ready()

    async def stop(self, *, keep_data: bool = False, keep_infra: bool = False) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if not keep_data:
            with contextlib.suppress(Exception):
                await self._drop_data()
        if not keep_infra:
            if self._started_kafka:
                self._script("kafka", "stop", check=False)
            if self._started_postgres:
                self._script("postgres", "stop", check=False)

    async def _drop_data(self) -> None:
        conn = await asyncpg.connect(dsn_for(self.config.database_url, "postgres"))
        try:
            for row in await conn.fetch(
                "select datname from pg_database where datname like $1", f"{self.config.run}\\_%"
            ):
                await conn.execute(f'drop database if exists "{row["datname"]}" with (force)')
        finally:
            await conn.close()
        admin = AIOKafkaAdminClient(**self.config.broker.client_options())
        await admin.start()
        try:
            names = [t for t in await admin.list_topics() if t.startswith(self.config.topic_prefix)]
            if names:
                await admin.delete_topics(names)
        finally:
            await admin.close()
