"""Measures (问责措施): imposed and revoked here, and read here.

The discipline commission (纪委监委) imposes and revokes measures; the 督察办 issues criticism notices
(通报批评) only and revokes only its own (the rule is the domain's: services.accountability.domain.measures).
A responsible unit reads the measures against itself and its own officials only (shared.scope).
"""

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from services.accountability import handlers, read_tables, schemas
from services.accountability.commands import ImposeMeasure, MeasureCommand, RevokeMeasure
from services.accountability.deps import Deps, DepsDep
from shared.auth import STAFF, Role, require
from shared.commands import CommandRequest, command_request
from shared.contracts.accountability import Authority
from shared.contracts.codes import MeasureKind
from shared.errors import NotFound
from shared.ids import new_id
from shared.scope import ScopeDep

router = APIRouter(prefix="/v1/measures", tags=["measures"], dependencies=[require(*STAFF)])

# The discipline commission (纪委监委) imposes and revokes measures; the county's 督察办 issues criticism notices too.
MeasureCommandRequest = Annotated[CommandRequest, command_request(Role.DISCIPLINE, Role.INSPECTION_OFFICE)]
# The authority each of those roles acts as.
AUTHORITIES = {Role.DISCIPLINE: Authority.DISCIPLINE, Role.INSPECTION_OFFICE: Authority.INSPECTION_OFFICE}
MeasureId = Annotated[str, Path(min_length=1, max_length=64)]
MAX_PAGE = 500


@router.post("", status_code=status.HTTP_201_CREATED, response_model=schemas.MeasureOut)
async def impose_measure(body: schemas.MeasureIn, deps: DepsDep, request: MeasureCommandRequest) -> schemas.MeasureOut:
    """Imposes a measure (MeasureImposed); stored with its read row before the 201, its version in the ETag."""
    command = ImposeMeasure(
        measure_id=str(new_id()),
        target_kind=body.target.kind,
        unit=body.target.unit,
        name=body.target.name,
        post=body.target.post,
        measure=body.measure,
        reason=body.reason,
        case_ids=body.case_ids,
        imposed_by=request.principal.actor,
        authority=AUTHORITIES[request.principal.role],
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
    command = RevokeMeasure(measure_id=measure_id, reason=body.reason, authority=AUTHORITIES[request.principal.role])
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
    scope: ScopeDep,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="year imposed, Asia/Shanghai")] = None,
    measure: MeasureKind | None = None,
    unit: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"at most this many measures (≤ {MAX_PAGE})")] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="skip this many measures")] = 0,
) -> schemas.MeasureList:
    """Measures, revoked ones included (with their status), oldest first, a page at a time; `total` says how many.

    The tally counts those in force among all selected, not only the page.
    A responsible unit's list holds only the measures against it and its officials (another `unit`: none).
    """
    kind = measure.value if measure else None
    # One snapshot, so that the page, the total and the tally agree.
    async with deps.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        rows = await read_tables.find_measures(
            conn, year=year, measure=kind, unit=unit, confined_to=scope.unit, limit=limit, offset=offset
        )
        counts = await read_tables.count_measures(conn, year=year, measure=kind, unit=unit, confined_to=scope.unit)
    return schemas.measure_list(rows, counts, limit=limit, offset=offset)


@router.get("/{measure_id}", response_model=schemas.MeasureOut)
async def get_measure(measure_id: MeasureId, deps: DepsDep, scope: ScopeDep) -> schemas.MeasureOut:
    """A measure against another unit or its officials is 404 to a responsible unit, as if it did not exist."""
    async with deps.pool.acquire() as conn:
        row = await read_tables.measure(conn, measure_id)
    if row is None:
        raise NotFound("问责措施", measure_id)
    scope.check(row["unit"], "问责措施", measure_id)
    return schemas.measure_out(row)
