"""Who may do what on the broker (Kafka's ACLs): each service writes its own topic and reads only what it consumes.

The broker authenticates every client with SASL/SCRAM and authorizes each request (StandardAuthorizer, nothing
allowed without an ACL). Its admin (operators' tools, the broker itself) is a super user; every other user gets
exactly the grants below, so a service that is taken over still cannot write a `DeadlineMissed` onto cases.events
or a `Closed` for the province. A consumer also refuses an event type the topic's owner does not publish
(shared.contracts.TOPIC_EVENTS), which holds against the admin too.

`python -m shared.kafka_access apply` creates or updates the users (SCRAM-SHA-512, passwords from
`KAFKA_PASSWORD_<USER>` or .run/secrets.env) and makes their ACLs exactly these: missing ones are added, stray
ones removed. It signs in as the admin (KAFKA_USERNAME/KAFKA_PASSWORD). `make up`, the drill and
docker-compose.yml's `kafka-access` run it; `show` prints the grants. On Kubernetes the Strimzi operator applies
them instead: `chart` prints the topics and these grants in its KafkaUser form, the file the Helm chart reads
(deploy/helm/county-env-closure/files/kafka.json; tests/unit/test_helm_chart.py checks it is up to date).

confluent-kafka (librdkafka) does this: aiokafka's admin client has no API for ACLs or SCRAM credentials.
"""

import argparse
import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from confluent_kafka import KafkaException
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialAlteration,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)
from pydantic import ValidationError

from shared import stack_keys
from shared.broker import Broker
from shared.consumer import dlq_topic
from shared.settings import BrokerSettings, refusal
from shared.topics import EVENT_TOPICS

SCRAM_ITERATIONS = 8192
TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Access:
    """What one user may do: produce to `writes`; consume `reads` (in its own consumer groups, `<user>.*`) and
    dead-letter what it cannot read to their `.dlq` topics."""

    writes: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()


ACCESS: dict[str, Access] = {
    # Reports; what the county reports back to the province goes out through intake's outbox.
    # Every service with an event store signs checkpoints of it onto audit.checkpoints (shared/audit/log.py): the one
    # topic several write, since a checkpoint's signature, not its writer, vouches for it. Intake forwards them to
    # the province.
    "intake": Access(
        writes=("intake.events", "province.outbound", "audit.checkpoints", "audit.reads.intake"),
        reads=("province.inbound", "cases.events", "audit.checkpoints", "audit.reads.intake"),
    ),
    "cases": Access(writes=("cases.events", "audit.checkpoints"), reads=("intake.events",)),
    "enforcement": Access(writes=("enforcement.events", "audit.checkpoints"), reads=("cases.events",)),
    "accountability": Access(writes=("accountability.events", "audit.checkpoints"), reads=("cases.events",)),
    # Projections records its own readers (ledger, timelines) and keeps who read what for 纪委 (both audit topics).
    "projections": Access(
        writes=("audit.reads.projections", "audit.checkpoints"),
        reads=(
            "intake.events",
            "cases.events",
            "enforcement.events",
            "accountability.events",
            "audit.reads.intake",
            "audit.reads.projections",
        ),
    ),
    # The provincial platform: its 交办 in, the county's answers out.
    "province": Access(writes=("province.inbound",), reads=("province.outbound", "audit.checkpoints")),
}


def bindings(user: str, access: Access, *, topic_prefix: str = "", group_prefix: str | None = None) -> set[AclBinding]:
    """The ACLs of `user`; topics and groups get `topic_prefix` (tests keep theirs apart that way).

    Consumer groups are `<topic_prefix><service>.<consumer>` (shared/consumer.py): the user reads those whose name
    starts with `group_prefix`, by default `<topic_prefix><user>.`.
    """
    principal = f"User:{user}"

    def allow(kind: ResourceType, name: str, operation: AclOperation, pattern: ResourcePatternType) -> AclBinding:
        return AclBinding(kind, name, pattern, principal, "*", operation, AclPermissionType.ALLOW)

    literal = ResourcePatternType.LITERAL
    grants = {allow(ResourceType.TOPIC, topic_prefix + topic, AclOperation.WRITE, literal) for topic in access.writes}
    for topic in access.reads:
        grants.add(allow(ResourceType.TOPIC, topic_prefix + topic, AclOperation.READ, literal))
        grants.add(allow(ResourceType.TOPIC, dlq_topic(topic_prefix + topic), AclOperation.WRITE, literal))
    if access.reads:
        groups = group_prefix if group_prefix is not None else f"{topic_prefix}{user}."
        grants.add(allow(ResourceType.GROUP, groups, AclOperation.READ, ResourcePatternType.PREFIXED))
    return grants


@dataclass(frozen=True)
class Provisioned:
    users: int
    added: int
    removed: int


def provision(
    admin: Broker,
    users: Mapping[str, tuple[str, Access]],
    *,
    topic_prefix: str = "",
    group_prefixes: Mapping[str, str] | None = None,
) -> Provisioned:
    """Makes each user (name → (password, access)) exist with its password and exactly its ACLs."""
    client = AdminClient(admin.librdkafka_config())
    scram = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS)
    upserts: list[UserScramCredentialAlteration] = [
        UserScramCredentialUpsertion(name, scram, password.encode()) for name, (password, _) in users.items()
    ]
    for future in client.alter_user_scram_credentials(upserts).values():
        future.result(TIMEOUT_SECONDS)
    wanted: set[AclBinding] = set()
    existing: set[AclBinding] = set()
    for name, (_, access) in users.items():
        group_prefix = (group_prefixes or {}).get(name)
        wanted |= bindings(name, access, topic_prefix=topic_prefix, group_prefix=group_prefix)
        existing |= set(client.describe_acls(_of_principal(f"User:{name}")).result(TIMEOUT_SECONDS))
    added = sorted(wanted - existing)
    removed = sorted(existing - wanted)
    if added:
        for future in client.create_acls(added).values():
            future.result(TIMEOUT_SECONDS)
    if removed:
        for future in client.delete_acls([_exactly(binding) for binding in removed]).values():
            future.result(TIMEOUT_SECONDS)
    return Provisioned(len(users), len(added), len(removed))


def remove(admin: Broker, users: list[str]) -> None:
    """Deletes the users' ACLs and SCRAM credentials (a user taken out of service)."""
    client = AdminClient(admin.librdkafka_config())
    filters = [_of_principal(f"User:{name}") for name in users]
    for future in client.delete_acls(filters).values():
        future.result(TIMEOUT_SECONDS)
    deletions: list[UserScramCredentialAlteration] = [
        UserScramCredentialDeletion(name, ScramMechanism.SCRAM_SHA_512) for name in users
    ]
    for future in client.alter_user_scram_credentials(deletions).values():
        future.result(TIMEOUT_SECONDS)


def _of_principal(principal: str) -> AclBindingFilter:
    # None matches any name and any host, as the library documents; its annotations say str.
    anything: Any = None
    return AclBindingFilter(
        ResourceType.ANY,
        anything,
        ResourcePatternType.ANY,
        principal,
        anything,
        AclOperation.ANY,
        AclPermissionType.ANY,
    )


def _exactly(binding: AclBinding) -> AclBindingFilter:
    return AclBindingFilter(
        binding.restype,
        binding.name,
        binding.resource_pattern_type,
        binding.principal,
        binding.host,
        binding.operation,
        binding.permission_type,
    )


def passwords(environ: Mapping[str, str], keys: Mapping[str, str]) -> dict[str, str]:
    """Each user's password: `KAFKA_PASSWORD_<USER>` from the environment, else the install's keys file."""
    found: dict[str, str] = {}
    for user in ACCESS:
        variable = f"KAFKA_PASSWORD_{user.upper()}"
        found[user] = environ.get(variable) or stack_keys.kafka_password(dict(keys), user)
    missing = [f"KAFKA_PASSWORD_{user.upper()}" for user, password in found.items() if not password]
    if missing:
        raise SystemExit(
            f"缺少消息代理用户的密码：{', '.join(missing)}（make up 生成在 .run/secrets.env）。"
            f" Missing broker passwords: {', '.join(missing)} (make up generates them into .run/secrets.env)."
        )
    return found


def strimzi_acls(user: str, access: Access) -> list[dict[str, Any]]:
    """`bindings(user, access)` as the `acls` of a Strimzi KafkaUser (spec.authorization, type simple)."""
    kinds = {ResourceType.TOPIC: "topic", ResourceType.GROUP: "group"}
    patterns = {ResourcePatternType.LITERAL: "literal", ResourcePatternType.PREFIXED: "prefix"}
    acls = [
        {
            "resource": {
                "type": kinds[ResourceType(binding.restype)],
                "name": binding.name,
                "patternType": patterns[ResourcePatternType(binding.resource_pattern_type)],
            },
            "operations": [AclOperation(binding.operation).name.capitalize()],
            "host": binding.host,
        }
        for binding in bindings(user, access)
    ]
    return sorted(acls, key=lambda acl: json.dumps(acl, sort_keys=True))


def chart() -> dict[str, Any]:
    """What the Helm chart creates on the broker: every topic (events and their dead letters) and each user's ACLs."""
    topics = [*EVENT_TOPICS, *(dlq_topic(topic) for topic in EVENT_TOPICS)]
    return {"topics": topics, "users": {user: strimzi_acls(user, access) for user, access in ACCESS.items()}}


def describe() -> str:
    lines = []
    for user, access in ACCESS.items():
        lines.append(f"{user:15} writes {', '.join(access.writes) or '-'}")
        lines.append(f"{'':15} reads  {', '.join(access.reads) or '-'} (dead letters to their .dlq)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m shared.kafka_access", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("apply", "show", "chart"))
    args = parser.parse_args(argv)
    if args.command == "show":
        print(describe())
        return
    if args.command == "chart":
        print(json.dumps(chart(), indent=2))
        return
    try:
        settings = BrokerSettings()
    except ValidationError as error:
        raise SystemExit(refusal(error)) from None
    found = passwords(os.environ, stack_keys.read())
    try:
        done = provision(settings.broker, {user: (found[user], access) for user, access in ACCESS.items()})
    except KafkaException as error:
        raise SystemExit(f"kafka_access: the broker refused: {error}") from None
    print(
        f"kafka users: {done.users} ({', '.join(ACCESS)}); ACLs added {done.added}, removed {done.removed}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
