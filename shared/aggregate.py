"""The command handler every decider shares: load the stream, fold it, decide, append.

`decide(command, state) -> events` and `evolve(state, event) -> state` are the
aggregate's pure functions; this is the only place that does I/O around them.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any, Generic, TypeVar

from shared.contracts import Event
from shared.db import Connection
from shared.envelope import Envelope
from shared.eventstore import ConcurrencyConflict, EventStore, Metadata

S = TypeVar("S")
C = TypeVar("C")


def fold(evolve: Callable[[S, Event], S], initial: S, events: Iterable[Event]) -> S:
    return reduce(evolve, events, initial)


@dataclass(frozen=True)
class Decider(Generic[C, S]):
    """A stream kind's pure core: its decisions, its fold and its state before the first event.

    Each service's domain names its own (`domain.decider`); the handlers hand it to `execute` and `load`.
    """

    decide: Callable[[C, S], Sequence[Event]]
    evolve: Callable[[S, Event], S]
    initial: S


@dataclass(frozen=True)
class Decided(Generic[S]):
    """What a command did: the new events, the stream's version after them, and the new state."""

    version: int
    events: list[Envelope]
    state: S


async def load(
    conn: Connection, store: EventStore, stream_id: str, decider: Decider[Any, S]
) -> tuple[S, int, list[Envelope]]:
    """The stream's state, its version and its history."""
    history = await store.read(conn, stream_id)
    return fold(decider.evolve, decider.initial, (e.payload for e in history)), len(history), history


async def execute(
    conn: Connection,
    store: EventStore,
    stream_id: str,
    command: C,
    decider: Decider[C, S],
    *,
    meta: Metadata,
    expected_version: int | None = None,
    authorize: Callable[[S], None] | None = None,
    new: bool = False,
) -> Decided[S]:
    """Run one command against one stream. `expected_version` comes from If-Match when the caller sent one;
    `authorize` may refuse the caller (shared.errors.Forbidden) on what the stream's state says, such as its unit.
    `new`: the stream id was made for this command (a fresh UUID), so there is no history to read; should the
    stream exist after all, the append at version 0 is the conflict.
    """
    state, version = (decider.initial, 0) if new else (await load(conn, store, stream_id, decider))[:2]
    if authorize is not None:
        authorize(state)
    if expected_version is not None and expected_version != version:
        raise ConcurrencyConflict(stream_id, expected_version, version)
    events = list(decider.decide(command, state))
    appended = await store.append(conn, stream_id, events, version, meta)
    return Decided(version=version + len(appended), events=appended, state=fold(decider.evolve, state, events))
