"""佐证材料: files a responsible unit uploads to its case (photos, PDFs), the list of them, and each file.

Upload: the unit that holds the case, while it is being rectified (整改中); another unit's case is 404,
as if it did not exist. The body is bounded before it is read (main.py gives this path its limit), then
the one file in it (form field `file`) is read up to EVIDENCE_MAX_BYTES and checked by its content
(services/cases/evidence.py). Reads: whoever may read the case (its unit, and the county-wide roles).
"""

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from services.cases import evidence, read_tables, schemas
from services.cases.api.cases import CaseId
from services.cases.deps import DepsDep
from shared.auth import STAFF, Principal, Role, require
from shared.body_limit import MIB, PayloadTooLarge
from shared.errors import InvalidCommand, NotFound
from shared.scope import Scope, ScopeDep
from shared.web import multipart_body

router = APIRouter(prefix="/v1/cases", tags=["evidence"], dependencies=[require(*STAFF)])

Sha256 = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="文件的 SHA-256（小写十六进制）")]
Uploader = Annotated[Principal, require(Role.UNIT)]

# Multipart framing and the file's headers around the file itself.
FRAMING_BYTES = 64 * 1024

_UPLOAD_BODY = multipart_body(
    {"file": {"type": "string", "format": "binary", "description": "照片或 PDF，一次一个"}}, required=["file"]
)
_FILE_TYPES: dict[str, Any] = {"image/jpeg": {}, "image/png": {}, "image/webp": {}, evidence.PDF: {}}


def body_limits(max_bytes: int) -> dict[str, int]:
    """The upload's path takes one file at its limit, with its framing; every other path keeps the default."""
    return {"/v1/cases/{case_id}/evidence": max_bytes + FRAMING_BYTES}


@router.post(
    "/{case_id}/evidence",
    status_code=201,
    response_model=schemas.EvidenceOut,
    summary="上传佐证材料或现场照片（一次一个文件；同一文件再次上传得到同一记录）",
    responses={200: {"model": schemas.EvidenceOut, "description": "本案件已有同一文件"}},
    openapi_extra=_UPLOAD_BODY,
)
async def upload(
    case_id: CaseId, request: Request, response: Response, deps: DepsDep, uploader: Uploader
) -> schemas.EvidenceOut:
    settings = deps.settings
    async with deps.pool.acquire() as conn:
        # Before the body is read: a case the unit does not hold costs it nothing but this answer.
        evidence.check_writable(await read_tables.case_row(conn, case_id), case_id, uploader.unit)
    content, sent_name = await _one_file(request, settings.evidence_max_bytes)
    # Decoding and encoding a photo again (to drop its EXIF) takes CPU: off the event loop.
    file = await asyncio.to_thread(evidence.inspect_file, content, sent_name)
    limits = evidence.Limits(max_files=settings.evidence_max_files, max_case_bytes=settings.evidence_max_case_bytes)
    async with deps.pool.acquire() as conn:
        row, created = await evidence.keep(
            conn, case_id, file, actor=uploader.actor, unit=uploader.unit or "", limits=limits
        )
    if not created:
        response.status_code = 200
    return schemas.evidence_out(row)


async def _one_file(request: Request, max_bytes: int) -> tuple[bytes, str | None]:
    """The form's one file, read up to `max_bytes` (413 beyond), and the name it was sent under."""
    try:
        async with request.form(max_files=1, max_fields=4) as form:
            part = form.get(evidence.FIELD)
            if not isinstance(part, UploadFile):
                raise InvalidCommand(evidence.FIELD, "请选择要上传的文件（multipart/form-data 的 file 字段）")
            content = await part.read(max_bytes + 1)
            sent_name = part.filename
    except HTTPException as exc:  # starlette's refusal of a malformed form, or of more than one file
        if exc.status_code == 413:
            raise
        raise InvalidCommand(evidence.FIELD, "表单格式有误：每次只能上传一个文件（字段 file）") from exc
    if len(content) > max_bytes:
        raise PayloadTooLarge(f"文件超过 {max_bytes / MIB:g} MB 的上限，请压缩或拆分后再上传")
    return content, sent_name


@router.get("/{case_id}/evidence", response_model=schemas.EvidenceList, summary="案件的佐证材料和现场照片")
async def list_evidence(case_id: CaseId, deps: DepsDep, scope: ScopeDep) -> schemas.EvidenceList:
    async with deps.pool.acquire() as conn:
        _check_readable(await read_tables.case_row(conn, case_id), scope, case_id)
        rows = await evidence.listed(conn, case_id)
    return schemas.EvidenceList(
        case_id=case_id,
        total=len(rows),
        max_files=deps.settings.evidence_max_files,
        items=[schemas.evidence_out(row) for row in rows],
    )


@router.get(
    "/{case_id}/evidence/{sha256}",
    response_class=Response,
    summary="下载或查看一个文件（照片在页面中显示，PDF 下载）",
    responses={200: {"content": _FILE_TYPES}},
)
async def get_evidence(case_id: CaseId, sha256: Sha256, deps: DepsDep, scope: ScopeDep) -> Response:
    async with deps.pool.acquire() as conn:
        _check_readable(await read_tables.case_row(conn, case_id), scope, case_id)
        row = await evidence.content(conn, case_id, sha256)
    if row is None:
        raise NotFound("佐证材料", sha256)
    return Response(
        content=row["content"],
        media_type=row["content_type"],
        headers={
            "Content-Disposition": evidence.content_disposition(sha256, row["file_name"], row["content_type"]),
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            # Opened on its own (a PDF, or a file someone crafted), it runs nothing and reaches nothing.
            "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
        },
    )


def _check_readable(row: Any, scope: Scope, case_id: str) -> None:
    """The case's files are read by whoever reads the case: a unit only its own (404 otherwise)."""
    if row is None:
        raise NotFound("整改案件", case_id)
    scope.check(row["unit"], "整改案件", case_id)
