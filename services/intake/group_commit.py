"""成批提交 (group commit): the reports that arrive together are written in one transaction.

A request hands its submission to `GroupCommit.receive` and waits. One writer at a time takes every report
queued by then (up to `max_batch`), and in one transaction on one connection takes the places' advisory locks, in
sorted order so that several intake processes never wait on each other in a cycle, then decides and records each
report in arrival order (`Intake.record_many`: the reference rule, the place rule, the events with their outbox rows,
the read tables). A report sees the ones before it in the batch, as it would had they been committed before it.
A batch of reports that open new issues and need nothing else written (no location, contact, photo or number to
seal), as most batches under load are, is written by one statement instead, its own transaction, which writes
nothing should one of their references be known (`Intake.record_at_once`); the batch then goes the way above.
Only after COMMIT is each waiting request given its receipt: a 202 still means durable, event and outbox committed.

A batch that fails (a reference another process took meanwhile, a stream that moved on, a report refused, a
database error) is rolled back whole and its reports are received again one by one, each in its own transaction
with the usual retries (`Intake.receive`): a bad report fails alone and the others go through. While a batch is
being written the next requests queue, so the batch grows with the load and a lone report waits for no one.
"""

import asyncio
from dataclasses import dataclass

import asyncpg
import structlog

from services.intake.handlers import Intake, Receipt, Received, Submission
from shared.commands import request_metadata
from shared.db import Connection
from shared.eventstore import Metadata
from shared.ids import new_id

log = structlog.get_logger()

# The most reports one transaction writes: enough to amortise BEGIN, the locks and COMMIT over many, few enough
# that one batch's locks are not held long.
MAX_BATCH = 64
# How many batches are written at once, each on its own connection: while one waits on the database, another
# works. Batches that share a place wait for each other's locks (taken in the same order, so never in a cycle).
WRITERS = 1


@dataclass(frozen=True)
class _Waiting:
    received: Received
    answer: asyncio.Future[Receipt]


class GroupCommit:
    """The reports sent over HTTP, written in batches by one writer at a time."""

    def __init__(self, pool: asyncpg.Pool, intake: Intake, max_batch: int = MAX_BATCH, writers: int = WRITERS) -> None:
        self.pool = pool
        self.intake = intake
        self.max_batch = max_batch
        self.writers = writers
        self._queue: list[_Waiting] = []
        self._writing: set[asyncio.Task[None]] = set()

    async def handle(self, submission: Submission, actor: str) -> Receipt:
        """A report sent over HTTP, by any channel, with the request's metadata."""
        return await self.receive(submission, request_metadata(actor))

    async def receive(self, submission: Submission, meta: Metadata) -> Receipt:
        """The report's receipt, once the transaction that recorded it has committed."""
        answer: asyncio.Future[Receipt] = asyncio.get_running_loop().create_future()
        self._queue.append(_Waiting(Received(submission, new_id(), meta), answer))
        if len(self._writing) < self.writers:
            self._writing.add(asyncio.create_task(self._write_queued(), name="intake-group-commit"))
        return await answer

    async def _write_queued(self) -> None:
        """Writes batches while reports are queued, on one connection (no pool round trip per batch)."""
        task = asyncio.current_task()
        assert task is not None
        try:
            async with self.pool.acquire() as conn:
                while self._queue:
                    batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
                    await self._write(conn, batch)
                # Leaves the set in the same step that found the queue empty (before the connection's release):
                # a report queued from now on starts a writer of its own.
                self._writing.discard(task)
        except Exception as exc:  # no connection: those still queued cannot be written by this writer
            self._writing.discard(task)
            queued, self._queue = self._queue, []
            for waiting in queued:
                if not waiting.answer.done():
                    waiting.answer.set_exception(exc)
            log.warning("group_commit_failed", error=repr(exc))
        finally:
            self._writing.discard(task)

    async def _write(self, conn: Connection, batch: list[_Waiting]) -> None:
        # A request that went away (its client disconnected) before its batch began is not written.
        batch = [w for w in batch if not w.answer.done()]
        try:
            if batch:
                await self._write_batch(conn, batch)
        finally:
            for waiting in batch:  # never leave a request waiting, whatever stopped the writer
                if not waiting.answer.done():
                    waiting.answer.set_exception(RuntimeError("group commit stopped before the report was written"))

    async def _write_batch(self, conn: Connection, batch: list[_Waiting]) -> None:
        received = [w.received for w in batch]
        try:
            # Most batches are new issues and nothing else: one statement, one round trip (handlers.py).
            receipts = await self.intake.record_at_once(conn, received)
            if receipts is None:
                async with conn.transaction():
                    receipts = await self.intake.record_many(conn, received)
        except Exception as exc:
            if len(batch) > 1:
                log.info("group_commit_one_by_one", reports=len(batch), error=type(exc).__name__)
            await self._one_by_one(conn, batch)
            return
        for waiting, receipt in zip(batch, receipts, strict=True):
            if not waiting.answer.done():
                waiting.answer.set_result(receipt)

    async def _one_by_one(self, conn: Connection, batch: list[_Waiting]) -> None:
        for waiting in batch:
            try:
                received = waiting.received
                receipt = await self.intake.receive(
                    conn, received.submission, received.meta, report_id=received.report_id
                )
            except Exception as exc:
                if not waiting.answer.done():
                    waiting.answer.set_exception(exc)
            else:
                if not waiting.answer.done():
                    waiting.answer.set_result(receipt)
