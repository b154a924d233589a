"""Entries by county staff: hotline operators (12369, 县长热线) and inspection staff (自查自纠, 明察暗访)."""

from typing import Annotated

from fastapi import APIRouter, Response, status

from services.intake import access, privacy
from services.intake.deps import DepsDep
from services.intake.handlers import Submission
from services.intake.schemas import HotlineCallIn, InspectionIn, ReportAccepted
from shared.auth import Role
from shared.commands import answer_version
from shared.contracts.codes import Source
from shared.contracts.intake import Channel

router = APIRouter(prefix="/v1", tags=["staff entry"])


@router.post("/hotline-calls", status_code=status.HTTP_202_ACCEPTED, response_model=ReportAccepted)
async def enter_hotline_call(
    call: HotlineCallIn,
    deps: DepsDep,
    response: Response,
    actor: Annotated[str, access.staff(Role.OPERATOR)],
) -> ReportAccepted:
    """Entering the same call reference again returns the issue already opened for it and creates nothing."""
    contact = privacy.contact_from(call.caller.name, call.caller.phone, field_prefix="caller.") if call.caller else None
    report = call.report(Source(call.line), Channel.HOTLINE_OPERATOR, external_ref=call.call_ref)
    receipt = await deps.reports.handle(Submission(report=report, contact=contact), actor)
    answer_version(response, receipt.version)
    return ReportAccepted.of(receipt)


@router.post("/inspections", status_code=status.HTTP_202_ACCEPTED, response_model=ReportAccepted)
async def enter_inspection_finding(
    finding: InspectionIn,
    deps: DepsDep,
    response: Response,
    actor: Annotated[str, access.staff(Role.INSPECTION_OFFICE, Role.UNIT)],
) -> ReportAccepted:
    report = finding.report(Source(finding.kind), Channel.INSPECTION_STAFF, external_ref=finding.inspection_ref)
    receipt = await deps.reports.handle(Submission(report=report), actor)
    answer_version(response, receipt.version)
    return ReportAccepted.of(receipt)
