"""Case timelines (案件时间线): every fact of one issue across the four topics, in time order.

An issue's own streams (intake, cases) name it; enforcement cases name it when they are filed,
and their later events belong to it through that filing; escalations and measures name it in
their case ids, and a revocation belongs to it through its measure.
"""

import asyncpg

from shared.db import Connection

TOPIC_ORDER = "array_position(array['intake', 'cases', 'enforcement', 'accountability'], topic)"


async def events(conn: Connection, issue_id: str, *, seen_by: str | None = None) -> list[asyncpg.Record]:
    """The issue's facts; `seen_by` a responsible unit (shared.scope): only the case's own streams and the
    escalations and measures of that unit (enforcement is not the units' to read), without the objections to it
    (公示异议 go to the 督察办: the unit objected to never reads who may have written one)."""
    rows: list[asyncpg.Record] = await conn.fetch(
        f"""with enforcement_cases as (
                select stream_id from facts where type = 'EnforcementCaseOpened' and issue_ids @> array[$1]
            ), measures as (
                select payload ->> 'measure_id' as measure_id, payload -> 'target' ->> 'unit' as unit from facts
                 where type = 'MeasureImposed' and issue_ids @> array[$1]
            )
            select * from (
                -- each by its own index (issue ids; topic and stream; measure id): as one condition with OR,
                -- every enforcement and accountability fact was read (62,000 at 20,000 cases)
                select * from facts where issue_ids @> array[$1]
                union
                select * from facts
                 where topic = 'enforcement' and stream_id in (select stream_id from enforcement_cases)
                union
                select * from facts
                 where topic = 'accountability' and type = 'MeasureRevoked'
                   and payload ->> 'measure_id' in (select measure_id from measures)
            ) f
             where $2::text is null
                or (topic in ('intake', 'cases') and type <> 'ObjectionFiled')
                or (topic = 'accountability'
                    and $2 = coalesce(
                        payload ->> 'unit',
                        payload -> 'target' ->> 'unit',
                        (select m.unit from measures m where m.measure_id = payload ->> 'measure_id' limit 1)))
             order by occurred_at, {TOPIC_ORDER}, stream_id, stream_version, event_id""",
        issue_id,
        seen_by,
    )
    return rows


async def current_unit(conn: Connection, issue_id: str) -> str | None:
    """The responsible unit the issue's case is assigned to now (None: not assigned, or not known here)."""
    unit: str | None = await conn.fetchval(
        "select unit from case_history where issue_id = $1 and valid_to is null", issue_id
    )
    return unit
