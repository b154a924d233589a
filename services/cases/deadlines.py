"""The deadline poller (整改时限): DeadlineApproaching before the breach, DeadlineMissed once it passed.

Each due row is claimed with FOR UPDATE SKIP LOCKED together with its case's row, and in
that same transaction the command runs through the one handler (the event appended with
its outbox row, the row marked). So with several instances a row is fired by one of them;
a crash before the commit rolls the claim back and the row is due again; and the domain
refuses a second DeadlineMissed for the same deadline whatever happens around it.

A person's command on the same case waits for the claim when it writes the case's row; if the
poller appended meanwhile, the handler's policy (shared.commands.write) decides the command again
on the fresh history. A command that has already written the case's row holds it, so the claim
skips that case until the next round. Should a command append in the moment between the claim
and the poller's own append, PostgreSQL finds the two waiting on each other and refuses the
poller, which waited first: its claim rolls back and the row is fired in a later round, the
person's command going through about a second late.
"""

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import asyncpg
import structlog

from services.cases import handlers
from services.cases.commands import Command, MarkDeadlineMissed, WarnDeadline
from services.cases.deps import Deps
from shared import clock
from shared.db import Connection
from shared.eventstore import Metadata
from shared.metrics import DEADLINE_POLLER_DELAY

log = structlog.get_logger()

ACTOR = "system:deadlines"
# Rows fired per kind in one round, so that a backlog does not keep the poller from stopping.
BATCH = 100

_CLAIM = """select d.case_id, d.deadline
              from case_deadlines d join cases c using (case_id)
             where d.missed_at is null and not d.held and {due}
             order by d.deadline
             limit 1
             for update of d, c skip locked"""


async def claim_missed(conn: Connection, now: datetime) -> asyncpg.Record | None:
    """The next deadline that has passed and was not marked missed, locked for this transaction."""
    return await conn.fetchrow(_CLAIM.format(due="d.deadline <= $1"), now)


async def claim_warning(conn: Connection, now: datetime, lead: timedelta) -> asyncpg.Record | None:
    """The next deadline less than `lead` ahead that has not been warned of, locked for this transaction."""
    return await conn.fetchrow(
        _CLAIM.format(due="d.warned_at is null and d.deadline > $1 and d.deadline - $2::interval <= $1"), now, lead
    )


Claim = Callable[[Connection, datetime], Awaitable[asyncpg.Record | None]]
ToCommand = Callable[[asyncpg.Record, datetime], Command]


async def _fire_one(deps: Deps, claim: Claim, to_command: ToCommand) -> bool:
    """Claims one due row and fires it; False when none is due."""
    now = clock.now()
    async with deps.pool.acquire() as conn, conn.transaction():
        row = await claim(conn, now)
        if row is None:
            return False
        meta = Metadata(actor=ACTOR, correlation_id=str(uuid.uuid4()))
        decided = await handlers.handle(conn, deps.store, row["case_id"], to_command(row, now), meta)
        for envelope in decided.events:
            log.info("deadline_fired", case_id=row["case_id"], event_type=envelope.type, deadline=str(row["deadline"]))
            if envelope.type == "DeadlineMissed":
                DEADLINE_POLLER_DELAY.observe((envelope.occurred_at - row["deadline"]).total_seconds())
        return True


async def fire_due(deps: Deps, stopping: asyncio.Event) -> int:
    """Fires every deadline due now, misses first (a warning after the breach says nothing); returns how many."""
    lead = deps.settings.deadline_warning_lead
    kinds: list[tuple[Claim, ToCommand]] = [
        (claim_missed, lambda row, now: MarkDeadlineMissed(deadline=row["deadline"], now=now)),
        (
            lambda conn, now: claim_warning(conn, now, lead),
            lambda row, now: WarnDeadline(deadline=row["deadline"], lead=lead, now=now),
        ),
    ]
    fired = 0
    for claim, to_command in kinds:
        for _ in range(BATCH):
            if stopping.is_set() or not await _fire_one(deps, claim, to_command):
                break
            fired += 1
    return fired


async def poll_deadlines(deps: Deps, stopping: asyncio.Event) -> None:
    """The background job: a round every `deadline_poll_seconds` until the service stops."""
    settings = deps.settings
    backoff = settings.deadline_poll_seconds
    while not stopping.is_set():
        delay = settings.deadline_poll_seconds
        try:
            await fire_due(deps, stopping)
            backoff = settings.deadline_poll_seconds
        except Exception as exc:  # the job must outlive a lost connection or a deadlock; the row stays due
            log.warning("deadline_poll_failed", error=repr(exc), retry_in=backoff)
            delay, backoff = backoff, min(backoff * 2, 30.0)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), delay)
