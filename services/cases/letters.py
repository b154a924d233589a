"""交办函 (assignment letters): one per 交办 or 重新交办, numbered per year, e.g. 交办函〔2026〕12号.

Where the number comes from: the year's letter stream `assignment-letters:<year>` in cases' own event store, whose
version is the letter's sequence number. The letter is appended in the transaction of the case's Assigned (or
Reassigned), so:

- unique: the events table's key (stream_id, stream_version) refuses a second letter at one number, across
  instances (they share the database);
- gap-free: a number exists only with its committed letter; a refused or rolled-back 交办 takes none with it;
- in turn: an assignment takes the year's numbering lock (a transaction-level advisory lock, released at its commit
  or rollback) before it reads the stream's version, so assignments at once queue for the number instead of racing
  for it. They raced before (read n, insert, find n + 1 taken, try again, 20 times): with a few hundred at once one
  could lose every time, and its ConcurrencyConflict, the letter stream's, reached the caller as a 409 on the case's
  If-Match (`test_assignment_letters.py`, 300 at once; the drill's stop of Kafka, its retries piling up). The optimistic
  retry stays behind the lock for a letter appended without it (none is, today). So a caller's If-Match on the case is
  never spoilt by another case's assignment.

Why an event on its own stream, not a counter table nor a number inside Assigned: the number is a fact the county
reports and the documents quote, so it is on the topic with the letter's content (projections counts and serves
letters from it alone); a number inside Assigned would have meant a third schema version of Assigned and a case
stream that depends on a county-wide counter, and a counter table a number that is not an event.
"""

import asyncio
import random

from shared.clock import SHANGHAI
from shared.contracts.cases import Assigned, AssignmentLetterIssued, Reassigned, letter_stream
from shared.db import Connection
from shared.envelope import Envelope
from shared.eventstore import ConcurrencyConflict, EventStore, Metadata

# The letter's number as the county writes it (交办函〔2026〕12号).
LETTER_NO = "交办函〔{year}〕{seq}号"
# How often a letter is numbered again should the number be taken all the same (see the module).
ATTEMPTS = 20
BACKOFF_SECONDS = 0.005
# The advisory locks' first key for the years' numbering (the second: the year); only this module takes them.
_NUMBERING_LOCKS = 0x4C455454  # "LETT"


def letter_of(assignment: Envelope, seq: int) -> AssignmentLetterIssued:
    """The letter of one Assigned or Reassigned: its 五定, numbered `seq` in the year of the assignment (北京时间)."""
    payload = assignment.payload
    assert isinstance(payload, Assigned | Reassigned), "a letter states a 交办"
    year = assignment.occurred_at.astimezone(SHANGHAI).year
    return AssignmentLetterIssued(
        letter_no=LETTER_NO.format(year=year, seq=seq),
        year=year,
        seq=seq,
        case_id=assignment.stream_id,
        assignment_event_id=str(assignment.event_id),
        reassigned=isinstance(payload, Reassigned),
        problem=payload.problem,
        task=payload.task,
        unit=payload.unit,
        leader=payload.leader,
        deadline=payload.deadline,
        measures=payload.measures,
    )


async def issue(conn: Connection, store: EventStore, appended: list[Envelope], meta: Metadata) -> list[Envelope]:
    """The letters of the 交办 among `appended`, in the caller's transaction (the case's command's)."""
    letters: list[Envelope] = []
    for assignment in appended:
        if isinstance(assignment.payload, Assigned | Reassigned):
            letters.extend(await _number(conn, store, assignment, meta))
    return letters


async def _number(conn: Connection, store: EventStore, assignment: Envelope, meta: Metadata) -> list[Envelope]:
    year = assignment.occurred_at.astimezone(SHANGHAI).year
    stream = letter_stream(year)
    caused = Metadata(actor=meta.actor, correlation_id=meta.correlation_id, causation_id=str(assignment.event_id))
    # Held to the case's commit: the next assignment reads the version after this letter is in it.
    await conn.execute("select pg_advisory_xact_lock($1, $2)", _NUMBERING_LOCKS, year)
    for n in range(1, ATTEMPTS + 1):
        version = await store.version(conn, stream)
        try:
            # One event: all or nothing without a savepoint, so the case's transaction stays usable on a conflict.
            return await store.append(conn, stream, [letter_of(assignment, version + 1)], version, caused)
        except ConcurrencyConflict:
            if n == ATTEMPTS:
                raise
        await asyncio.sleep(random.uniform(0, BACKOFF_SECONDS * n))
    raise AssertionError("unreachable: the last attempt returns or raises")
