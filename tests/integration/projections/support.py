"""Waiting for projections to apply what was published, through its own API."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx

T = TypeVar("T")


async def eventually(
    fetch: Callable[[], Awaitable[T]], ready: Callable[[T], bool], what: str, timeout: float = 30.0
) -> T:
    """Fetches until `ready` holds for what came back; fails naming `what` and the last value."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not ready(value := await fetch()):
        assert asyncio.get_running_loop().time() < deadline, f"not reached in {timeout}s: {what}; last: {value}"
        await asyncio.sleep(0.2)
    return value


async def applied_events(client: httpx.AsyncClient) -> tuple[int, bool]:
    """How many records the active read models have applied in all, and whether no partition lags."""
    positions = (await client.get("/v1/read-models")).json()["positions"]
    partitions = [p for topic in positions.values() for p in topic.values()]
    return sum(p["applied_offset"] for p in partitions), all(p["lag"] == 0 for p in partitions)


async def caught_up(client: httpx.AsyncClient, events: int, timeout: float = 60.0) -> None:
    """Polls until the read models have applied `events` records and nothing lags."""
    await eventually(
        lambda: applied_events(client), lambda found: found[0] >= events and found[1], f"{events} events", timeout
    )
