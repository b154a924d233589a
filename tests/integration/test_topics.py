"""Partitions as a setting: new event topics get TOPIC_PARTITIONS (12), dead letters DLQ_PARTITIONS (3), and a topic
that exists with another count is reported, never changed (adding partitions would move keys in flight)."""

import pytest

from shared.settings import ServiceSettings
from shared.topics import (
    EVENT_TOPICS,
    UnderReplicated,
    all_topics,
    differing_partitions,
    ensure_topics,
    partition_counts,
)
from tests.conftest import SettingsFactory
from tests.support.stack import Infrastructure

# The stack's default (the other tests make their topics with 3: tests/conftest.py)
STACK_PARTITIONS = ServiceSettings.model_fields["topic_partitions"].default


async def test_new_event_topics_get_twelve_partitions_and_dead_letter_topics_three(
    make_settings: SettingsFactory, infrastructure: Infrastructure
) -> None:
    settings = make_settings(topic_partitions=STACK_PARTITIONS)
    await ensure_topics(settings)
    counts = await partition_counts(infrastructure.broker, all_topics(settings))
    assert {name: n for name, n in counts.items() if not name.endswith(".dlq")} == {
        settings.topic(name): 12 for name in EVENT_TOPICS
    }
    assert {n for name, n in counts.items() if name.endswith(".dlq")} == {3}
    assert await differing_partitions(settings) == {}


async def test_topics_made_with_three_partitions_are_reported_and_left_as_they_are(
    make_settings: SettingsFactory, infrastructure: Infrastructure
) -> None:
    before = make_settings(topic_partitions=3)
    await ensure_topics(before)
    now = make_settings(topic_partitions=STACK_PARTITIONS)
    assert await ensure_topics(now) == [], "nothing is created again"
    differ = await differing_partitions(now)
    assert differ == {
        settings_topic: (3, 12) for settings_topic in all_topics(now) if not settings_topic.endswith(".dlq")
    }
    counts = await partition_counts(infrastructure.broker, all_topics(now))
    assert set(counts.values()) == {3}, "no partition was added"


async def test_no_topic_is_made_with_fewer_copies_than_the_cluster_keeps(
    make_settings: SettingsFactory, infrastructure: Infrastructure
) -> None:
    settings = make_settings(topic_replicas=3)  # the test broker is one node: as a cluster with two of three away
    with pytest.raises(UnderReplicated, match="start the other brokers first"):
        await ensure_topics(settings)
    assert await partition_counts(infrastructure.broker, all_topics(settings)) == {}
