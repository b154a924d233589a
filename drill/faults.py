"""The faults, one at a time. Each returns the seconds from the start of recovery until every
service answered /readyz again."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from drill.stack import SERVICES, Stack


@dataclass(frozen=True)
class Fault:
    name: str
    label: str
    inject: Callable[[Stack], Awaitable[float]]


def kill_and_restart(service: str) -> Fault:
    async def inject(stack: Stack) -> float:
        stack.kill_service(service)
        started = time.monotonic()
        stack.start_service(service)
        await stack.wait_ready()
        return time.monotonic() - started

    return Fault(f"kill:{service}", f"kill -9 {service} 并重启", inject)


def kafka_outage(seconds: float) -> Fault:
    async def inject(stack: Stack) -> float:
        await asyncio.to_thread(stack.stop_kafka)
        await asyncio.sleep(seconds)
        started = time.monotonic()
        await asyncio.to_thread(stack.start_kafka)
        await stack.wait_ready()
        return time.monotonic() - started

    return Fault("kafka", f"停止 Kafka {seconds:g} 秒后启动", inject)


def postgres_restart() -> Fault:
    async def inject(stack: Stack) -> float:
        started = time.monotonic()
        await asyncio.to_thread(stack.restart_postgres)
        await stack.wait_ready()
        return time.monotonic() - started

    return Fault("postgres", "重启 PostgreSQL", inject)


def all_faults(kafka_seconds: float) -> list[Fault]:
    return [*(kill_and_restart(s) for s in SERVICES), kafka_outage(kafka_seconds), postgres_restart()]
