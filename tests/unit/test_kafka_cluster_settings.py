"""What follows from the number of Kafka nodes: topics' replicas and the in-sync replicas a write needs, and the
bootstrap list the local stack's commands and services get (infra/kafka.sh's ports)."""

from pathlib import Path

import pytest

from shared import stack_keys
from shared.topics import UnderReplicated, replication


def test_topics_get_three_replicas_two_in_sync_from_three_brokers_on_and_one_copy_below() -> None:
    assert [replication(n) for n in (1, 2, 3, 5)] == [(1, 1), (2, 1), (3, 2), (3, 2)]


def test_a_cluster_that_says_its_size_gets_that_many_copies_and_none_with_a_broker_away() -> None:
    assert [replication(n, 3) for n in (3, 5)] == [(3, 2), (3, 2)]
    assert replication(5, 5) == (5, 2)
    with pytest.raises(UnderReplicated, match="3 replicas wanted .* 2 brokers up"):
        replication(2, 3)  # not made with two copies for good: a topic's replication factor never grows by itself


def test_the_bootstrap_list_names_every_node_of_infra_kafka_sh() -> None:
    assert stack_keys.local_kafka_bootstrap({}) == "127.0.0.1:9092"
    assert stack_keys.local_kafka_bootstrap({"KAFKA_PORT": "22064", "KAFKA_NODES": "3"}) == (
        "127.0.0.1:22064,127.0.0.1:22065,127.0.0.1:22066"
    )


def test_a_command_run_for_a_local_cluster_bootstraps_from_all_its_nodes_unless_told_otherwise(tmp_path: Path) -> None:
    stack_keys.ensure(tmp_path)
    env = stack_keys.service_environment(tmp_path, {"KAFKA_NODES": "3"}, kafka_user="intake")
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "127.0.0.1:9092,127.0.0.1:9093,127.0.0.1:9094"
    told = {"KAFKA_NODES": "3", "KAFKA_BOOTSTRAP_SERVERS": "broker-0:9092"}
    assert stack_keys.service_environment(tmp_path, told)["KAFKA_BOOTSTRAP_SERVERS"] == "broker-0:9092"
    assert "KAFKA_BOOTSTRAP_SERVERS" not in stack_keys.service_environment(tmp_path, {})


def test_a_local_cluster_gives_its_topics_a_copy_on_each_node(tmp_path: Path) -> None:
    stack_keys.ensure(tmp_path)
    assert stack_keys.service_environment(tmp_path, {"KAFKA_NODES": "3"})["TOPIC_REPLICAS"] == "3"
    assert "TOPIC_REPLICAS" not in stack_keys.service_environment(tmp_path, {"KAFKA_NODES": "1"})
    told = {"KAFKA_NODES": "3", "TOPIC_REPLICAS": "2"}
    assert stack_keys.service_environment(tmp_path, told)["TOPIC_REPLICAS"] == "2"
