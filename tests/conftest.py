"""Fixtures for the real broker and database.

Where they come from, in order: `KAFKA_BOOTSTRAP_SERVERS` / `DATABASE_URL` when set;
else testcontainers when a Docker engine answers; else the project's local stack
(`infra/kafka.sh start`, `infra/postgres.sh start`), started here if it is not up.

Every test gets its own topic prefix and databases, so tests never see each other's
events and can run against a stack that is also serving `make up`.

The services run as in production (ENVIRONMENT is not development), with keys made for
this session (tests/support/keys.py): never the repository's development keys. They trust the tokens of
the tests' issuer (tests/support/issuer.py), an RSA key and a JWKS server of this session.
"""

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from shared.audit.checkpoints import new_key
from shared.broker import Broker
from shared.settings import ServiceSettings, dsn_for
from shared.signin import SignInSettings
from shared.topics import all_topics, ensure_topics
from tests.support import chart_tools as chart_tools_module
from tests.support.issuer import session_issuer
from tests.support.keycloak import Keycloak, start_keycloak
from tests.support.keycloak import launch_early as launch_keycloak_early
from tests.support.keys import session_keys
from tests.support.stack import Infrastructure, exclusive, start_infrastructure
from tests.support.stack import launch_early as launch_infrastructure_early

S = TypeVar("S", bound=ServiceSettings)


def pytest_configure(config: pytest.Config) -> None:
    # What a service process or a command finds in its environment: this session's keys, whatever the shell had;
    # a broker password given in the environment (KAFKA_BOOTSTRAP_SERVERS with its admin's sign-in) is kept.
    keys = session_keys()
    os.environ.setdefault("KAFKA_PASSWORD", keys["KAFKA_PASSWORD"])
    os.environ.update({name: value for name, value in keys.items() if name != "KAFKA_PASSWORD"})
    # The services trust the tests' issuer (tests/support/issuer.py), whose JWKS server starts here.
    os.environ["OIDC_ISSUER"] = session_issuer().issuer
    os.environ.pop("OIDC_JWKS_URL", None)


@pytest.fixture(scope="session")
def infrastructure() -> Iterator[Infrastructure]:
    infra = start_infrastructure()
    # A process a test starts signs in to the broker as the tests' services do.
    os.environ.update(
        KAFKA_BOOTSTRAP_SERVERS=infra.broker.bootstrap_servers,
        KAFKA_SECURITY_PROTOCOL=infra.broker.security_protocol,
        KAFKA_USERNAME=infra.broker.username,
        KAFKA_PASSWORD=infra.broker.password,
    )
    try:
        yield infra
    finally:
        infra.stop()


@pytest.fixture(scope="session")
def keycloak() -> Keycloak:
    """The tests' Keycloak (tests/support/keycloak.py), started once per session through infra/keycloak.sh."""
    return start_keycloak()


@pytest.fixture(scope="session")
def chart_tools() -> None:
    """helm, kubeconform and the schemas (tests/support/chart_tools.py), built in the background since collection."""
    chart_tools_module.ensure_built()


@pytest.fixture(scope="session")
def dev_sign_in(keycloak: Keycloak) -> SignInSettings:
    """What `make up` does for development sign-in, against the tests' Keycloak: the dev client and the development
    users (shared/identity.py). Where the tools sign in. Their passwords are kept beside the server's state, as
    `make up` keeps its own: a second session (a test run while another runs) finds them and changes none."""
    passwords = keycloak.dev_users_file
    # One worker at a time (make test runs two): two that found no passwords file would each set their own.
    command = ["-m", "shared.identity", "dev-users", "--url", keycloak.url, "--passwords", str(passwords)]
    with exclusive(passwords.with_suffix(".lock")):
        subprocess.run(
            [sys.executable, *command],
            env=os.environ | {"ENVIRONMENT": "development", "KEYCLOAK_ADMIN_PASSWORD": keycloak.admin_password},
            cwd=Path(__file__).resolve().parents[1],
            check=True,
            capture_output=True,
        )
    return SignInSettings(oidc_issuer=keycloak.issuer, dev_users_file=passwords)


def new_prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def prefix() -> str:
    return new_prefix()


SettingsFactory = Callable[..., Any]


def settings_factory(infrastructure: Infrastructure, prefix: str) -> SettingsFactory:
    """Builds a service's settings on the topics `<prefix>.x.events` and databases `<prefix>_<service>`, with this
    session's keys."""

    # mypy cannot give a parameter typed by a TypeVar a default of one type: the call sites are checked instead.
    def build(cls: type[S] = ServiceSettings, **overrides: Any) -> S:  # type: ignore[assignment]
        service_name = cls.model_fields["service_name"].default
        keys = session_keys()
        values: dict[str, Any] = {
            "kafka_bootstrap_servers": infrastructure.broker.bootstrap_servers,
            "kafka_security_protocol": infrastructure.broker.security_protocol,
            "kafka_username": infrastructure.broker.username,
            "kafka_password": infrastructure.broker.password,
            "database_url": infrastructure.database_url,
            "topic_prefix": f"{prefix}.",
            "database_name": f"{prefix}_{service_name}",
            "oidc_issuer": session_issuer().issuer,
            "relay_poll_seconds": 0.2,
            # Every test makes its own topics: 3 partitions each where the stack's default is 12 (shared/settings.py)
            # spare ~1.5 s of topic creation and assignment per test; a test of partitioning asks for 12 itself.
            "topic_partitions": 3,
            # Tests send many anonymous reports from one address; the limit itself has its own test.
            "public_rate_limit": "100000/minute",
            "log_json": False,
        }
        if "contact_keys" in cls.model_fields:
            values["contact_keys"] = keys["CONTACT_KEYS"]
        if "closure_policy" in cls.model_fields:
            # 验收 closes, as before the closure procedure; its own tests ask for the shipped policy (None)
            values["closure_policy"] = CLOSURE_AT_VERIFICATION
        # Outside development every service that keeps an audit log signs it (shared/audit/log.py).
        values["audit_signing_key"] = keys.get(f"AUDIT_SIGNING_KEY_{service_name.upper()}") or new_key()
        values.update(overrides)
        return cls(**values)

    return build


async def drop_everything(infrastructure: Infrastructure, prefix: str) -> None:
    """The databases and topics of `prefix`, so runs do not pile up."""
    await asyncio.wait_for(drop_databases(infrastructure.database_url, prefix), 30)
    await asyncio.wait_for(delete_topics(infrastructure.broker, f"{prefix}."), 30)


@pytest.fixture
async def make_settings(infrastructure: Infrastructure, prefix: str) -> AsyncIterator[SettingsFactory]:
    """Settings of a service for this test: its own topics (`<prefix>.x.events`) and database, this session's keys.

    Afterwards the test's databases and topics are dropped, so runs do not pile up.
    """
    yield settings_factory(infrastructure, prefix)
    await drop_everything(infrastructure, prefix)


@pytest.fixture(scope="module")
async def module_settings(infrastructure: Infrastructure) -> AsyncIterator[SettingsFactory]:
    """make_settings for a service the tests of one module share, with every topic made: for tests that each work on
    aggregates of their own and read no topic, so that one service starts and stops for the module instead of one
    per test (its consumers' stop alone took about a second a test). Dropped after the module."""
    prefix = new_prefix()
    build = settings_factory(infrastructure, prefix)
    await ensure_topics(build())
    yield build
    await drop_everything(infrastructure, prefix)


CLOSURE_AT_VERIFICATION = Path(__file__).parent / "support" / "closure_at_verification.toml"


@pytest.fixture
async def topics(make_settings: SettingsFactory) -> list[str]:
    """Creates this test's topics (every event topic and its DLQ)."""
    settings = make_settings()
    await ensure_topics(settings)
    return all_topics(settings)


async def drop_databases(server_url: str, prefix: str) -> None:
    conn = await asyncpg.connect(dsn_for(server_url, "postgres"))
    try:
        names = await conn.fetch("select datname from pg_database where datname like $1", f"{prefix}_%")
        for row in names:
            await conn.execute(f'drop database if exists "{row["datname"]}" with (force)')
    finally:
        await conn.close()


async def delete_topics(broker: Broker, prefix: str) -> None:
    admin = AIOKafkaAdminClient(**broker.client_options())
    await admin.start()
    try:
        names = [name for name in await admin.list_topics() if name.startswith(prefix)]
        if names:
            await admin.delete_topics(names)
    finally:
        await admin.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # What boots slowly boots while other tests run: the local Kafka and PostgreSQL (on a fresh clone Kafka's jars are
    # resolved first) and Keycloak (its download, build and first start: minutes). The tests that need none of them
    # run first, then those that need the broker and database, then those that need Keycloak (each group in its order).
    # The chart's tools (helm built from source, minutes on a fresh machine) build meanwhile too, and their tests run
    # last.
    def needs(item: pytest.Item) -> int:
        fixtures = getattr(item, "fixturenames", ())
        if "chart_tools" in fixtures:
            return 3
        return 2 if "keycloak" in fixtures else 1 if "infrastructure" in fixtures else 0

    waits = {id(item): needs(item) for item in items}
    if any(wait in (1, 2) for wait in waits.values()):
        launch_infrastructure_early()
    if 2 in waits.values():
        launch_keycloak_early()
    if 3 in waits.values():
        chart_tools_module.launch_early()

    # Within its group a test marked `minutes` (the short drill) starts first: with a file's tests on one worker, a
    # file of minutes started last leaves the other worker idle at the end meanwhile. One marked `saturates` (the smoke
    # bench's load) comes last, so that it does not start beside the drill on the other worker, as it did when next in
    # line (the run in which the drill's brokers once did not answer it within 15 s).
    def place(item: pytest.Item) -> int:
        return 0 if item.get_closest_marker("minutes") else 2 if item.get_closest_marker("saturates") else 1

    items.sort(key=lambda item: (waits[id(item)], place(item)))
    # Integration and e2e tests are marked by folder, so a test cannot forget its marker.
    for item in items:
        path = str(item.path)
        if f"{os.sep}integration{os.sep}" in path:
            item.add_marker(pytest.mark.integration)
        if f"{os.sep}e2e{os.sep}" in path:
            item.add_marker(pytest.mark.e2e)
