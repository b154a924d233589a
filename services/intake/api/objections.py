"""公示异议: anyone objects to a case in public notice, from the public page (/public/), with no token.

Limited per client address like the public report form (the same count, services/intake/rate_limit.py); refused
with 422 naming the field, in Chinese, when malformed; durable (event and outbox row committed) before the 202.
"""

from fastapi import APIRouter, Request, status

from services.intake.commands import FileObjection
from services.intake.deps import DepsDep
from services.intake.objections import file_objection
from services.intake.schemas import ObjectionAccepted, ObjectionIn
from shared.clock import shown
from shared.commands import request_metadata
from shared.ids import new_id

PATH = "/v1/public/objections"
# Who objected is never recorded: every objection's actor is the public.
ACTOR = "public"
RECEIVED = "异议已收到，将转督察办核查"

router = APIRouter(prefix=PATH, tags=["public objections"])


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=ObjectionAccepted)
async def file(objection: ObjectionIn, request: Request, deps: DepsDep) -> ObjectionAccepted:
    """Records the objection (ObjectionFiled on intake.events) for any case id of the right shape: cases decides
    whether the case is in 公示 and takes the objection up; intake cannot see case statuses."""
    await deps.public_rate_limit.check(request)
    command = FileObjection(objection_id=str(new_id()), case_id=objection.case_id, text=objection.text)
    async with deps.pool.acquire() as conn:
        event = await file_objection(conn, deps.store, command, request_metadata(ACTOR))
    return ObjectionAccepted(
        objection_id=event.objection_id, case_id=event.case_id, received_at=shown(event.received_at), message=RECEIVED
    )
