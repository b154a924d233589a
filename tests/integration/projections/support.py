"""Waiting for projections to apply what was published, through its own API."""

import asyncio

import httpx


async def applied_events(client: httpx.AsyncClient) -> tuple[int, bool]:
    """How many records the active read models have applied in all, and whether no partition lags."""
    positions = (await client.get("/v1/read-models")).json()["positions"]
    partitions = [p for topic in positions.values() for p in topic.values()]
    return sum(p["applied_offset"] for p in partitions), all(p["lag"] == 0 for p in partitions)


async def caught_up(client: httpx.AsyncClient, events: int, timeout: float = 60.0) -> None:
    """Polls until the read models have applied `events` records and nothing lags."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        applied, level = await applied_events(client)
        if applied >= events and level:
            return
        assert asyncio.get_running_loop().time() < deadline, f"applied {applied} of {events} in {timeout}s"
        await asyncio.sleep(0.2)
