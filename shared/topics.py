"""The topics of the system, created idempotently (the broker does not auto-create)."""

import asyncio
import sys
import time
from collections.abc import Sequence

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import ClusterAuthorizationFailedError, TopicAlreadyExistsError, TopicAuthorizationFailedError

from shared.broker import Broker
from shared.settings import ServiceSettings

log = structlog.get_logger()

EVENT_TOPICS = (
    "intake.events",
    "cases.events",
    "enforcement.events",
    "accountability.events",
    "province.inbound",
    "province.outbound",
    # Reads that matter (shared/contracts/audit.py): intake's and projections' audit events.
    "audit.reads.intake",
    "audit.reads.projections",
    # Every service's signed checkpoints of its event store (shared/audit/log.py).
    "audit.checkpoints",
)


NOT_AUTHORIZED = (TopicAuthorizationFailedError.errno, ClusterAuthorizationFailedError.errno)


def replication(brokers: int, wanted: int | None = None) -> tuple[int, int]:
    """The replicas of a topic and the in-sync replicas an acks=all write waits for, on a cluster of `brokers`: 3 and 2
    from three brokers on (one broker may be away and nothing acknowledged is lost), else one copy on each.

    `wanted` (TOPIC_REPLICAS) is the cluster's size: with fewer brokers up than that the topic is not made, rather
    than made with fewer copies than the cluster should keep (a topic's replication factor never grows by itself)."""
    if wanted is not None and brokers < wanted:
        raise UnderReplicated(f"{wanted} replicas wanted (TOPIC_REPLICAS) and {brokers} brokers up")
    replicas = wanted or min(brokers, 3)
    return replicas, 2 if replicas >= 3 else 1


class UnderReplicated(RuntimeError):
    """Too few brokers up to make a topic with the copies the cluster keeps."""


def all_topics(settings: ServiceSettings) -> list[str]:
    names = [settings.topic(name) for name in EVENT_TOPICS]
    return names + [f"{name}.dlq" for name in names]


def partitions_for(settings: ServiceSettings, name: str) -> int:
    """An event topic gets `topic_partitions` (keyed by aggregate id, its consumers' ceiling of parallelism); a
    dead-letter topic and the replay record (`.dlq`, `dlq.`: rare writes, read whole by an operator) get
    `dlq_partitions`."""
    if name.endswith(".dlq") or name.removeprefix(settings.topic_prefix).startswith("dlq."):
        return settings.dlq_partitions
    return settings.topic_partitions


async def ensure_topics(settings: ServiceSettings, names: list[str] | None = None) -> list[str]:
    """Create the topics that are missing; returns those it created.

    A service's user may not create topics (shared/kafka_access.py): the operator creates them (`python -m
    shared.topics`, as admin), and a topic the user may not see looks missing to it. A refusal is therefore left to
    the operator, not an error: a topic the service really needs and lacks stops its relay or consumer, which say so.
    """
    wanted = names if names is not None else all_topics(settings)
    admin = AIOKafkaAdminClient(**settings.broker.client_options())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in wanted if name not in existing]
        if not missing:
            return []
        # aiokafka's CreateTopics is older than the broker's own default replication factor (version 4): the copies
        # are TOPIC_REPLICAS, or without it the brokers up now.
        live = len((await admin.describe_cluster())["brokers"])
        try:
            replicas, min_insync = replication(live, settings.topic_replicas)
        except UnderReplicated as e:
            raise UnderReplicated(f"topics {missing} not made: {e}; start the other brokers first") from None
        response = await admin.create_topics(
            [
                NewTopic(
                    name,
                    num_partitions=partitions_for(settings, name),
                    replication_factor=replicas,
                    # Read models are rebuilt by replaying topics from the start: keep every event.
                    topic_configs={"retention.ms": "-1", "min.insync.replicas": str(min_insync)},
                )
                for name in missing
            ]
        )
        errors = {name: (code, message) for name, code, message in response.topic_errors if code != 0}
        refused = sorted(name for name, (code, _) in errors.items() if code in NOT_AUTHORIZED)
        if refused:
            log.info("topics_left_to_the_operator", topics=refused)
        # Another process may have created a topic in between: that is fine.
        failed = {
            name: e for name, e in errors.items() if e[0] != TopicAlreadyExistsError.errno and name not in refused
        }
        if failed:
            raise RuntimeError(f"could not create topics: {failed}")
        created = [name for name in missing if name not in errors]
        await _wait_until_listed(admin, created)
        if created:
            log.info("topics_created", topics=created)
        return created
    finally:
        await admin.close()


async def _wait_until_listed(admin: AIOKafkaAdminClient, names: list[str], within: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while set(names) - set(await admin.list_topics()):
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"topics not visible after {within}s: {names}")
        await asyncio.sleep(0.1)


async def partition_counts(broker: Broker, topics: Sequence[str]) -> dict[str, int]:
    """How many partitions each of those topics that exist has now."""
    counts: dict[str, int] = {}
    for tp in await existing_partitions(broker, topics):
        counts[tp.topic] = counts.get(tp.topic, 0) + 1
    return counts


async def differing_partitions(settings: ServiceSettings) -> dict[str, tuple[int, int]]:
    """Topics that exist with another partition count than the settings give: name → (have, setting).

    They are left as they are: adding partitions to a live topic sends keys to other partitions, so the events of an
    aggregate in flight could be consumed out of order (README: Choosing partitions)."""
    counts = await partition_counts(settings.broker, all_topics(settings))
    wanted = {name: partitions_for(settings, name) for name in counts}
    return {name: (have, wanted[name]) for name, have in counts.items() if have != wanted[name]}


async def provision(settings: ServiceSettings) -> None:
    """`python -m shared.topics` (make up): creates the missing topics, and says which existing ones differ."""
    await ensure_topics(settings)
    for name, (have, wanted) in sorted((await differing_partitions(settings)).items()):
        print(
            f"shared.topics: {name} has {have} partitions, the setting says {wanted}; left as it is "
            "(a live topic's partitions are never changed here: README, Choosing partitions)",
            file=sys.stderr,
        )


def main() -> None:
    asyncio.run(provision(ServiceSettings()))


async def existing_partitions(broker: Broker, topics: Sequence[str]) -> list[TopicPartition]:
    """Every partition of those of the topics that exist now (the tools that read topics whole start here)."""
    admin = AIOKafkaAdminClient(**broker.client_options())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [t for t in topics if t in existing]
        described = await admin.describe_topics(wanted) if wanted else []
    finally:
        await admin.close()
    return [TopicPartition(d["topic"], p["partition"]) for d in described for p in d["partitions"]]


async def read_to_end(broker: Broker, topics: Sequence[str], *, within: float = 30.0) -> list[ConsumerRecord]:
    """Every record now on the topics (those that exist), up to the log ends taken at the start, outside any group.

    For the tools that look at a topic whole (dead letters, the drill's checks), never for the services' consumers.
    """
    tps = await existing_partitions(broker, topics)
    if not tps:
        return []
    consumer = AIOKafkaConsumer(
        **broker.client_options(), enable_auto_commit=False, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        starts = await consumer.beginning_offsets(tps)
        await consumer.seek_to_beginning(*tps)
        behind = {tp for tp in tps if ends[tp] > starts[tp]}
        records: list[ConsumerRecord] = []
        deadline = time.monotonic() + within
        while behind:
            if time.monotonic() > deadline:
                raise TimeoutError(f"could not read {', '.join(topics)} to the end in {within:.0f}s")
            batch = await consumer.getmany(timeout_ms=300, max_records=5000)
            for tp, got in batch.items():
                records += [r for r in got if r.offset < ends[tp]]
                if got and got[-1].offset + 1 >= ends[tp]:
                    behind.discard(tp)
        return records
    finally:
        await consumer.stop()


if __name__ == "__main__":
    main()
