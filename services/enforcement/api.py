"""Commands to enforcement cases: request → command → handler → the events it appended."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from services.enforcement import commands as cmd
from services.enforcement import schemas as s
from services.enforcement.handlers import handle
from services.enforcement.money import fen_to_yuan
from services.enforcement.views import CommandResult, event_out
from shared.contracts.enforcement import PenaltyBasis, PenaltyIssued
from shared.auth import Role, acting_as
from shared.eventstore import Metadata
from shared.service import PlatformDep
from shared.web import ExpectedVersionDep, current_correlation_id

router = APIRouter(prefix="/v1/enforcement-cases", tags=["enforcement-cases"], route_class=s.ExactDecimalRoute)

CaseId = Annotated[str, Path(min_length=1, max_length=64, description="执法案件编号")]
# Enforcement officers (执法人员) file and work the cases.
ActorDep = Annotated[str, acting_as(Role.ENFORCEMENT)]

# What a person reads after each command (zh-CN).
DONE = {
    cmd.OpenCase: "已立案",
    cmd.IssuePenalty: "已作出罚款处罚",
    cmd.RecordPayment: "已登记罚款缴纳",
    cmd.OrderRectification: "已责令改正",
    cmd.Reinspect: "已登记复查结果",
    cmd.OrderProductionStop: "已责令停产整治，按日连续处罚至此停止",
    cmd.OrderDetention: "已登记行政拘留",
    cmd.TakeCriminalMeasures: "已登记刑事强制措施",
    cmd.ReferForProsecution: "已登记移送起诉",
    cmd.CloseCase: "已结案",
}


def new_id() -> str:
    return str(uuid.uuid4())


async def run(
    platform: PlatformDep, command: cmd.Command, actor: str, expected_version: int | None = None
) -> CommandResult:
    meta = Metadata(actor=actor, correlation_id=current_correlation_id() or command.case_id)
    decided = await handle(platform, command, meta, expected_version)
    message = DONE[type(command)]
    for e in decided.events:
        if isinstance(e.payload, PenaltyIssued) and e.payload.basis is PenaltyBasis.DAILY_CONTINUOUS:
            message += f"；拒不改正，按日连续处罚 {e.payload.days} 日，计 {fen_to_yuan(e.payload.amount_fen)} 元"
    return CommandResult(
        case_id=command.case_id,
        version=decided.version,
        message=message,
        events=[event_out(e) for e in decided.events],
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CommandResult)
async def open_case(body: s.CaseIn, platform: PlatformDep, actor: ActorDep, response: Response) -> CommandResult:
    """立案: the case is stored (event and outbox row committed) before the 201."""
    command = cmd.OpenCase(
        case_id=new_id(),
        enterprise_name=body.enterprise.name,
        credit_code=body.enterprise.credit_code,
        address=body.enterprise.address,
        violation=body.violation,
        legal_basis=body.legal_basis,
        officer=body.officer,
        issue_id=body.issue_id,
    )
    result = await run(platform, command, actor)
    response.headers["Location"] = f"{router.prefix}/{command.case_id}"
    return result


@router.post("/{case_id}/penalties", status_code=status.HTTP_201_CREATED, response_model=CommandResult)
async def issue_penalty(
    case_id: CaseId, body: s.PenaltyIn, platform: PlatformDep, actor: ActorDep, version: ExpectedVersionDep
) -> CommandResult:
    """行政处罚（罚款）. The first fine of a case is the base of any daily continuous penalty."""
    command = cmd.IssuePenalty(case_id, new_id(), body.amount, body.decision_no, body.due_date)
    return await run(platform, command, actor, version)


@router.post("/{case_id}/payments", status_code=status.HTTP_201_CREATED, response_model=CommandResult)
async def record_payment(
    case_id: CaseId, body: s.PaymentIn, platform: PlatformDep, actor: ActorDep, version: ExpectedVersionDep
) -> CommandResult:
    """罚款缴纳: no more than what is still owed on that penalty."""
    command = cmd.RecordPayment(case_id, body.penalty_id, body.amount, body.paid_on)
    return await run(platform, command, actor, version)


@router.post("/{case_id}/rectification-orders", status_code=status.HTTP_201_CREATED, response_model=CommandResult)
async def order_rectification(
    case_id: CaseId, body: s.RectificationOrderIn, platform: PlatformDep, actor: ActorDep, version: ExpectedVersionDep
) -> CommandResult:
    """责令改正, with the day it was served and the deadline."""
    command = cmd.OrderRectification(case_id, new_id(), body.requirements, body.served_on, body.deadline)
    return await run(platform, command, actor, version)


@router.post("/{case_id}/reinspections", status_code=status.HTTP_201_CREATED, response_model=CommandResult)
async def reinspect(
    case_id: CaseId, body: s.ReinspectionIn, platform: PlatformDep, actor: ActorDep, version: ExpectedVersionDep
) -> CommandResult:
    """复查. Found not complied with: the service adds the round of 按日连续处罚 it computes."""
    command = cmd.Reinspect(
        case_id=case_id,
        order_id=body.order_id,
        inspected_on=body.inspected_on,
        complied=body.complied,
        penalty_id=new_id(),
        note=body.note,
        decision_no=body.decision_no,
        due_date=body.due_date,
    )
    return await run(platform, command, actor, version)


@router.post("/{case_id}/production-stops", status_code=status.HTTP_201_CREATED, response_model=CommandResult)
async def order_production_stop(
    case_id: CaseId, body: s.ProductionStopIn, platform: PlatformDep, actor: ActorDep, version: ExpectedVersionDep
) -> CommandResult:
    """责令停产整治: ends the daily continuous penalty."""
    return await run(platform, cmd.OrderProductionStop(case_id, body.ordered_on, body.note), actor, version)


@router.post("/{case_id}/detentions", status_code=status.HTTP_201_CREATED, response_model=CommandResult)
async def order_detention(
    case_id: CaseId, body: s.DetentionIn, platform: PlatformDep, actor: ActorDep, version: ExpectedVersionDep
) -> CommandResult:
    """行政拘留, executed by public security: persons and days each."""
    persons = tuple(cmd.Detainee(p.name, p.days) for p in body.persons)
    return await run(platform, cmd.OrderDetention(case_id, persons, body.police_unit), actor, version)


@router.post("/{case_id}/criminal-measures", status_code=status.HTTP_201_CREATED, response_model=CommandResult)
async def take_criminal_measures(
    case_id: CaseId, body: s.CriminalMeasuresIn, platform: PlatformDep, actor: ActorDep, version: ExpectedVersionDep
) -> CommandResult:
    """采取刑事强制措施."""
    persons = tuple(p.name for p in body.persons)
    return await run(
        platform, cmd.TakeCriminalMeasures(case_id, persons, body.measure, body.police_unit), actor, version
    )


@router.post("/{case_id}/referrals", status_code=status.HTTP_201_CREATED, response_model=CommandResult)
async def refer_for_prosecution(
    case_id: CaseId, body: s.ReferralIn, platform: PlatformDep, actor: ActorDep, version: ExpectedVersionDep
) -> CommandResult:
    """移送起诉, to a procuratorate."""
    persons = tuple(p.name for p in body.persons)
    return await run(platform, cmd.ReferForProsecution(case_id, persons, body.procuratorate), actor, version)


@router.post("/{case_id}/close", response_model=CommandResult)
async def close_case(
    case_id: CaseId, body: s.CloseIn, platform: PlatformDep, actor: ActorDep, version: ExpectedVersionDep
) -> CommandResult:
    """结案, with the outcome. Nothing more can be recorded on the case afterwards."""
    return await run(platform, cmd.CloseCase(case_id, body.outcome), actor, version)
