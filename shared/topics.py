"""The topics of the system, created idempotently (the broker does not auto-create)."""

import asyncio

import structlog
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from shared.settings import ServiceSettings

log = structlog.get_logger()

EVENT_TOPICS = (
    "intake.events",
    "cases.events",
    "enforcement.events",
    "accountability.events",
    "province.inbound",
    "province.outbound",
)


def all_topics(settings: ServiceSettings) -> list[str]:
    names = [settings.topic(name) for name in EVENT_TOPICS]
    return names + [f"{name}.dlq" for name in names]


async def ensure_topics(settings: ServiceSettings, names: list[str] | None = None) -> list[str]:
    """Create the topics that are missing; returns those it created."""
    wanted = names if names is not None else all_topics(settings)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in wanted if name not in existing]
        if missing:
            response = await admin.create_topics(
                [
                    NewTopic(
                        name,
                        num_partitions=settings.topic_partitions,
                        replication_factor=1,
                        # Read models are rebuilt by replaying topics from the start: keep every event.
                        topic_configs={"retention.ms": "-1", "min.insync.replicas": "1"},
                    )
                    for name in missing
                ]
            )
            failed = [
                (name, code, message)
                for name, code, message in response.topic_errors
                # another process may have created the topic in between: that is fine
                if code not in (0, TopicAlreadyExistsError.errno)
            ]
            if failed:
                raise RuntimeError(f"could not create topics: {failed}")
            await _wait_until_listed(admin, missing)
            log.info("topics_created", topics=missing)
        return missing
    finally:
        await admin.close()


async def _wait_until_listed(admin: AIOKafkaAdminClient, names: list[str], within: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while set(names) - set(await admin.list_topics()):
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"topics not visible after {within}s: {names}")
        await asyncio.sleep(0.1)


def main() -> None:
    asyncio.run(ensure_topics(ServiceSettings()))


if __name__ == "__main__":
    main()
