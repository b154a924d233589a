"""What a 交办函 states, read from the case as it stands (issues: the 五定 now) and its last 交办 (facts)."""

import asyncpg

from shared.db import Connection


async def assignment(conn: Connection, issue_id: str) -> asyncpg.Record | None:
    """The issue's current 五定, with the time and 联络渠道 of the 交办 or 重新交办 that gave them (null: none yet).

    A 延期 or a 督办 with an earlier deadline moves the deadline after the 交办: the letter states the deadline in
    force, as the case does.
    """
    row: asyncpg.Record | None = await conn.fetchrow(
        """select i.issue_id, i.title, i.source, i.township, i.unit, i.leader_name, i.leader_post, i.problem, i.task,
                  i.measures, i.deadline, a.occurred_at as assigned_at, a.payload -> 'leader' ->> 'liaison' as liaison
             from issues i
             left join lateral (
                  select occurred_at, payload from facts
                   where topic = 'cases' and stream_id = i.issue_id and type in ('Assigned', 'Reassigned')
                   order by stream_version desc limit 1
             ) a on true
            where i.issue_id = $1""",
        issue_id,
    )
    return row
