"""A unit's record (问责记录): its escalations and the measures about it or its people."""

from typing import Annotated

from fastapi import APIRouter, Path

from services.accountability import read_tables, schemas
from services.accountability.deps import DepsDep
from shared.auth import STAFF, require
from shared.contracts.accountability import Escalation
from shared.scope import ScopeDep

router = APIRouter(prefix="/v1/units", tags=["units"], dependencies=[require(*STAFF)])


@router.get("/{unit}/record", response_model=schemas.UnitRecord)
async def unit_record(
    unit: Annotated[str, Path(min_length=1, max_length=100)], deps: DepsDep, scope: ScopeDep
) -> schemas.UnitRecord:
    """A unit's escalations and the measures about it or its people, oldest first; empty for a clean record.

    A responsible unit reads its own record only: another unit's is 404.
    """
    scope.check(unit, "单位问责记录", unit)
    # One snapshot, so the escalations, the measures and the ladders agree with each other.
    async with deps.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        events = await read_tables.record_events(conn, unit)
        ladders = await read_tables.ladders_of(conn, unit)
        rows = {r["measure_id"]: r for r in await read_tables.find_measures(conn, year=None, measure=None, unit=unit)}
        trigger_ids = [i for e in events if isinstance(e.payload, Escalation) for i in e.payload.trigger_event_ids]
        triggers = await read_tables.trigger_types(conn, trigger_ids)
    return schemas.UnitRecord(
        unit=unit,
        ladders=[schemas.ladder_out(r) for r in ladders],
        entries=[schemas.record_entry(e, rows, triggers) for e in events],
    )
