"""Entries by county staff: hotline operators (12369, 县长热线) and inspection staff (自查自纠, 明察暗访)."""

from typing import Annotated, Literal

from fastapi import APIRouter, status
from pydantic import Field

from services.intake import access, privacy
from services.intake.api import ProblemIn, ReportAccepted, ReporterIn, accept
from services.intake.deps import IntakeDep
from services.intake.handlers import Submission
from shared.auth import Role
from shared.contracts.base import Text
from shared.contracts.codes import Source
from shared.contracts.intake import Channel
from shared.service import PlatformDep

router = APIRouter(prefix="/v1", tags=["staff entry"])


class HotlineCallIn(ProblemIn):
    """A call taken by an operator: 12369 环保热线 or 县长热线, with the call's reference number."""

    line: Literal["hotline_12369", "county_hotline"]
    call_ref: Text(100) = Field(description="来电工单号")  # type: ignore[valid-type]
    caller: ReporterIn | None = Field(default=None, description="来电人 (optional), kept encrypted")


class InspectionIn(ProblemIn):
    """A problem found by inspection staff: 自查自纠 (self_inspection) or 明察暗访 (covert_inspection)."""

    kind: Literal["self_inspection", "covert_inspection"]
    inspection_ref: Text(100) | None = Field(default=None, description="检查记录编号, if any")  # type: ignore[valid-type]


@router.post("/hotline-calls", status_code=status.HTTP_202_ACCEPTED, response_model=ReportAccepted)
async def enter_hotline_call(
    call: HotlineCallIn,
    intake: IntakeDep,
    platform: PlatformDep,
    actor: Annotated[str, access.staff(Role.OPERATOR)],
) -> ReportAccepted:
    """Entering the same call reference again returns the issue already opened for it and creates nothing."""
    contact = privacy.contact_from(call.caller.name, call.caller.phone, field_prefix="caller.") if call.caller else None
    report = call.report(Source(call.line), Channel.HOTLINE_OPERATOR, external_ref=call.call_ref)
    return await accept(intake, platform, Submission(report=report, contact=contact), actor)


@router.post("/inspections", status_code=status.HTTP_202_ACCEPTED, response_model=ReportAccepted)
async def enter_inspection_finding(
    finding: InspectionIn,
    intake: IntakeDep,
    platform: PlatformDep,
    actor: Annotated[str, access.staff(Role.INSPECTION_OFFICE, Role.UNIT)],
) -> ReportAccepted:
    report = finding.report(Source(finding.kind), Channel.INSPECTION_STAFF, external_ref=finding.inspection_ref)
    return await accept(intake, platform, Submission(report=report), actor)
