"""The appender (叶子追加): places committed events as the audit tree's leaves, once each, in an order that never
changes, and keeps the tree's frontier (shared/audit/merkle.py) with them.

Events carry no global sequence, and concurrent transactions commit out of their insert order, so a log tailed by
insert order would skip an event committed late. Instead each event records its transaction's id (`xid`, migration
004); a round reads the oldest transaction still running that is connected to this database (`this_databases_horizon`):
every transaction below it that wrote here has committed or rolled back, so the events with `xid` below it are all
visible and final. They
are placed ordered by (xid, event id), after the last one placed; one later can only have a higher xid. The append
path pays for it the column's default and one index entry (no lock, no round trip; measured in bench/README.md).

One transaction per round: the tree's row is taken FOR UPDATE SKIP LOCKED (one appender at a time, whatever the
number of instances; another finds it taken and waits for the next round), the leaves inserted and the row updated
together, so a crash places nothing. A long transaction in the same database holds the horizon back: events wait,
none is skipped; one in another database (another service on the same server) does not.

An on-demand checkpoint (`place_all`) must cover what committed before it was asked for, so it waits instead: for the
tree's row, which a background round may hold, and for the transactions running here at the call to end.
"""

import asyncio
import contextlib
import time

import asyncpg
import structlog

from shared.audit.merkle import TILE, Frontier, SparseLeaves, leaf_hash, needed_leaves, tile_roots
from shared.db import Connection

log = structlog.get_logger()

# Events placed per round: bounded memory, and a backlog does not hold the tree's row for long.
BATCH = 5000

# How long `place_all` waits for the transactions running at its call to end. They are a request's or a consumer
# batch's (milliseconds); one held longer leaves its events, and those committed after it, to the next checkpoint.
SETTLE = 5.0

# An event placed already is not placed again, should its row come back with a later xid (a row deleted and restored,
# as the drill's tamper fault does, or a restore from a backup): the log then names it once, where it was first.
_NEXT = """select e.event_id, e.hash, e.xid from events e
            where e.xid < $1 and (e.xid, e.event_id) > ($2, $3)
              and not exists (select 1 from audit_leaves l where l.event_id = e.event_id)
            order by e.xid, e.event_id limit $4"""


async def place(conn: Connection, batch: int = BATCH, *, wait: bool = False) -> int:
    """One round in its own transaction: the events committed below the horizon become leaves; how many (0 when
    another appender holds the tree, unless `wait`: then after it)."""
    async with conn.transaction():
        tree = await conn.fetchrow(f"select * from audit_tree for update{'' if wait else ' skip locked'}")
        if tree is None:
            return 0
        horizon = await this_databases_horizon(conn)
        rows = await conn.fetch(_NEXT, horizon, tree["last_xid"], tree["last_event"], batch)
        if not rows:
            return 0
        frontier = Frontier(tree["size"], tuple(tree["frontier"])).extend([leaf_hash(r["hash"]) for r in rows])
        await conn.execute(
            """insert into audit_leaves (position, event_id, hash)
               select $1 + p - 1, e, h from unnest($2::uuid[], $3::bytea[]) with ordinality as l (e, h, p)""",
            tree["size"],
            [r["event_id"] for r in rows],
            [r["hash"] for r in rows],
        )
        await _write_tiles(conn, tree["size"], frontier.size)
        last = rows[-1]
        await conn.execute(
            """update audit_tree set size = $1, frontier = $2, last_xid = $3, last_event = $4""",
            frontier.size,
            list(frontier.nodes),
            last["xid"],
            last["event_id"],
        )
        return len(rows)


async def this_databases_horizon(conn: Connection) -> int:
    """The oldest transaction id that may still write events here: the smallest of the snapshot's running ids whose
    backend is connected to this database, or else the snapshot's next id. Every transaction below it that wrote here
    has ended, so its events are visible to the next statement and final.

    The snapshot first, the backends second: a transaction running at the snapshot and gone by the second read has
    ended (and is visible to the statements after); one that takes an id after the snapshot takes one at or above its
    next id. Only a database's own backends can write its rows, so a long transaction in another database (another
    service on the same server) holds nothing back. pg_stat_activity shows 32-bit ids; they are matched to the
    snapshot's 64-bit ones modulo 2^32 (running ids lie within 2^31 of each other)."""
    snapshot = await conn.fetchval("select pg_current_snapshot()::text")
    xmin, xmax, running = snapshot.split(":")
    if not running:
        return int(xmax)
    backends = await conn.fetch(
        """select backend_xid::text as xid, query = '<insufficient privilege>' as hidden from pg_stat_activity
            where datname = current_database()"""
    )
    if any(b["hidden"] for b in backends):
        # a session of another role this one may not see (no pg_read_all_stats): the server's horizon, always safe
        return int(xmin)
    here = {int(b["xid"]) for b in backends if b["xid"] is not None}
    ours = [xid for xid in map(int, running.split(",")) if xid % 2**32 in here]
    return min(ours) if ours else int(xmax)


async def _write_tiles(conn: Connection, old_size: int, new_size: int) -> None:
    """The roots of the tiles the round completed, from their leaves (some placed by earlier rounds)."""
    first, end = old_size // TILE * TILE, new_size // TILE * TILE
    if end <= first:
        return
    leaves = [leaf_hash(r["hash"]) for r in await conn.fetch(_LEAVES, first, end)]
    await conn.executemany(
        "insert into audit_tiles (tile, root) values ($1, $2)",
        [(first // TILE + i, root) for i, root in enumerate(tile_roots(leaves))],
    )


async def place_all(conn: Connection, settle: float = SETTLE) -> int:
    """Every event committed before the call is a leaf after it: waits up to `settle` seconds for this database's
    transactions running at the call to end (an event above one still running cannot be placed without skipping that
    one's), then rounds, each after any round another appender holds, until none places anything."""
    called = int((await conn.fetchval("select pg_current_snapshot()::text")).split(":")[1])
    deadline = time.monotonic() + settle
    while (horizon := await this_databases_horizon(conn)) < called:
        if time.monotonic() >= deadline:
            log.warning("audit_place_held_back", horizon=horizon, called=called, waited_s=settle)
            break
        await asyncio.sleep(0.01)
    placed = 0
    while count := await place(conn, wait=True):
        placed += count
    return placed


async def frontier(conn: Connection) -> Frontier:
    tree = await conn.fetchrow("select size, frontier from audit_tree")
    assert tree is not None
    return Frontier(tree["size"], tuple(tree["frontier"]))


_LEAVES = "select position, hash from audit_leaves where position >= $1 and position < $2 order by position"


async def leaf_hashes(conn: Connection, size: int) -> list[bytes]:
    """The first `size` leaves' hashes (`leaf_hash` of each event hash), in order."""
    return [leaf_hash(r["hash"]) for r in await conn.fetch(_LEAVES, 0, size)]


async def proof_inputs(conn: Connection, size: int, *positions: int) -> tuple[SparseLeaves, list[bytes]]:
    """What a proof over the first `size` leaves reads: the complete tiles' roots, and the leaves of the tiles of
    `positions` and of the last tile (merkle.needed_leaves)."""
    known: dict[int, bytes] = {}
    for start, end in needed_leaves(size, positions):
        known |= {r["position"]: leaf_hash(r["hash"]) for r in await conn.fetch(_LEAVES, start, end)}
    tiles = await conn.fetch("select root from audit_tiles where tile < $1 order by tile", size // TILE)
    return SparseLeaves(size, known), [r["root"] for r in tiles]


async def run_appender(pool: asyncpg.Pool, stopping: asyncio.Event, every: float) -> None:
    """The background job: a round every `every` seconds (sooner while a backlog lasts) until the service stops."""
    while not stopping.is_set():
        delay = every
        try:
            async with pool.acquire() as conn:
                if await place(conn) == BATCH:
                    delay = 0
        except Exception as exc:  # the job must outlive a lost connection; nothing was placed, the next round retries
            log.warning("audit_append_failed", error=repr(exc), retry_in=every)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), delay)
