"""Supervision bulletins (督查通报 第N期): issued by the 督察办, numbered per year; read by the county.

The content comes from projections' draft for the period (`GET /v1/documents/bulletin-draft` there), which the
workbench shows the office before it issues: services answer from their own data and the topics, never by calling
each other, and what was issued is recorded in the event as it was issued.
"""

from typing import Annotated

from fastapi import APIRouter, Path, status

from services.accountability import schemas
from services.accountability.api.documents import OfficeCommand, run
from services.accountability.commands import IssueBulletin
from services.accountability.deps import DepsDep
from services.accountability.domain.bulletins import bulletin_stream
from shared import clock
from shared.auth import require
from shared.clock import SHANGHAI
from shared.errors import NotFound
from shared.scope import COUNTY_READERS

router = APIRouter(prefix="/v1/bulletins", tags=["bulletins"], dependencies=[require(*COUNTY_READERS)])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=schemas.DocumentOut, summary="印发督查通报")
async def issue_bulletin(body: schemas.BulletinIn, deps: DepsDep, request: OfficeCommand) -> schemas.DocumentOut:
    """Numbered 第N期 of the year it is issued in (北京时间); the ETag is N."""
    command = IssueBulletin(
        year=clock.now().astimezone(SHANGHAI).year,
        title=body.title,
        period_from=body.period_from,
        period_to=body.period_to,
        overdue=body.overdue,
        units=body.units,
        text=body.text,
    )
    out = await run(deps, command, request)
    request.response.headers["Location"] = f"{router.prefix}/{command.year}/{out.version}"
    return out


@router.get("/{year}/{number}", response_model=schemas.DocumentOut, summary="督查通报（某年第N期）")
async def get_bulletin(
    year: Annotated[int, Path(ge=2000, le=2999)], number: Annotated[int, Path(ge=1, le=100_000)], deps: DepsDep
) -> schemas.DocumentOut:
    stream = bulletin_stream(year)
    async with deps.pool.acquire() as conn:
        history = await deps.store.read(conn, stream)
    issued = [e for e in history if e.stream_version == number]
    if not issued:
        raise NotFound("督查通报", f"{year}年第{number}期")
    return schemas.document_out(stream, issued)
