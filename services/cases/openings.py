"""Readers waiting for a case to be opened (立案): `GET /v1/cases/{id}?wait=3` answers when the case exists.

A case is opened by the consumer of IssueReported, a moment after intake's 202; a client that reported the problem
and wants the case (the workbench, the bench's closed loop) would otherwise poll. The opening's transaction sends
NOTIFY `case_opened` with the case id (read_tables.save), which PostgreSQL delivers only at commit, to every cases
instance listening (`listen`, a background job holding one connection): whichever instance the reader reached and
whichever opened the case, the reader is woken once the case is there to read.

A waiter registers before it reads the case, so an opening that commits between the read and the wait still wakes
it. Without a listening connection (PostgreSQL restarting) a waiter simply waits its full time and reads again.
"""

import asyncio
import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import asyncpg
import structlog

from services.cases.read_tables import OPENED_CHANNEL

if TYPE_CHECKING:
    from services.cases.deps import Deps

log = structlog.get_logger()

# The longest a reader may wait for an opening (the route refuses more), so a request never hangs on.
MAX_WAIT_SECONDS = 10.0


class Openings:
    """Who in this process waits for which case to be opened."""

    def __init__(self) -> None:
        self._waiting: dict[str, set[asyncio.Event]] = {}

    @contextlib.contextmanager
    def watch(self, case_id: str) -> Iterator[asyncio.Event]:
        """An event set when the case's opening commits; registered on entry, forgotten on exit."""
        opened = asyncio.Event()
        self._waiting.setdefault(case_id, set()).add(opened)
        try:
            yield opened
        finally:
            waiters = self._waiting.get(case_id)
            if waiters is not None:
                waiters.discard(opened)
                if not waiters:
                    del self._waiting[case_id]

    def opened(self, case_id: str) -> None:
        for waiter in self._waiting.get(case_id, ()):
            waiter.set()

    def on_notify(self, _conn: object, _pid: int, _channel: str, case_id: object) -> None:
        self.opened(str(case_id))


async def listen(deps: "Deps", stopping: asyncio.Event) -> None:
    """The background job: a connection listening for openings until the service stops, made again after a loss."""
    backoff = 0.2
    while not stopping.is_set():
        try:
            conn = await asyncpg.connect(deps.settings.database_dsn)
            try:
                await conn.add_listener(OPENED_CHANNEL, deps.openings.on_notify)
                backoff = 0.2
                while not stopping.is_set() and not conn.is_closed():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stopping.wait(), 5.0)
            finally:
                with contextlib.suppress(Exception):
                    await conn.close()
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("openings_listener_retrying", error=repr(exc), backoff=backoff)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), backoff)
            backoff = min(backoff * 2, 5.0)
