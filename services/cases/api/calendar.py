"""工作日日历: the deadline a number of working days gives, for the forms that set one (交办, 督办, 延期, 回头看)."""

from typing import Annotated

from fastapi import APIRouter, Query

from services.cases import schemas
from shared import clock
from shared.auth import STAFF, require

router = APIRouter(prefix="/v1/calendar", tags=["calendar"], dependencies=[require(*STAFF)])


@router.get(
    "/deadline", response_model=schemas.DeadlinePreview, summary="工作日时限预览（跳过法定节假日，计入调休上班日）"
)
async def deadline(
    working_days: Annotated[int, Query(ge=1, le=365, description="工作日数，1—365")],
) -> schemas.DeadlinePreview:
    """What `deadline_working_days: N` would set if the command were sent now (the time left may cross midnight)."""
    return schemas.deadline_preview(clock.now(), working_days)
