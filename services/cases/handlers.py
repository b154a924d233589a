"""The one command handler of cases: lock the case, load, decide, append, update the read tables.

All of it is one transaction, so the events, their outbox rows, the case list and the
deadline row commit together or not at all. Every writer (HTTP, the intake consumer,
the deadline poller) comes through here.
"""

from collections.abc import Callable

import asyncpg

from services.cases import domain, views
from services.cases.commands import Command, OpenCase
from shared.aggregate import Decided, execute
from shared.errors import NotFound
from shared.eventstore import EventStore, Metadata


async def run(
    conn: asyncpg.Connection,
    store: EventStore,
    case_id: str,
    command: Command,
    meta: Metadata,
    *,
    expected_version: int | None = None,
    authorize: Callable[[domain.Case | None], None] | None = None,
) -> Decided[domain.Case | None]:
    async with conn.transaction():
        # Waiting for the row lock first means a concurrent command is decided on the stream after ours,
        # not refused as a conflict; only a stale If-Match is.
        if not isinstance(command, OpenCase) and not await views.lock(conn, case_id):
            raise NotFound("整改案件", case_id)
        decided: Decided[domain.Case | None] = await execute(
            conn,
            store,
            case_id,
            command,
            decide=domain.decide,
            evolve=domain.evolve,
            initial=None,
            meta=meta,
            expected_version=expected_version,
            authorize=authorize,
        )
        if decided.state is not None:
            # Also when nothing was decided: a claimed deadline row is then brought back in line with the stream.
            await views.save(conn, decided.state)
        return decided
