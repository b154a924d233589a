"""Load → fold → decide → append, with the case's list row in the same transaction."""

from services.enforcement import domain, read_tables
from services.enforcement.commands import Command
from services.enforcement.deps import Deps
from shared.aggregate import Decided, execute
from shared.commands import write
from shared.db import Connection
from shared.eventstore import Metadata

Outcome = Decided[domain.EnforcementCase | None]


async def handle(deps: Deps, command: Command, meta: Metadata, expected_version: int | None = None) -> Outcome:
    """Runs one command; its events, outbox rows and list row are committed before this returns.

    Two officers recording on one case at once: the loser decides again on the fresh history
    (shared.commands.write), unless it sent If-Match (`expected_version`): then the conflict is its 409.
    """
    async with deps.pool.acquire() as conn:
        return await write(
            conn, lambda: _record(conn, deps, command, meta, expected_version), expected_version=expected_version
        )


async def _record(
    conn: Connection, deps: Deps, command: Command, meta: Metadata, expected_version: int | None
) -> Outcome:
    decided = await execute(
        conn,
        deps.store,
        command.case_id,
        command,
        domain.decider,
        meta=meta,
        expected_version=expected_version,
    )
    await read_tables.save_case(conn, decided.state, decided.version, decided.events)
    return decided
