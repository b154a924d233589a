"""What a 交办函 states, read from the case as it stands (issues: the 五定 now), its last 交办 and the number of its
latest letter (facts: AssignmentLetterIssued, 交办函〔2026〕12号)."""

import asyncpg

from shared.contracts.cases import AssignmentLetterIssued
from shared.db import Connection


async def assignment(conn: Connection, issue_id: str) -> asyncpg.Record | None:
    """The issue's current 五定, with the time and 联络渠道 of the 交办 or 重新交办 that gave them (null: none yet).

    A 延期 or a 督办 with an earlier deadline moves the deadline after the 交办: the letter states the deadline in
    force, as the case does. `letter_no`: the case's latest AssignmentLetterIssued (null: none, e.g. a case assigned
    before the letters were numbered).
    """
    row: asyncpg.Record | None = await conn.fetchrow(
        """select i.issue_id, i.title, i.source, i.township, i.unit, i.leader_name, i.leader_post, i.problem, i.task,
                  i.measures, i.deadline, a.occurred_at as assigned_at, a.payload -> 'leader' ->> 'liaison' as liaison,
                  l.letter_no
             from issues i
             left join lateral (
                  select occurred_at, payload from facts
                   where topic = 'cases' and stream_id = i.issue_id and type in ('Assigned', 'Reassigned')
                   order by stream_version desc limit 1
             ) a on true
             left join lateral (
                  select payload ->> 'letter_no' as letter_no from facts
                   where type = $2 and issue_ids @> array[i.issue_id]::text[]
                   order by occurred_at desc, (payload ->> 'year')::integer desc, (payload ->> 'seq')::integer desc
                   limit 1
             ) l on true
            where i.issue_id = $1""",
        issue_id,
        AssignmentLetterIssued.event_type(),
    )
    return row
