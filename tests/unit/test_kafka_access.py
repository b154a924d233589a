"""The broker's grants (shared/kafka_access.py), the services' broker settings and the topic owners' event types:
what each service may do on Kafka is exactly what it does, no more."""

from typing import Any, cast

import pytest
from confluent_kafka.admin import AclOperation, ResourcePatternType, ResourceType
from pydantic import ValidationError

from services.accountability import consumers as accountability_consumers
from services.accountability import main as accountability_main
from services.accountability.settings import AccountabilitySettings
from services.cases import consumers as cases_consumers
from services.cases import main as cases_main
from services.cases.settings import CasesSettings
from services.enforcement import consumers as enforcement_consumers
from services.enforcement import main as enforcement_main
from services.enforcement.settings import EnforcementSettings
from services.intake import consumers as intake_consumers
from services.intake import main as intake_main
from services.intake.settings import IntakeSettings
from services.projections import consumers as projections_consumers
from services.projections import main as projections_main
from services.projections.read_tables import facts
from services.projections.settings import ProjectionsSettings
from shared import stack_keys
from shared.audit import reads as audit_reads
from shared.audit.log import AuditLog
from shared.broker import Broker
from shared.contracts import EVENT_TYPES, TOPIC_EVENTS
from shared.eventstore import EventStore
from shared.kafka_access import ACCESS, bindings
from shared.relay import OutboxRelay
from shared.service import Platform
from shared.settings import ServiceSettings
from shared.topics import EVENT_TOPICS

SERVICES: dict[str, tuple[Any, Any, type[ServiceSettings]]] = {
    "intake": (intake_main, intake_consumers, IntakeSettings),
    "cases": (cases_main, cases_consumers, CasesSettings),
    "enforcement": (enforcement_main, enforcement_consumers, EnforcementSettings),
    "accountability": (accountability_main, accountability_consumers, AccountabilitySettings),
}


def test_every_user_of_the_broker_has_a_generated_password_and_grants() -> None:
    assert set(ACCESS) == set(stack_keys.KAFKA_USERS)
    for user in ACCESS:
        assert f"KAFKA_PASSWORD_{user.upper()}" in stack_keys.GENERATORS


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_may_read_exactly_the_topics_its_consumers_subscribe_and_write_its_own(service: str) -> None:
    main, consumers, settings_cls = SERVICES[service]
    settings = settings_cls()
    # The consumers are only built here, never started: they need no pool.
    platform = Platform(
        settings,
        pool=cast(Any, None),
        store=EventStore(topic=settings.own_topic),
        relay=OutboxRelay(settings),
        audit=AuditLog.from_settings(settings),
    )
    subscribed = {topic for runner in consumers.consumers(main.compose(platform)) for topic in runner.topics}
    assert subscribed == set(ACCESS[service].reads)
    assert settings.own_topic in ACCESS[service].writes
    if service == "intake":  # the contact reads and erasures it records (shared/audit/reads.py)
        assert audit_reads.topic_of(service) in ACCESS[service].writes


def test_projections_reads_the_topics_it_projects_and_the_audit_topics_and_writes_only_its_own_reads() -> None:
    assert set(facts.TOPIC_NAMES) | set(audit_reads.TOPICS) == set(ACCESS["projections"].reads)
    # Its reads, and the checkpoints of its audit log (every service with an event store signs its own).
    assert ACCESS["projections"].writes == (audit_reads.topic_of("projections"), "audit.checkpoints")
    # Its consumer of the audit topics subscribes to exactly them (the read models' consumer: TOPIC_NAMES).
    settings = ProjectionsSettings()
    deps = projections_main.compose(
        Platform(
            settings,
            pool=cast(Any, None),
            store=EventStore(topic="-"),
            relay=OutboxRelay(settings),
            audit=AuditLog.from_settings(settings),
        )
    )
    assert {topic for runner in projections_consumers.consumers(deps) for topic in runner.topics} == set(
        audit_reads.TOPICS
    )


def test_a_users_grants_name_its_topics_its_dead_letters_and_its_own_groups_only() -> None:
    grants = bindings("t1-cases", ACCESS["cases"], topic_prefix="t1.", group_prefix="t1.cases.")
    described = {(b.restype, b.name, b.resource_pattern_type, b.operation) for b in grants}
    literal, prefixed = ResourcePatternType.LITERAL, ResourcePatternType.PREFIXED
    assert described == {
        (ResourceType.TOPIC, "t1.cases.events", literal, AclOperation.WRITE),
        (ResourceType.TOPIC, "t1.audit.checkpoints", literal, AclOperation.WRITE),
        (ResourceType.TOPIC, "t1.intake.events", literal, AclOperation.READ),
        (ResourceType.TOPIC, "t1.intake.events.dlq", literal, AclOperation.WRITE),
        (ResourceType.GROUP, "t1.cases.", prefixed, AclOperation.READ),
    }
    assert {b.principal for b in grants} == {"User:t1-cases"}
    # Without a prefix: the production names, and the groups the consumers use (`<service>.<consumer>`).
    plain = {(b.name, b.operation) for b in bindings("cases", ACCESS["cases"])}
    assert ("cases.", AclOperation.READ) in plain and ("cases.events", AclOperation.WRITE) in plain


def test_no_topic_is_written_by_two_services() -> None:
    writers: dict[str, list[str]] = {}
    for user, access in ACCESS.items():
        for topic in access.writes:
            writers.setdefault(topic, []).append(user)
    # audit.checkpoints alone: each service signs its checkpoints there, and the signature vouches for them.
    shared = {topic: users for topic, users in writers.items() if len(users) > 1}
    assert shared == {"audit.checkpoints": ["intake", "cases", "enforcement", "accountability", "projections"]}
    assert set(writers) == set(EVENT_TOPICS), "every event topic has exactly one writer"


def test_every_event_type_belongs_to_exactly_one_topic_owner() -> None:
    owners = [topic for topic, types in TOPIC_EVENTS.items() for _ in types]
    assert set(TOPIC_EVENTS) == set(EVENT_TOPICS)
    # A signed checkpoint alone is on two topics: audit.checkpoints, and forwarded by intake to the province.
    placed = [
        event_type for topic, types in TOPIC_EVENTS.items() for event_type in types if topic != "audit.checkpoints"
    ]
    assert len(placed) == len(set(placed)) == len(owners) - 1
    assert TOPIC_EVENTS["audit.checkpoints"] <= TOPIC_EVENTS["province.outbound"]
    assert set(EVENT_TYPES) <= set(placed)
    assert "Closed" in TOPIC_EVENTS["cases.events"] and "Closed" not in TOPIC_EVENTS["intake.events"]
    assert "DeadlineMissed" not in TOPIC_EVENTS["accountability.events"]


def test_a_service_signs_in_as_itself_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    # The tests' own processes sign in as the broker's admin (tests/conftest.py): not what a service does.
    monkeypatch.delenv("KAFKA_USERNAME", raising=False)
    assert CasesSettings(kafka_password="pw").broker.username == "cases"
    assert CasesSettings(kafka_password="pw", kafka_username="cases-2").broker.username == "cases-2"
    options = CasesSettings(kafka_password="pw").broker.client_options()
    assert options["security_protocol"] == "SASL_PLAINTEXT" and options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "cases" and options["sasl_plain_password"] == "pw"
    assert "pw" not in repr(CasesSettings(kafka_password="pw").broker)


def test_no_service_starts_without_its_broker_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KAFKA_PASSWORD", raising=False)
    with pytest.raises(ValidationError, match="KAFKA_PASSWORD 未设置"):
        CasesSettings()
    # The broker's password has no development default either.
    with pytest.raises(ValidationError, match="KAFKA_PASSWORD"):
        CasesSettings(environment="development")


def test_an_unauthenticated_broker_connection_only_in_development(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KAFKA_PASSWORD", raising=False)
    with pytest.raises(ValidationError, match="PLAINTEXT 只能在 ENVIRONMENT=development"):
        CasesSettings(kafka_security_protocol="PLAINTEXT")
    development = CasesSettings(environment="development", kafka_security_protocol="PLAINTEXT")
    assert development.broker.client_options() == {
        "bootstrap_servers": development.kafka_bootstrap_servers,
        "security_protocol": "PLAINTEXT",
    }


def test_the_same_sign_in_for_aiokafka_librdkafka_and_kafkas_java_tools() -> None:
    broker = Broker("kafka:9092", "intake", "s3cret", security_protocol="SASL_SSL", ssl_cafile="/etc/ca.pem")
    assert broker.librdkafka_config() == {
        "bootstrap.servers": "kafka:9092",
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "intake",
        "sasl.password": "s3cret",
        "ssl.ca.location": "/etc/ca.pem",
    }
    java = broker.java_client_properties()
    assert java["sasl.jaas.config"].endswith('required username="intake" password="s3cret";')
    assert java["ssl.truststore.location"] == "/etc/ca.pem"
    # aiokafka gets an SSL context (the system's trust store when no CA file is named).
    assert Broker("kafka:9093", "intake", "s3cret", security_protocol="SASL_SSL").client_options()["ssl_context"]
