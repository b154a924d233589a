"""Collective summons meetings (集体约谈会): recorded by the 督察办, read by the county."""

from typing import Annotated

from fastapi import APIRouter, Path, status

from services.accountability import schemas
from services.accountability.api.documents import OfficeCommand, read, run
from services.accountability.commands import HoldSummonsMeeting
from services.accountability.deps import DepsDep
from services.accountability.domain.summons import summons_stream
from shared.auth import require
from shared.ids import new_id
from shared.scope import COUNTY_READERS

router = APIRouter(prefix="/v1/summons-meetings", tags=["summons-meetings"], dependencies=[require(*COUNTY_READERS)])
MeetingId = Annotated[str, Path(min_length=1, max_length=64)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=schemas.DocumentOut, summary="记录集体约谈会")
async def hold_summons_meeting(
    body: schemas.SummonsMeetingIn, deps: DepsDep, request: OfficeCommand
) -> schemas.DocumentOut:
    command = HoldSummonsMeeting(
        meeting_id=str(new_id()),
        held_on=body.held_on,
        units=body.units,
        case_ids=body.case_ids,
        host=body.host,
        note=body.note,
    )
    out = await run(deps, command, request)
    request.response.headers["Location"] = f"{router.prefix}/{command.meeting_id}"
    return out


@router.get("/{meeting_id}", response_model=schemas.DocumentOut, summary="集体约谈会")
async def get_summons_meeting(meeting_id: MeetingId, deps: DepsDep) -> schemas.DocumentOut:
    return await read(deps, summons_stream(meeting_id), "集体约谈会", meeting_id)
