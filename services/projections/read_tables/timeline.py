"""Case timelines (案件时间线): every fact of one issue across the four topics, in time order.

An issue's own streams (intake, cases) name it; enforcement cases name it when they are filed,
and their later events belong to it through that filing; escalations and measures name it in
their case ids, and a revocation belongs to it through its measure.
"""

import asyncpg

from shared.db import Connection

TOPIC_ORDER = "array_position(array['intake', 'cases', 'enforcement', 'accountability'], topic)"


async def events(conn: Connection, issue_id: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        f"""with enforcement_cases as (
                select stream_id from facts where type = 'EnforcementCaseOpened' and issue_ids @> array[$1]
            ), measures as (
                select payload ->> 'measure_id' as measure_id from facts
                 where type = 'MeasureImposed' and issue_ids @> array[$1]
            )
            select * from facts
             where issue_ids @> array[$1]
                or (topic = 'enforcement' and stream_id in (select stream_id from enforcement_cases))
                or (topic = 'accountability' and type = 'MeasureRevoked'
                    and payload ->> 'measure_id' in (select measure_id from measures))
             order by occurred_at, {TOPIC_ORDER}, stream_id, stream_version, event_id""",
        issue_id,
    )
    return rows
