"""Measures (问责措施): imposed and revoked here, and read here."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from services.accountability import handlers, read_tables, schemas
from services.accountability.commands import ImposeMeasure, MeasureCommand, RevokeMeasure
from services.accountability.deps import Deps, DepsDep
from shared.auth import STAFF, Role, require
from shared.commands import CommandRequest, command_request
from shared.contracts.codes import MeasureKind
from shared.errors import NotFound

router = APIRouter(prefix="/v1/measures", tags=["measures"], dependencies=[require(*STAFF)])

# The discipline commission (纪委监委) imposes and revokes measures; the county's 督察办 issues criticism notices too.
MeasureCommandRequest = Annotated[CommandRequest, command_request(Role.DISCIPLINE, Role.INSPECTION_OFFICE)]
MeasureId = Annotated[str, Path(min_length=1, max_length=64)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=schemas.MeasureOut)
async def impose_measure(body: schemas.MeasureIn, deps: DepsDep, request: MeasureCommandRequest) -> schemas.MeasureOut:
    """Imposes a measure (MeasureImposed); stored with its read row before the 201, its version in the ETag."""
    command = ImposeMeasure(
        measure_id=str(uuid.uuid4()),
        target_kind=body.target.kind,
        unit=body.target.unit,
        name=body.target.name,
        post=body.target.post,
        measure=body.measure,
        reason=body.reason,
        case_ids=body.case_ids,
        imposed_by=request.principal.actor,
    )
    out = await _change(deps, command, request)
    request.response.headers["Location"] = f"{router.prefix}/{out.measure_id}"
    return out


@router.post("/{measure_id}/revoke", response_model=schemas.MeasureOut)
async def revoke_measure(
    measure_id: MeasureId,
    body: schemas.RevokeIn,
    deps: DepsDep,
    request: MeasureCommandRequest,
) -> schemas.MeasureOut:
    """Revokes a measure (MeasureRevoked); a second revocation, or a stale If-Match, is refused with 409."""
    command = RevokeMeasure(measure_id=measure_id, reason=body.reason)
    return await _change(deps, command, request)


async def _change(deps: Deps, command: MeasureCommand, request: CommandRequest) -> schemas.MeasureOut:
    async with deps.pool.acquire() as conn:
        decided = await handlers.handle(
            conn, deps.store, command, request.meta, expected_version=request.expected_version
        )
        row = await read_tables.measure(conn, command.measure_id)
    assert row is not None, "the read row is written with the event"
    request.answer(decided.version)
    return schemas.measure_out(row)


@router.get("", response_model=schemas.MeasureList)
async def list_measures(
    deps: DepsDep,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="year imposed, Asia/Shanghai")] = None,
    measure: MeasureKind | None = None,
    unit: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
) -> schemas.MeasureList:
    """Measures, revoked ones included (with their status); the tally counts only those in force."""
    async with deps.pool.acquire() as conn:
        rows = await read_tables.find_measures(conn, year=year, measure=measure.value if measure else None, unit=unit)
    return schemas.measure_list(rows)


@router.get("/{measure_id}", response_model=schemas.MeasureOut)
async def get_measure(measure_id: MeasureId, deps: DepsDep) -> schemas.MeasureOut:
    async with deps.pool.acquire() as conn:
        row = await read_tables.measure(conn, measure_id)
    if row is None:
        raise NotFound("问责措施", measure_id)
    return schemas.measure_out(row)
