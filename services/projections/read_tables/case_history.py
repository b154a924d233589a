"""The case_history table (整改状态历史): always the fold of each case's facts.

The fold is the SQL function `case_history_of` (read_models.sql), the rule of `domain.py` written for the database:
a batch's cases have their rows replaced by the fold of all their facts, whatever arrived (the next version, a gap,
an earlier version late, a repeat), in two statements for the whole batch. `domain.py` stays the rule's statement
in Python, unit-tested on its own; tests/integration/projections/test_history.py holds the function to it.
"""

from services.projections.read_tables.facts import BATCH, CASE_FACTS
from shared.db import Connection

COLUMNS = (
    "issue_id, seq, stream_version, valid_from, valid_to, status, unit, leader_name, leader_post, problem, task, "
    "measures, deadline, closed_at, reopened_count, missed_count"
)


async def derive(conn: Connection) -> None:
    """The histories of the cases with facts in the batch (`facts.BATCH`), folded again from all their facts."""
    cases: list[str] = await conn.fetchval(
        f"select coalesce(array_agg(distinct stream_id), '{{}}') from {BATCH} where {CASE_FACTS}"
    )
    await fold_again(conn, cases)


async def fold_again(conn: Connection, case_ids: list[str]) -> None:
    """These cases' histories replaced by the fold of all their facts."""
    if case_ids:
        await conn.execute("delete from case_history where issue_id = any($1::text[])", case_ids)
        await conn.execute("insert into case_history select * from case_history_of($1::text[])", case_ids)


async def fold(conn: Connection, case_ids: list[str]) -> list[dict[str, object]]:
    """The rows the fold gives for these cases, as they would be stored (to compare with `domain.history`)."""
    return [dict(r) for r in await conn.fetch("select * from case_history_of($1::text[])", case_ids)]
