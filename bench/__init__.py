"""Benchmarks (基准测试): how much the running stack carries, beside the limits of its parts.

`python -m bench` (or `make bench`) drives a running stack through its public HTTP APIs from its
own process, measures the event store and the projections' replay, and runs the baselines
(Kafka's ProducerPerformance and ConsumerPerformance, pgbench, the `eventsourcing` library's
PostgreSQL recorder) in the same run, on the same machine. It prints a table and writes JSON.
"""
