"""Meetings on the work (常委会, 常务会, 动员会, 推进会, 调度会): recorded by the 督察办, read by the county."""

from typing import Annotated

from fastapi import APIRouter, Path, status

from services.accountability import schemas
from services.accountability.api.documents import OfficeCommand, read, run
from services.accountability.commands import RecordWorkMeeting
from services.accountability.deps import DepsDep
from services.accountability.domain.meetings import meeting_stream
from shared.auth import require
from shared.ids import new_id
from shared.scope import COUNTY_READERS

router = APIRouter(prefix="/v1/meetings", tags=["meetings"], dependencies=[require(*COUNTY_READERS)])
MeetingId = Annotated[str, Path(min_length=1, max_length=64)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=schemas.DocumentOut, summary="记录工作会议")
async def record_meeting(body: schemas.WorkMeetingIn, deps: DepsDep, request: OfficeCommand) -> schemas.DocumentOut:
    command = RecordWorkMeeting(
        meeting_id=str(new_id()),
        kind=body.kind,
        held_on=body.held_on,
        title=body.title,
        decisions=body.decisions,
        case_ids=body.case_ids,
    )
    out = await run(deps, command, request)
    request.response.headers["Location"] = f"{router.prefix}/{command.meeting_id}"
    return out


@router.get("/{meeting_id}", response_model=schemas.DocumentOut, summary="工作会议")
async def get_meeting(meeting_id: MeetingId, deps: DepsDep) -> schemas.DocumentOut:
    return await read(deps, meeting_stream(meeting_id), "工作会议", meeting_id)
