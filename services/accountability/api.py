"""Routes of accountability: measures enter here; the measures and a unit's record are read here."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status
from pydantic import BaseModel, Field

from services.accountability import handlers, tables, views
from services.accountability.domain import measures
from services.accountability.policy import Policy
from shared.auth import STAFF, Role, acting_as, require
from shared.contracts.base import Text
from shared.contracts.accountability import Escalation, TargetKind
from shared.contracts.codes import MeasureKind
from shared.errors import NotFound
from shared.eventstore import Metadata
from shared.service import Platform, PlatformDep
from shared.web import current_correlation_id

measures_router = APIRouter(prefix="/v1/measures", tags=["measures"], dependencies=[require(*STAFF)])
units_router = APIRouter(prefix="/v1/units", tags=["units"], dependencies=[require(*STAFF)])
policy_router = APIRouter(prefix="/v1/policy", tags=["policy"], dependencies=[require(*STAFF)])

# The discipline commission (纪委监委) imposes and revokes measures; the county's 督察办 issues criticism notices too.
ActorDep = Annotated[str, acting_as(Role.DISCIPLINE, Role.INSPECTION_OFFICE)]
MeasureId = Annotated[str, Path(min_length=1, max_length=64)]
CaseId = Annotated[str, Field(min_length=1, max_length=64)]


class TargetIn(BaseModel):
    """被问责对象: a unit, or a person with name, post and unit."""

    kind: TargetKind
    unit: Text(100)  # type: ignore[valid-type]
    name: Text(50) | None = None  # type: ignore[valid-type]
    post: Text(100) | None = None  # type: ignore[valid-type]


class MeasureIn(BaseModel):
    """问责措施 to impose."""

    target: TargetIn
    measure: str = Field(
        description="measure kind: " + ", ".join(k.value for k in MeasureKind),
        json_schema_extra={"enum": [k.value for k in MeasureKind]},
    )
    reason: Text(2000)  # type: ignore[valid-type]
    case_ids: list[CaseId] = Field(default_factory=list, max_length=500)


class RevokeIn(BaseModel):
    reason: Text(2000)  # type: ignore[valid-type]


def _meta(who: str) -> Metadata:
    return Metadata(actor=who, correlation_id=current_correlation_id() or str(uuid.uuid4()))


@measures_router.post("", status_code=status.HTTP_201_CREATED, response_model=views.MeasureOut)
async def impose_measure(body: MeasureIn, platform: PlatformDep, who: ActorDep, response: Response) -> views.MeasureOut:
    """Imposes a measure (MeasureImposed); stored with its read row before the 201."""
    command = measures.ImposeMeasure(
        measure_id=str(uuid.uuid4()),
        target_kind=body.target.kind,
        unit=body.target.unit,
        name=body.target.name,
        post=body.target.post,
        measure=body.measure,
        reason=body.reason,
        case_ids=body.case_ids,
        imposed_by=who,
    )
    out = await _change(platform, command, who)
    response.headers["Location"] = f"{measures_router.prefix}/{out.measure_id}"
    return out


@measures_router.post("/{measure_id}/revoke", response_model=views.MeasureOut)
async def revoke_measure(
    measure_id: MeasureId, body: RevokeIn, platform: PlatformDep, who: ActorDep
) -> views.MeasureOut:
    """Revokes a measure (MeasureRevoked); a second revocation is refused with 409."""
    return await _change(platform, measures.RevokeMeasure(measure_id=measure_id, reason=body.reason), who)


async def _change(
    platform: Platform, command: measures.ImposeMeasure | measures.RevokeMeasure, who: str
) -> views.MeasureOut:
    async with platform.pool.acquire() as conn:
        await handlers.change_measure(conn, platform.store, command, _meta(who))
        row = await tables.measure(conn, command.measure_id)
    assert row is not None, "the read row is written with the event"
    return views.measure_out(row)


@measures_router.get("", response_model=views.MeasureList)
async def list_measures(
    platform: PlatformDep,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="year imposed, Asia/Shanghai")] = None,
    measure: MeasureKind | None = None,
    unit: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
) -> views.MeasureList:
    """Measures, revoked ones included (with their status); the tally counts only those in force."""
    async with platform.pool.acquire() as conn:
        rows = await tables.find_measures(conn, year=year, measure=measure.value if measure else None, unit=unit)
    return views.measure_list(rows)


@measures_router.get("/{measure_id}", response_model=views.MeasureOut)
async def get_measure(measure_id: MeasureId, platform: PlatformDep) -> views.MeasureOut:
    async with platform.pool.acquire() as conn:
        row = await tables.measure(conn, measure_id)
    if row is None:
        raise NotFound("问责措施", measure_id)
    return views.measure_out(row)


@units_router.get("/{unit}/record", response_model=views.UnitRecord)
async def unit_record(
    unit: Annotated[str, Path(min_length=1, max_length=100)], platform: PlatformDep
) -> views.UnitRecord:
    """A unit's escalations and the measures about it or its people, oldest first; empty for a clean record."""
    # One snapshot, so the escalations, the measures and the ladders agree with each other.
    async with platform.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        events = await tables.record_events(conn, unit)
        ladders = await tables.ladders_of(conn, unit)
        rows = {r["measure_id"]: r for r in await tables.find_measures(conn, year=None, measure=None, unit=unit)}
        trigger_ids = [i for e in events if isinstance(e.payload, Escalation) for i in e.payload.trigger_event_ids]
        triggers = await tables.trigger_types(conn, trigger_ids)
    return views.UnitRecord(
        unit=unit,
        ladders=[views.ladder_out(r) for r in ladders],
        entries=[views.record_entry(e, rows, triggers) for e in events],
    )


class PolicyOut(BaseModel):
    weights: dict[str, float]
    thresholds: dict[str, float]
    summons_after_days: int
    day_kind: str


@policy_router.get("", response_model=PolicyOut)
async def current_policy(request: Request) -> PolicyOut:
    """The escalation policy this instance applies (the shipped default with ACCOUNTABILITY_POLICY laid over it)."""
    policy: Policy = request.app.state.policy
    return PolicyOut(
        weights={t.value: float(w) for t, w in policy.weights.items()},
        thresholds={
            "warning": float(policy.warning),
            "summons": float(policy.summons),
            "criticism": float(policy.criticism),
            "repeat_every": float(policy.repeat_every),
        },
        summons_after_days=policy.summons_after_days,
        day_kind=policy.day_kind.value,
    )
