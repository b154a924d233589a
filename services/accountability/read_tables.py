"""The service's own tables beside the event store: the ladder's counted steps and the measures read table."""

from uuid import UUID

import asyncpg

from services.accountability.commands import Step
from services.accountability.domain.ladder import Counted, unit_stream
from services.accountability.domain.measures import measure_stream
from services.accountability.policy import Trigger
from shared.clock import SHANGHAI
from shared.contracts.accountability import MeasureImposed, MeasureRevoked
from shared.db import Connection
from shared.envelope import Envelope
from shared.eventstore import row_to_envelope


async def lock_pair(conn: Connection, unit: str, case_id: str) -> None:
    """Serialise the steps of one (unit, case) pair until the transaction ends.

    A pair's events share a Kafka partition (key = case id), so this rarely waits; it
    makes the count right even when a rebalance lets two instances overlap. It locks
    one pair only: other pairs and other units go on in parallel.
    """
    await conn.execute("select pg_advisory_xact_lock(hashtextextended($1, 0))", f"ladder\x1f{unit}\x1f{case_id}")


async def steps_of(conn: Connection, unit: str, case_id: str) -> list[Counted]:
    rows = await conn.fetch(
        """select trigger_event_id, trigger_type, weight, occurred_at, escalation_event_id
             from ladder_steps where unit = $1 and case_id = $2 order by seq""",
        unit,
        case_id,
    )
    return [
        Counted(
            step=Step(
                trigger_event_id=str(r["trigger_event_id"]),
                trigger=Trigger(r["trigger_type"]),
                unit=unit,
                case_id=case_id,
                weight=r["weight"],
                occurred_at=r["occurred_at"],
            ),
            escalated=r["escalation_event_id"] is not None,
        )
        for r in rows
    ]


async def insert_step(conn: Connection, step: Step, escalation_event_id: UUID | None) -> None:
    await conn.execute(
        """insert into ladder_steps (trigger_event_id, trigger_type, unit, case_id, weight, occurred_at,
                                     escalation_event_id)
           values ($1, $2, $3, $4, $5, $6, $7)""",
        UUID(step.trigger_event_id),
        step.trigger.value,
        step.unit,
        step.case_id,
        step.weight,
        step.occurred_at,
        escalation_event_id,
    )
    if escalation_event_id is not None:
        # The pending steps of the pair escalated together with this one.
        await conn.execute(
            """update ladder_steps set escalation_event_id = $3
                where unit = $1 and case_id = $2 and escalation_event_id is null""",
            step.unit,
            step.case_id,
            escalation_event_id,
        )


async def ladders_of(conn: Connection, unit: str) -> list[asyncpg.Record]:
    """Each case of the unit with its count and number of steps."""
    return await conn.fetch(
        """select case_id, sum(weight) as level, count(*) as steps, max(occurred_at) as last_at
             from ladder_steps where unit = $1 group by case_id order by min(seq)""",
        unit,
    )


async def trigger_types(conn: Connection, event_ids: list[str]) -> dict[str, Trigger]:
    rows = await conn.fetch(
        "select trigger_event_id, trigger_type from ladder_steps where trigger_event_id = any($1::uuid[])",
        [UUID(i) for i in event_ids],
    )
    return {str(r["trigger_event_id"]): Trigger(r["trigger_type"]) for r in rows}


async def project_measure(conn: Connection, envelope: Envelope) -> None:
    """Keeps the measures read table in step with one measure event."""
    match envelope.payload:
        case MeasureImposed() as imposed:
            await _insert_measure(conn, envelope, imposed)
        case MeasureRevoked() as revoked:
            await _revoke_measure(conn, envelope, revoked)


async def _insert_measure(conn: Connection, envelope: Envelope, event: MeasureImposed) -> None:
    await conn.execute(
        """insert into measures (measure_id, measure, target_kind, unit, person_name, person_post, reason,
                                 case_ids, imposed_by, imposed_at, imposed_year)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)""",
        event.measure_id,
        event.measure.value,
        event.target.kind.value,
        event.target.unit,
        event.target.name,
        event.target.post,
        event.reason,
        event.case_ids,
        event.imposed_by,
        envelope.occurred_at,
        envelope.occurred_at.astimezone(SHANGHAI).year,
    )


async def _revoke_measure(conn: Connection, envelope: Envelope, event: MeasureRevoked) -> None:
    await conn.execute(
        "update measures set revoked_at = $2, revoked_by = $3, revoke_reason = $4 where measure_id = $1",
        event.measure_id,
        envelope.occurred_at,
        envelope.actor,
        event.reason,
    )


async def measure(conn: Connection, measure_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("select * from measures where measure_id = $1", measure_id)


# The measures matching every filter given ($1 year, $2 kind, $3 unit) within the caller's scope ($4).
_MATCHING = """from measures
            where ($1::int is null or imposed_year = $1)
              and ($2::text is null or measure = $2)
              and ($3::text is null or unit = $3)
              and ($4::text is null or unit = $4)"""


async def find_measures(
    conn: Connection,
    *,
    year: int | None,
    measure: str | None,
    unit: str | None,
    confined_to: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[asyncpg.Record]:
    """Measures matching every filter given, oldest first; `confined_to` is the caller's scope (shared.scope).

    `limit` and `offset` give a page of them (no limit: all).
    """
    return await conn.fetch(
        f"select * {_MATCHING} order by imposed_at, measure_id limit $5 offset $6",
        year,
        measure,
        unit,
        confined_to,
        limit,
        offset,
    )


async def count_measures(
    conn: Connection, *, year: int | None, measure: str | None, unit: str | None, confined_to: str | None = None
) -> dict[str, tuple[int, int]]:
    """Per kind of measure: how many match the filters, and how many of those are in force (not revoked)."""
    rows = await conn.fetch(
        f"select measure, count(*) as listed, count(*) filter (where revoked_at is null) as active {_MATCHING}"
        " group by measure",
        year,
        measure,
        unit,
        confined_to,
    )
    return {r["measure"]: (r["listed"], r["active"]) for r in rows}


async def record_events(conn: Connection, unit: str) -> list[Envelope]:
    """The unit's escalations and the events of the measures about it (or its people), in time order."""
    rows = await conn.fetch(
        """select * from (
               select e.* from events e where e.stream_id = $1
               union all
               select e.* from events e join measures m on e.stream_id = $3 || m.measure_id
                where m.unit = $2
           ) unit_events
           order by occurred_at, recorded_at, stream_id, stream_version""",
        unit_stream(unit),
        unit,
        measure_stream(""),
    )
    return [row_to_envelope(r) for r in rows]
