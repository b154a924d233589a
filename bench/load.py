"""Offered load: open loop at a fixed rate, or closed loop with a number of clients as fast as they go.

In the open loop a request's latency counts from the moment it was due, not from when it was
sent, so a slow system cannot hide its queueing by slowing the generator (coordinated omission).
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Outcome:
    due: float  # monotonic time the request was due (open loop) or sent (closed loop)
    done: float
    ok: bool
    value: Any = None

    @property
    def latency(self) -> float:
        return self.done - self.due


Send = Callable[[int], Awaitable[tuple[bool, Any]]]


async def _timed(n: int, due: float, send: Send) -> Outcome:
    try:
        ok, value = await send(n)
    except Exception as exc:  # a failed request is a result of the run, not a crash of the harness
        ok, value = False, repr(exc)
    return Outcome(due=due, done=time.monotonic(), ok=ok, value=value)


async def open_loop(rate: float, seconds: float, send: Send, *, max_in_flight: int = 512) -> tuple[list[Outcome], int]:
    """Sends `rate` requests a second for `seconds`; returns the outcomes and how many were not sent.

    A request due while `max_in_flight` are outstanding is counted as not sent (the generator's
    own limit), so a stalled system cannot make the generator's memory grow without bound.
    """
    start = time.monotonic()
    total = int(rate * seconds)
    tasks: list[asyncio.Task[Outcome]] = []
    in_flight = 0
    skipped = 0

    def finished(_: asyncio.Task[Outcome]) -> None:
        nonlocal in_flight
        in_flight -= 1

    for n in range(total):
        due = start + n / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        if in_flight >= max_in_flight:
            skipped += 1
            continue
        in_flight += 1
        task = asyncio.create_task(_timed(n, due, send))
        task.add_done_callback(finished)
        tasks.append(task)
    return list(await asyncio.gather(*tasks)), skipped


async def closed_loop(clients: int, seconds: float, send: Send) -> tuple[list[Outcome], float]:
    """`clients` workers each send the next request when the last one answered; returns outcomes and elapsed."""
    start = time.monotonic()
    stop_at = start + seconds
    counter = iter(range(10**12))
    outcomes: list[Outcome] = []

    async def worker() -> None:
        while time.monotonic() < stop_at:
            outcomes.append(await _timed(next(counter), time.monotonic(), send))

    await asyncio.gather(*(worker() for _ in range(clients)))
    return outcomes, time.monotonic() - start
