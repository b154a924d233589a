"""The tamper fault (篡改): someone with write access to a service's database edits its event store, and `verify`
must name each edit. Three edits, each in a stream of its own with three events or more (never its last event, which
the load may be appending after): an UPDATE of version 1's payload, a DELETE of version 2, and versions 1 and 2
swapped. `verify` must answer `changed` at version 1, `removed` at version 3 (the event after the gap) and
`reordered` at version 1 of those streams, and nothing else; then the edits are undone and the store verifies intact.
"""

from dataclasses import dataclass
from typing import Any

import asyncpg

from shared.audit.verify import Break, verify_store

# A version no stream reaches, to move a row out of the way while two swap places (the key is (stream, version)).
ASIDE = 2_000_000_000


@dataclass(frozen=True)
class Edit:
    """One edit made: what verify must name for it, and the rows to put back."""

    stream_id: str
    kind: str  # changed | removed | reordered
    named_version: int  # where verify names it
    original: list[dict[str, Any]]


async def streams_to_tamper(conn: asyncpg.Connection, count: int = 3) -> list[str]:
    """Streams of three events or more, all published (the relay never sends a row while it is edited)."""
    rows = await conn.fetch(
        """select stream_id from events e
            where not exists (select 1 from outbox o where o.event_id = e.event_id)
            group by stream_id having count(*) >= 3 order by stream_id limit $1""",
        count,
    )
    return [row["stream_id"] for row in rows]


async def _rows(conn: asyncpg.Connection, stream_id: str, versions: tuple[int, ...]) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "select * from events where stream_id = $1 and stream_version = any($2::integer[]) order by stream_version",
        stream_id,
        list(versions),
    )
    return [dict(row) for row in rows]


async def tamper(conn: asyncpg.Connection) -> list[Edit]:
    """Makes the three edits in three streams of the store (none when it has fewer than three such streams)."""
    streams = await streams_to_tamper(conn)
    if len(streams) < 3:
        return []
    changed, removed, swapped = streams
    edits = [
        Edit(changed, "changed", 1, await _rows(conn, changed, (1,))),
        Edit(removed, "removed", 3, await _rows(conn, removed, (2,))),
        Edit(swapped, "reordered", 1, await _rows(conn, swapped, (1, 2))),
    ]
    async with conn.transaction():
        await conn.execute(
            """update events set payload = jsonb_set(payload, '{tampered}', '"虚假整改"')
                where stream_id = $1 and stream_version = 1""",
            changed,
        )
        await conn.execute("delete from events where stream_id = $1 and stream_version = 2", removed)
        await _swap(conn, swapped)
    return edits


async def _swap(conn: asyncpg.Connection, stream_id: str) -> None:
    for old, new in ((1, ASIDE), (2, 1), (ASIDE, 2)):
        await conn.execute(
            "update events set stream_version = $3 where stream_id = $1 and stream_version = $2", stream_id, old, new
        )


async def undo(conn: asyncpg.Connection, edits: list[Edit]) -> None:
    """Puts the edited rows back as they were."""
    async with conn.transaction():
        for edit in edits:
            if edit.kind == "changed":
                [row] = edit.original
                await conn.execute(
                    "update events set payload = $2 where event_id = $1", row["event_id"], row["payload"]
                )
            elif edit.kind == "removed":
                [row] = edit.original
                columns = list(row)
                await conn.execute(
                    f"insert into events ({', '.join(columns)}) values "
                    f"({', '.join(f'${i}' for i in range(1, len(columns) + 1))})",
                    *row.values(),
                )
            else:
                await _swap(conn, edit.stream_id)


def unnamed(edits: list[Edit], breaks: list[Break]) -> list[str]:
    """What verify should have named and did not, or named and should not have."""
    expected = {(e.stream_id, e.named_version, e.kind) for e in edits}
    found = {(b.stream_id, b.stream_version, b.kind) for b in breaks}
    return [f"not named: {kind} at {s} version {v}" for s, v, kind in sorted(expected - found)] + [
        f"named though not edited: {kind} at {s} version {v}" for s, v, kind in sorted(found - expected)
    ]


async def tamper_and_verify(name: str, dsn: str) -> tuple[list[Edit], list[str]]:
    """Edits the store at `dsn`, checks that verify names each edit, undoes them, checks it verifies intact again.
    The edits made and what went wrong (nothing: every edit named, and intact once undone)."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.set_type_codec("jsonb", encoder=lambda v: v, decoder=lambda v: v, schema="pg_catalog")
        edits = await tamper(conn)
        if not edits:
            return [], [f"{name}: fewer than three streams of three events to tamper with"]
        try:
            problems = unnamed(edits, (await verify_store(name, dsn)).breaks)
        finally:
            await undo(conn, edits)
        after = await verify_store(name, dsn)
        problems += [
            f"still broken once undone: {b.kind} at {b.stream_id} version {b.stream_version}" for b in after.breaks
        ]
        return edits, problems
    finally:
        await conn.close()
