"""现场照片: a report's photos, for the staff who read reports."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Response

from services.intake import access
from services.intake.attachments import fetch_photo
from services.intake.deps import DepsDep
from shared.errors import NotFound

router = APIRouter(prefix="/v1/attachments", tags=["reports"])


@router.get(
    "/{attachment_id}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}, "image/heic": {}}}},
)
async def get_photo(
    attachment_id: uuid.UUID, deps: DepsDep, _: Annotated[str, access.staff(*access.REPORT_READERS)]
) -> Response:
    async with deps.pool.acquire() as conn:
        row = await fetch_photo(conn, attachment_id)
    if row is None:
        raise NotFound("照片", str(attachment_id))
    return Response(
        content=row["content"],
        media_type=row["content_type"],
        headers={
            "Content-Disposition": f'inline; filename="{row["file_name"]}"',
            "Cache-Control": "no-store",
        },
    )
