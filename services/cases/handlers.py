"""The one command handler of cases: load, decide, append, update the read tables.

All of it is one transaction, so the events, their outbox rows, the case list and the
deadline row commit together or not at all, and so does a 交办's letter (交办函, letters.py).
Every writer (HTTP, the intake consumer, the deadline poller) comes through here, and so
through the one concurrency policy of shared.commands.write: a command that lost the race
to another writer is decided again on the fresh history, unless its caller sent If-Match (then it is the caller's 409).
"""

from collections.abc import Callable

from services.cases import domain, letters, read_tables
from services.cases.commands import Command, OpenCase
from shared.aggregate import Decided, execute
from shared.commands import write
from shared.db import Connection
from shared.errors import NotFound
from shared.eventstore import EventStore, Metadata

Authorize = Callable[[domain.Case | None], None]


async def handle(
    conn: Connection,
    store: EventStore,
    case_id: str,
    command: Command,
    meta: Metadata,
    *,
    expected_version: int | None = None,
    authorize: Authorize | None = None,
) -> Decided[domain.Case | None]:
    """Runs `command` on the case `case_id`; durable when this returns (or inside the caller's transaction)."""

    def known_then_authorized(case: domain.Case | None) -> None:
        # Only an opening starts a case: any other command on a case never opened is a 404, whoever asks.
        if case is None and not isinstance(command, OpenCase):
            raise NotFound("整改案件", case_id)
        if authorize is not None:
            authorize(case)

    async def attempt() -> Decided[domain.Case | None]:
        decided: Decided[domain.Case | None] = await execute(
            conn,
            store,
            case_id,
            command,
            domain.decider,
            meta=meta,
            expected_version=expected_version,
            authorize=known_then_authorized,
        )
        await letters.issue(conn, store, decided.events, meta)
        if decided.state is not None:
            # Also when nothing was decided: a claimed deadline row is then brought back in line with the stream.
            await read_tables.save(conn, decided.state)
        return decided

    return await write(conn, attempt, expected_version=expected_version)
