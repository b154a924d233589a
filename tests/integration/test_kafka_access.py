"""The broker's sign-in and ACLs on the real broker (issue 12, finding 9): no client gets in without its password,
each service's user writes only its own topic and reads only what it consumes, a service runs under its own user,
and a consumer refuses an event whose type the topic's owner does not publish, whoever could write it."""

import asyncio
import secrets
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    KafkaError,
)

from services.cases.main import create_app
from services.cases.settings import CasesSettings
from shared.broker import Broker
from shared.consumer import ConsumerRunner, dlq_topic
from shared.contracts.cases import Closed
from shared.db import create_pool, migrate
from shared.envelope import Envelope, to_record
from shared.kafka_access import ACCESS, provision, remove
from shared.settings import ServiceSettings
from shared.topics import EVENT_TOPICS
from tests.conftest import SettingsFactory
from tests.integration.cases.support import envelope_of, issue_reported, wait_for_case
from tests.integration.test_platform import Counter, record_of, run_consumer_until
from tests.support.events import reported
from tests.support.kafka import may_read, may_write, read_topic, wait_for_events
from tests.support.service import running
from tests.support.stack import Infrastructure


@pytest.fixture
async def users(infrastructure: Infrastructure, prefix: str, topics: list[str]) -> AsyncIterator[dict[str, Broker]]:
    """Every user of shared/kafka_access.py, made for this test as `<prefix>-<user>` with its grants on this
    test's topics and groups; removed afterwards."""
    names = {user: f"{prefix}-{user}" for user in ACCESS}
    passwords = {user: secrets.token_urlsafe(24) for user in ACCESS}
    await asyncio.to_thread(
        provision,
        infrastructure.broker,
        {names[user]: (passwords[user], access) for user, access in ACCESS.items()},
        topic_prefix=f"{prefix}.",
        group_prefixes={names[user]: f"{prefix}.{user}." for user in ACCESS},
    )
    # ACLs reach the broker's authorizer through the metadata log: wait until one user's grant is in force (on a
    # dead-letter topic, where a probe record disturbs no test).
    cases = infrastructure.broker.as_user(names["cases"], passwords["cases"])
    await _until_allowed(cases, dlq_topic(f"{prefix}.intake.events"))
    yield {user: infrastructure.broker.as_user(names[user], passwords[user]) for user in ACCESS}
    await asyncio.to_thread(remove, infrastructure.broker, list(names.values()))


async def _may_write_once_signed_in(broker: Broker, topic: str) -> bool:
    """A new user's SCRAM credential, like its grants, reaches the broker through the metadata log: until it does,
    the user's sign-in fails (seen on a loaded machine), which here means "not yet", not "never"."""
    try:
        return await may_write(broker, topic)
    except KafkaConnectionError:
        return False


async def _until_allowed(broker: Broker, topic: str, within: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await _may_write_once_signed_in(broker, topic):
        assert asyncio.get_running_loop().time() < deadline, f"{broker.username} never got {topic}"
        await asyncio.sleep(0.3)


async def test_no_client_gets_in_without_a_valid_password(infrastructure: Infrastructure, topics: list[str]) -> None:
    admin = infrastructure.broker
    for stranger in (admin.as_user(admin.username, "not-the-password"), admin.as_user("nobody", "whatever")):
        client = AIOKafkaAdminClient(**stranger.client_options(), request_timeout_ms=3000)
        with pytest.raises(KafkaError):
            await asyncio.wait_for(client.start(), 15)
        await client.close()
    # Nor without signing in at all: the listener speaks SASL only.
    anonymous = AIOKafkaAdminClient(bootstrap_servers=admin.bootstrap_servers, request_timeout_ms=3000)
    with pytest.raises((KafkaConnectionError, asyncio.TimeoutError)):
        await asyncio.wait_for(anonymous.start(), 15)
    await anonymous.close()


async def test_each_service_writes_only_its_own_topic_and_reads_only_what_it_consumes(
    users: dict[str, Broker], prefix: str, infrastructure: Infrastructure
) -> None:
    # One record on partition 0 of every topic, so that whoever may read a topic finds something there.
    producer = AIOKafkaProducer(**infrastructure.broker.client_options())
    await producer.start()
    try:
        for topic in EVENT_TOPICS:
            await producer.send_and_wait(f"{prefix}.{topic}", b"probe", partition=0)
    finally:
        await producer.stop()
    for user, broker in users.items():
        access = ACCESS[user]
        for topic in EVENT_TOPICS:
            name = f"{prefix}.{topic}"
            assert await may_write(broker, name) == (topic in access.writes), (user, "write", topic)
            assert await may_read(broker, name) == (topic in access.reads), (user, "read", topic)
            # What it cannot read, it dead-letters to the topic's DLQ; no one writes another consumer's DLQ.
            assert await may_write(broker, dlq_topic(name)) == (topic in access.reads), (user, "dlq", topic)


async def test_a_service_cannot_join_another_services_consumer_group(users: dict[str, Broker], prefix: str) -> None:
    topic = f"{prefix}.cases.events"
    for group, allowed in ((f"{prefix}.accountability.probe", True), (f"{prefix}.enforcement.probe", False)):
        consumer = AIOKafkaConsumer(
            topic, **users["accountability"].client_options(), group_id=group, auto_offset_reset="earliest"
        )
        try:
            await consumer.start()
            await consumer.getmany(timeout_ms=1500)
            joined = True
        except GroupAuthorizationFailedError:
            joined = False
        finally:
            await consumer.stop()
        assert joined == allowed, group


async def test_cases_runs_as_its_own_user_consuming_intake_and_publishing_its_own_topic(
    users: dict[str, Broker], make_settings: SettingsFactory, infrastructure: Infrastructure
) -> None:
    own, admin = users["cases"], infrastructure.broker
    settings: CasesSettings = make_settings(CasesSettings, kafka_username=own.username, kafka_password=own.password)
    reporter: ServiceSettings = make_settings(
        service_name="intake", kafka_username=users["intake"].username, kafka_password=users["intake"].password
    )
    async with running(create_app(settings)) as client:
        key, value, headers = to_record(envelope_of(issue_reported("issue-as-own-user")), source="/county/intake")
        producer = AIOKafkaProducer(**reporter.broker.client_options(), enable_idempotence=True)
        await producer.start()
        try:
            await producer.send_and_wait(reporter.topic("intake.events"), value=value, key=key, headers=headers)
        finally:
            await producer.stop()
        case = await wait_for_case(client, "issue-as-own-user")
        assert case["status"] == "reported"
        # cases may write its topic but not read it: the test reads as the admin.
        [opened] = await wait_for_events(admin, settings.own_topic, 1)
        assert opened.type == "CaseOpened" and opened.stream_id == "issue-as-own-user"


async def test_a_consumer_refuses_an_event_type_the_topics_owner_does_not_publish(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    """A `Closed` (cases') written onto intake.events — here by the admin, who may write anywhere — goes to the
    dead letters with its reason, and the consumer goes on with the next event."""
    settings: ServiceSettings = make_settings(service_name="intake")
    forged = Envelope.wrap(
        Closed(verifier="冒充者", unit="城关镇人民政府"),
        stream_id="case-x",
        stream_version=3,
        actor="x",
        correlation_id="c",
    )
    producer = AIOKafkaProducer(**settings.broker.client_options(), enable_idempotence=True)
    await producer.start()
    try:
        for key, value, headers in (to_record(forged, source="/county/cases"), record_of(reported("after", "之后"))):
            await producer.send_and_wait(settings.topic("intake.events"), value=value, key=key, headers=headers)
    finally:
        await producer.stop()
    pool = await create_pool(settings)
    try:
        await migrate(pool)
        await pool.execute("create table applied (event_id uuid, title text)")
        handler = Counter()
        # This consumer handles only IssueReported: a forged type is refused all the same, not quietly skipped.
        runner = ConsumerRunner(
            settings,
            pool,
            name="owner-check",
            topics=[settings.topic("intake.events")],
            handler=handler,
            handles={"IssueReported"},
        )

        async def done() -> bool:
            return handler.seen == ["之后"] and runner.dead_lettered == 1

        await run_consumer_until(runner, done)
    finally:
        await pool.close()
    [letter] = await read_topic(settings.broker, dlq_topic(settings.topic("intake.events")))
    reason = dict(letter.headers)["dlq_reason"].decode()
    assert "Closed" in reason and "intake.events" in reason and "冒充者" not in reason
