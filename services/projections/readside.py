"""Reading the active generation: one consistent snapshot of the figures and of the offsets they include."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg
from fastapi import HTTPException

from services.projections import generations
from services.projections.deps import Deps
from services.projections.generations import Generation
from services.projections.read_tables.facts import topics
from services.projections.schemas import Answer, ReadModel
from shared.db import Connection

T = TypeVar("T")
LOG_ENDS_MAX_AGE = 0.5
A = TypeVar("A", bound=Answer)


@dataclass(frozen=True)
class View:
    """A read-only repeatable-read transaction on the active generation's tables."""

    conn: Connection
    generation: Generation
    log_ends: dict[tuple[str, int], int] | None
    topics: list[str]

    @property
    def read_model(self) -> ReadModel:
        return ReadModel(generation=self.generation.number, consumer=self.generation.consumer)

    async def answer(self, model: type[A], **fields: Any) -> A:
        """An answer that says what it includes: the positions and the generation of this snapshot."""
        return model(**fields, positions=await self.positions(), read_model=self.read_model)

    async def positions(self) -> dict[str, Any]:
        """Per topic and partition: up to which offset the figures include events, the log end, and the lag."""
        return await positions_of(self.conn, self.generation, self.log_ends, self.topics)


async def positions_of(
    conn: Connection, generation: Generation, ends: dict[tuple[str, int], int] | None, topics: list[str]
) -> dict[str, Any]:
    rows = await conn.fetch(
        'select topic, partition, "offset" from consumer_positions where consumer = $1', generation.consumer
    )
    applied = {(r["topic"], r["partition"]): r["offset"] for r in rows}
    out: dict[str, Any] = {}
    for topic in topics:
        partitions = sorted({p for t, p in (*applied, *(ends or {})) if t == topic})
        out[topic] = {}
        for partition in partitions:
            done = applied.get((topic, partition), 0)
            end = None if ends is None else max(ends.get((topic, partition), 0), done)
            out[topic][str(partition)] = {
                "applied_offset": done,
                "end_offset": end,
                "lag": None if end is None else end - done,
            }
    return out


async def enter(conn: Connection, generation: Generation) -> None:
    """The transaction reads this generation's tables, each statement planned for its values, never JIT-compiled.

    The figures' statements are costed high enough for PostgreSQL's JIT (jit_above_cost 100,000), whose compiling
    took longer than the queries themselves (0.7 s of a 1.4 s trend at 20,000 cases); they run too briefly to gain.
    A prepared statement (asyncpg prepares each) gets a generic plan after five runs, which for the figures
    misjudged the rows of a moment it could not see (a drill-down to closed cases: 70 ms planned for its values,
    2.5 s with the generic plan); planning each run costs about a millisecond.
    """
    await conn.execute(
        "select set_config('search_path', $1, true), set_config('jit', 'off', true),"
        " set_config('plan_cache_mode', 'force_custom_plan', true)",
        generation.search_path,
    )


async def read(deps: Deps, query: Callable[[View], Awaitable[T]], *, tables: bool = True) -> T:
    """Runs `query` on the active generation; once more if a switch dropped the tables under it.

    A query that reads the generation's tables (`tables`) gets 503 while they are of another shape than this code's;
    one that reads only the generations and positions answers throughout (how far a rebuild has come).
    """
    # Requests arriving together (a dashboard's widgets) share one answer of the broker.
    ends = await deps.log_ends.ends(max_age=LOG_ENDS_MAX_AGE)
    for attempt in range(3):
        try:
            async with deps.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
                generation = await generations.active(conn)
                if generation is not None:
                    if tables and not generation.current:
                        raise _outdated(generation)
                    await enter(conn, generation)
                    return await query(View(conn, generation, ends, topics(deps.settings)))
            await generations.ensure_active(deps.pool, deps.settings)  # the service's very first moments
        except (asyncpg.UndefinedTableError, asyncpg.InvalidSchemaNameError):
            if attempt == 2:
                raise
    raise RuntimeError("no active generation of the read models")


def _outdated(generation: Generation) -> HTTPException:
    """Tables of another shape than this code's queries: an answer could fail or be wrong, so none is given."""
    return HTTPException(
        status_code=503,
        detail={
            "code": "read_models_rebuilding",
            "message": "统计数据正在按新版本重新生成，请稍后再试"
            if generation.older
            else "统计服务正在升级，请稍后再试",
        },
        headers={"Retry-After": "30"},
    )
