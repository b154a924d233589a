"""Chains the events stored before the chain existed (run by shared/db.py right after migration 003, in its
transaction): each stream in version order, its first event from GENESIS, as an append would have."""

from typing import Any

from shared.audit.chain import GENESIS, content_digest, link
from shared.audit.verify import STORED_EVENTS, stored_event
from shared.db import Connection

BATCH = 1_000


async def chain_stored_events(conn: Connection) -> int:
    """Sets prev_hash and hash of every event that has none; returns how many. Must run inside a transaction."""
    chained = 0
    prev_stream: str | None = None
    prev_hash = GENESIS
    pending: list[tuple[Any, bytes, bytes]] = []
    async for row in conn.cursor(STORED_EVENTS.format(where="")):
        if row["stream_id"] != prev_stream:
            prev_stream, prev_hash = row["stream_id"], GENESIS
        digest = content_digest(**stored_event(row).fields)
        event_hash = link(prev_hash, digest)
        pending.append((row["event_id"], prev_hash, event_hash))
        prev_hash = event_hash
        if len(pending) >= BATCH:
            chained += await _write(conn, pending)
            pending = []
    return chained + await _write(conn, pending)


async def _write(conn: Connection, rows: list[tuple[Any, bytes, bytes]]) -> int:
    if rows:
        await conn.execute(
            """update events e set prev_hash = c.prev_hash, hash = c.hash
                 from unnest($1::uuid[], $2::bytea[], $3::bytea[]) as c (event_id, prev_hash, hash)
                where e.event_id = c.event_id""",
            [r[0] for r in rows],
            [r[1] for r in rows],
            [r[2] for r in rows],
        )
    return len(rows)
