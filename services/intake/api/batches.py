"""交办批次导入: upload a batch table; each valid row is received as a report, each refused row says why.

A row is identified by its batch and serial number: uploading the same file again
finds every row already received and creates nothing new.
"""

import hashlib
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, UploadFile

from services.intake import access, commands, read_tables
from services.intake.batch_file import BatchRow
from services.intake.deps import DepsDep
from services.intake.duplicates import Outcome
from services.intake.handlers import Submission
from services.intake.schemas import STATUS_OF, AcceptedRow, BatchReport, RefusedRowOut
from services.intake.spreadsheet import BatchFileUnreadable
from shared import clock
from shared.auth import Role
from shared.body_limit import MIB, PayloadTooLarge
from shared.clock import shown
from shared.commands import request_metadata
from shared.contracts.codes import Source
from shared.contracts.intake import Channel
from shared.errors import InvalidCommand, NotFound

router = APIRouter(prefix="/v1/batches", tags=["batch upload"])


@router.post("", response_model=BatchReport)
async def upload_batch(
    deps: DepsDep,
    actor: Annotated[str, access.staff(Role.OPERATOR, Role.INSPECTION_OFFICE)],
    file: Annotated[UploadFile, File(description="交办表 .xlsx or .csv")],
    source: Annotated[Literal["central_inspection", "provincial_inspection"], Form(description="中央或省级环保督察")],
) -> BatchReport:
    settings = deps.settings
    content = await file.read(settings.max_batch_bytes + 1)
    if len(content) > settings.max_batch_bytes:
        raise PayloadTooLarge(f"文件超过 {settings.max_batch_bytes / MIB:g} MB 的上限，请分批上传")
    try:
        checked = await deps.batch_reader.read(content)
    except BatchFileUnreadable as exc:
        raise InvalidCommand("file", exc.message) from exc
    accepted: list[AcceptedRow] = []
    refused = [RefusedRowOut(**vars(r)) for r in checked if not isinstance(r, BatchRow)]
    created = 0
    meta = request_metadata(actor)
    # No ETag on this answer: its rows write to many issues, one stream each, and no one version stands
    # for them all. Each accepted row carries its own issue's version instead.
    async with deps.pool.acquire() as conn:
        for row in (r for r in checked if isinstance(r, BatchRow)):
            receipt = await deps.intake.receive(conn, _submission(row, Source(source)), meta)
            created += receipt.outcome is Outcome.NEW
            accepted.append(
                AcceptedRow(
                    row=row.row,
                    batch=row.batch,
                    serial=row.serial,
                    issue_id=receipt.issue_id,
                    status=STATUS_OF[receipt.outcome],
                    message=receipt.message,
                    version=receipt.version,
                )
            )
        uploaded_at = clock.now()
        report = BatchReport(
            upload_id=str(uuid.uuid4()),
            file_name=(file.filename or "upload")[:255],
            file_sha256=hashlib.sha256(content).hexdigest(),
            source=Source(source),
            uploaded_at=shown(uploaded_at),
            rows=len(checked),
            accepted_count=len(accepted),
            refused_count=len(refused),
            created_count=created,
            accepted=accepted,
            refused=refused,
        )
        await read_tables.add_batch_upload(
            conn,
            upload_id=uuid.UUID(report.upload_id),
            file_name=report.file_name,
            file_sha256=report.file_sha256,
            source=source,
            actor=actor,
            accepted=report.accepted_count,
            refused=report.refused_count,
            result=report.model_dump(mode="json"),
            uploaded_at=uploaded_at,
        )
    return report


@router.get("/{upload_id}", response_model=BatchReport)
async def get_batch_report(
    upload_id: uuid.UUID,
    deps: DepsDep,
    _: Annotated[str, access.staff(Role.OPERATOR, Role.INSPECTION_OFFICE, Role.LEADER)],
) -> BatchReport:
    async with deps.pool.acquire() as conn:
        result = await read_tables.batch_upload_result(conn, upload_id)
    if result is None:
        raise NotFound("导入记录", str(upload_id))
    return BatchReport.model_validate(result)


def _submission(row: BatchRow, source: Source) -> Submission:
    return Submission(
        report=commands.Report(
            source=source,
            channel=Channel.BATCH_UPLOAD,
            title=row.title,
            description=row.problem,
            township=row.township,
            domain=row.domain,
            location=row.location,
            batch=row.batch,
            external_ref=row.serial,
        )
    )
