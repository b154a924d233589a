"""现场照片: a report's photos, for the staff who read reports (a responsible unit: those of its own cases)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Response

from services.intake import access, read_tables
from services.intake.attachments import fetch_photo
from services.intake.deps import DepsDep
from shared.errors import NotFound
from shared.scope import ScopeDep

router = APIRouter(prefix="/v1/attachments", tags=["reports"])


@router.get(
    "/{attachment_id}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}, "image/heic": {}}}},
)
async def get_photo(
    attachment_id: uuid.UUID,
    deps: DepsDep,
    scope: ScopeDep,
    _: Annotated[str, access.staff(*access.REPORT_READERS)],
) -> Response:
    """A responsible unit sees only the photos of its own cases; any other is 404, as if it did not exist."""
    async with deps.pool.acquire() as conn:
        row = await fetch_photo(conn, attachment_id)
        unit = None if scope.county_wide or row is None else await read_tables.case_unit(conn, row["issue_id"])
    if row is None:
        raise NotFound("照片", str(attachment_id))
    scope.check(unit, "照片", str(attachment_id))
    return Response(
        content=row["content"],
        media_type=row["content_type"],
        headers={
            "Content-Disposition": f'inline; filename="{row["file_name"]}"',
            "Cache-Control": "no-store",
        },
    )
