"""Joint inspection rounds (联合督查): opened, their findings recorded, closed by the 督察办; read by the county."""

from typing import Annotated

from fastapi import APIRouter, Path, status

from services.accountability import schemas
from services.accountability.api.documents import OfficeCommand, read, run
from services.accountability.commands import CloseRound, OpenRound, RecordFinding
from services.accountability.deps import DepsDep
from services.accountability.domain.rounds import round_stream
from shared.auth import require
from shared.ids import new_id
from shared.scope import COUNTY_READERS

router = APIRouter(prefix="/v1/rounds", tags=["rounds"], dependencies=[require(*COUNTY_READERS)])
RoundId = Annotated[str, Path(min_length=1, max_length=64)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=schemas.DocumentOut, summary="启动联合督查")
async def open_round(body: schemas.RoundIn, deps: DepsDep, request: OfficeCommand) -> schemas.DocumentOut:
    command = OpenRound(
        round_id=str(new_id()),
        name=body.name,
        member_units=body.member_units,
        lead_unit=body.lead_unit,
        period_from=body.period_from,
        period_to=body.period_to,
    )
    out = await run(deps, command, request)
    request.response.headers["Location"] = f"{router.prefix}/{command.round_id}"
    return out


@router.post("/{round_id}/findings", response_model=schemas.DocumentOut, summary="记录督查发现（关联其受理的问题）")
async def record_finding(
    round_id: RoundId, body: schemas.FindingIn, deps: DepsDep, request: OfficeCommand
) -> schemas.DocumentOut:
    command = RecordFinding(round_id=round_id, finding_id=str(new_id()), issue_id=body.issue_id, note=body.note)
    return await run(deps, command, request)


@router.post("/{round_id}/close", response_model=schemas.DocumentOut, summary="结束联合督查")
async def close_round(
    round_id: RoundId, body: schemas.CloseRoundIn, deps: DepsDep, request: OfficeCommand
) -> schemas.DocumentOut:
    return await run(deps, CloseRound(round_id=round_id, summary=body.summary), request)


@router.get("/{round_id}", response_model=schemas.DocumentOut, summary="联合督查：启动、督查发现、结束")
async def get_round(round_id: RoundId, deps: DepsDep) -> schemas.DocumentOut:
    return await read(deps, round_stream(round_id), "联合督查", round_id)
