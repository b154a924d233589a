"""Load → fold → decide → append, with the case's list row in the same transaction."""

from services.enforcement import domain, read_model
from services.enforcement.case import EnforcementCase
from services.enforcement.commands import Command
from shared.aggregate import Decided, execute
from shared.eventstore import ConcurrencyConflict, Metadata
from shared.service import Platform

# Two officers recording on one case at once: the loser decides again on the fresh history.
ATTEMPTS = 3


async def handle(
    platform: Platform, command: Command, meta: Metadata, expected_version: int | None = None
) -> Decided[EnforcementCase | None]:
    """Runs one command; its events, outbox rows and list row are committed before this returns.

    With `expected_version` (If-Match) a conflict goes back to the client instead of being retried.
    """
    attempts = 1 if expected_version is not None else ATTEMPTS
    for attempt in range(1, attempts + 1):
        try:
            async with platform.pool.acquire() as conn, conn.transaction():
                decided = await execute(
                    conn,
                    platform.store,
                    command.case_id,
                    command,
                    decide=domain.decide,
                    evolve=domain.evolve,
                    initial=None,
                    meta=meta,
                    expected_version=expected_version,
                )
                await read_model.save_case(conn, decided.state, decided.version, decided.events)
            return decided
        except ConcurrencyConflict:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")
