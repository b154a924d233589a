"""查阅记录: who read an issue's reporter contacts, from the audit events (ContactRead) in intake's event store.

Before reads were audit events they were rows of `contact_reads`. On start, `move_contact_reads` turns each such row
into its ContactRead event (the read's own time, actor and reports; role operator, the only one that could read;
address not recorded) and deletes the row, both in one transaction, a batch at a time: a row is either still a row
or an event, never both and never neither. Its stream id is made from the row's id, so should a batch ever be
appended twice the second append conflicts instead of recording the read twice. Several instances share the work
(`for update skip locked`).
"""

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import datetime

import structlog

from services.intake.deps import Deps
from shared.audit.reads import STREAM_PREFIX
from shared.contracts.audit import ContactRead
from shared.db import Connection
from shared.envelope import Envelope
from shared.eventstore import ConcurrencyConflict, EventStore

log = structlog.get_logger()

BATCH = 500
RETRY_SECONDS = 5.0
# What a read recorded before addresses were says for its address.
NOT_RECORDED = "未记录"
BACKFILL_CORRELATION = "contact-reads-backfill"


@dataclass(frozen=True)
class RecordedRead:
    """One read of an issue's reporter contacts: who, in which role, from where, when, which reports' contacts."""

    actor: str
    role: str
    address: str
    read_at: datetime
    report_ids: list[str]


async def recorded_reads(conn: Connection, issue_id: str) -> list[RecordedRead]:
    rows = await conn.fetch(
        """select actor, occurred_at, payload from events
            where type = 'ContactRead' and payload ->> 'issue_id' = $1
            order by occurred_at, stream_id""",
        issue_id,
    )
    reads = []
    for row in rows:
        payload = ContactRead.model_validate(row["payload"])
        reads.append(RecordedRead(row["actor"], payload.role, payload.address, row["occurred_at"], payload.report_ids))
    return reads


async def move_batch(conn: Connection, store: EventStore) -> int:
    """Moves up to BATCH rows of contact_reads into ContactRead events; returns how many it moved."""
    async with conn.transaction():
        rows = await conn.fetch(
            """select id, issue_id, actor, read_at, report_ids from contact_reads
                order by id limit $1 for update skip locked""",
            BATCH,
        )
        for row in rows:
            event = ContactRead(
                role="operator",
                address=NOT_RECORDED,
                issue_id=row["issue_id"],
                report_ids=[str(r) for r in row["report_ids"]],
            )
            envelope = Envelope.wrap(
                event,
                stream_id=f"{STREAM_PREFIX}contact-reads-{row['id']}",
                stream_version=1,
                actor=row["actor"],
                correlation_id=BACKFILL_CORRELATION,
                occurred_at=row["read_at"],
            )
            with contextlib.suppress(ConcurrencyConflict):  # appended already: the row only goes
                await store.append_recorded(conn, [envelope])
        await conn.execute("delete from contact_reads where id = any($1::bigint[])", [r["id"] for r in rows])
    return len(rows)


async def move_all(conn: Connection, store: EventStore) -> int:
    moved = 0
    while count := await move_batch(conn, store):
        moved += count
    return moved


async def move_contact_reads(deps: Deps, stopping: asyncio.Event) -> None:
    """The start-up job: moves every recorded read into events once (retrying while the database is away)."""
    while not stopping.is_set():
        try:
            async with deps.pool.acquire() as conn:
                moved = await move_all(conn, deps.audit)
            if moved:
                log.info("contact_reads_moved", moved=moved)
            break
        except Exception as exc:  # retried: the old reads must reach the audit topic
            log.warning("contact_reads_move_failed", error=repr(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), RETRY_SECONDS)
    await stopping.wait()
