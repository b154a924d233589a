"""The relay picks each record's partition itself: the same as aiokafka's default partitioner for every key."""

import os
import uuid

from aiokafka.partitioner import DefaultPartitioner
from aiokafka.partitioner import murmur2 as aiokafka_murmur2

from shared.relay import murmur2


def test_murmur2_is_aiokafkas_for_keys_of_every_length_and_for_stream_ids() -> None:
    keys = [os.urandom(n) for n in range(40) for _ in range(50)] + [str(uuid.uuid4()).encode() for _ in range(2000)]
    assert [murmur2(k) for k in keys] == [aiokafka_murmur2(k) & 0xFFFFFFFF for k in keys]


def test_a_stream_goes_to_the_partition_the_default_partitioner_chooses() -> None:
    partitions = [0, 1, 2]
    for stream in [f"s-{n}" for n in range(300)] + ["城关镇-问题-1"]:
        key = stream.encode()
        chosen = DefaultPartitioner()(key, partitions, partitions)
        assert partitions[(murmur2(key) & 0x7FFFFFFF) % len(partitions)] == chosen
