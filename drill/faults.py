"""The faults, one at a time. Each returns the seconds from the start of recovery until every
service answered /readyz again."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from drill.checks import Finding
from drill.stack import SERVICES, Stack
from drill.tamper import tamper_and_verify
from shared.settings import dsn_for


@dataclass(frozen=True)
class Fault:
    name: str
    label: str
    inject: Callable[[Stack], Awaitable[float]]
    # What the fault itself found wrong (the tamper fault: an edit verify did not name), and what it saw go right:
    # its stage reports them.
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def kill_and_restart(service: str) -> Fault:
    async def inject(stack: Stack) -> float:
        stack.kill_service(service)
        started = time.monotonic()
        stack.start_service(service)
        await stack.wait_ready()
        return time.monotonic() - started

    return Fault(f"kill:{service}", f"kill -9 {service} 并重启", inject)


def away_and_back(
    name: str, label: str, away: Callable[[Stack], None], back: Callable[[Stack], None], seconds: float
) -> Fault:
    """Something taken away, `seconds` under load without it, then brought back."""

    async def inject(stack: Stack) -> float:
        await asyncio.to_thread(away, stack)
        await asyncio.sleep(seconds)
        started = time.monotonic()
        await asyncio.to_thread(back, stack)
        await stack.wait_ready()
        return time.monotonic() - started

    return Fault(name, label, inject)


def kafka_outage(seconds: float) -> Fault:
    """Every broker stopped (one node, or the whole cluster)."""
    return away_and_back("kafka", f"停止 Kafka {seconds:g} 秒后启动", Stack.stop_kafka, Stack.start_kafka, seconds)


def broker_kill(node: int, seconds: float) -> Fault:
    """kill -9 one node of a three-node cluster under load; the system goes on with two, then it comes back."""
    return away_and_back(
        "broker:kill",
        f"kill -9 Kafka 节点 {node}，{seconds:g} 秒后重启",
        lambda stack: stack.kill_broker(node),
        lambda stack: stack.start_kafka(node),
        seconds,
    )


def brokers_stop(nodes: tuple[int, ...], seconds: float) -> Fault:
    """Stop two nodes of three: fewer in-sync replicas than min.insync.replicas (2), and no controller quorum. Intake
    goes on accepting into its outbox; publishing resumes when they are back."""
    return away_and_back(
        "brokers:stop",
        f"停止 Kafka 节点 {'、'.join(map(str, nodes))}（同步副本不足）{seconds:g} 秒后启动",
        lambda stack: stack.stop_kafka(*nodes),
        lambda stack: stack.start_kafka(*nodes),
        seconds,
    )


def postgres_restart() -> Fault:
    async def inject(stack: Stack) -> float:
        started = time.monotonic()
        await asyncio.to_thread(stack.restart_postgres)
        await stack.wait_ready()
        return time.monotonic() - started

    return Fault("postgres", "重启 PostgreSQL", inject)


def tamper(service: str = "cases") -> Fault:
    """Edits the service's event store (drill/tamper.py) under load: verify must name each edit; then undone."""
    findings: list[Finding] = []
    notes: list[str] = []

    async def inject(stack: Stack) -> float:
        config = stack.config
        edits, problems = await tamper_and_verify(service, dsn_for(config.database_url, config.database(service)))
        findings.extend(Finding("tamper", "not_named", problem) for problem in problems)
        notes.extend(f"verify 指出：{e.kind} @ {e.stream_id} 第 {e.named_version} 版" for e in edits)
        started = time.monotonic()
        await stack.wait_ready()
        return time.monotonic() - started

    return Fault("tamper", f"篡改 {service} 的事件库（改、删、调换各一处）", inject, findings, notes)


CLUSTER_FAULTS = ("broker:kill", "brokers:stop")


def all_faults(kafka_seconds: float) -> list[Fault]:
    """Every fault; those of CLUSTER_FAULTS only on a cluster of three (a node killed: 1; two stopped: 2 and 3)."""
    return [
        *(kill_and_restart(s) for s in SERVICES),
        broker_kill(1, kafka_seconds),
        brokers_stop((2, 3), kafka_seconds),
        kafka_outage(kafka_seconds),
        postgres_restart(),
        tamper(),
    ]
