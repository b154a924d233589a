"""The enforcement cases (环境执法案件) resource: commands and reads on /v1/enforcement-cases.

A command: request → command → handler → the events it appended, with the case's new version
in the ETag. Commands are for enforcement officers (执法人员); every staff role but the responsible
units may read. Enforcement cases are against enterprises and persons, not units, and no unit's role
(反馈 and 申请销号 on its own cases) needs them: a unit token gets 403 here (shared.scope).
"""

from collections.abc import Awaitable, Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, status

from services.enforcement import commands as cmd
from services.enforcement import read_tables
from services.enforcement import schemas as s
from services.enforcement.deps import Deps, DepsDep
from services.enforcement.domain import credit_code as codes
from services.enforcement.domain import decider
from services.enforcement.handlers import handle
from shared import ids
from shared.aggregate import load
from shared.auth import Role, require
from shared.commands import CommandRequest, command_request
from shared.contracts.enforcement import PenaltyBasis, PenaltyIssued
from shared.contracts.money import fen_to_yuan
from shared.errors import InvalidCommand, NotFound
from shared.scope import COUNTY_READERS

router = APIRouter(prefix="/v1/enforcement-cases", tags=["enforcement-cases"], route_class=s.ExactDecimalRoute)

CaseId = Annotated[str, Path(min_length=1, max_length=64, description="执法案件编号")]
# Enforcement officers (执法人员) file and work the cases.
OfficerCommand = Annotated[CommandRequest, command_request(Role.ENFORCEMENT)]
# Every staff role reads them, but the responsible units: enforcement is not about their cases.
READERS = [require(*COUNTY_READERS)]

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
    return str(ids.new_id())


async def run(deps: Deps, command: cmd.Command, request: CommandRequest) -> s.CommandResult:
    """Durable before it answers: the events and their outbox rows are committed when this returns."""
    decided = await handle(deps, command, request.meta, request.expected_version)
    request.answer(decided.version)
    message = DONE[type(command)]
    for e in decided.events:
        if isinstance(e.payload, PenaltyIssued) and e.payload.basis is PenaltyBasis.DAILY_CONTINUOUS:
            message += f"；拒不改正，按日连续处罚 {e.payload.days} 日，计 {fen_to_yuan(e.payload.amount_fen)} 元"
    return s.CommandResult(
        case_id=command.case_id,
        version=decided.version,
        message=message,
        events=[s.event_out(e) for e in decided.events],
    )


Send = Callable[[cmd.Command], Awaitable[s.CommandResult]]


async def sender(deps: DepsDep, request: OfficerCommand) -> Send:
    """How a route sends a command on an existing case: as the officer, at the If-Match version when given."""
    return lambda command: run(deps, command, request)


SendDep = Annotated[Send, Depends(sender)]


# Reads.


@router.get("", response_model=s.CaseListOut, dependencies=READERS)
async def list_cases(
    deps: DepsDep,
    enterprise: Annotated[str | None, Query(max_length=200, description="统一社会信用代码，或企业名称的一部分")] = None,
    year: Annotated[int | None, Query(ge=1949, le=9999, description="立案年度（北京时间）")] = None,
    status: Annotated[Literal["open", "closed"] | None, Query(description="open 办理中，closed 已结案")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> s.CaseListOut:
    """Newest first."""
    text = enterprise.strip() if enterprise else None
    query = read_tables.CaseFilter(enterprise=text or None, year=year, status=status, limit=limit, offset=offset)
    async with deps.pool.acquire() as conn:
        rows, total = await read_tables.list_cases(conn, query)
    return s.CaseListOut(items=[s.summary_out(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/by-enterprise/{credit_code}", response_model=s.EnterpriseRecordOut, dependencies=READERS)
async def enterprise_record(
    credit_code: Annotated[str, Path(max_length=40, description="统一社会信用代码")], deps: DepsDep
) -> s.EnterpriseRecordOut:
    """Every case against the enterprise, oldest first, with the totals: who offends again (屡查屡犯)."""
    code = codes.normalize(credit_code)
    problem = codes.problem(code)
    if problem:
        raise InvalidCommand("credit_code", problem)
    async with deps.pool.acquire() as conn:
        rows = await read_tables.enterprise_cases(conn, code)
    return s.enterprise_out(code, rows)


@router.get("/{case_id}", response_model=s.CaseOut, dependencies=READERS)
async def get_case(case_id: CaseId, deps: DepsDep) -> s.CaseOut:
    async with deps.pool.acquire() as conn:
        case, _, history = await load(conn, deps.store, case_id, decider)
        if case is None:
            raise NotFound("执法案件", case_id)
        issue_id = case.opened.issue_id
        rectification = None
        if issue_id:
            rectification = s.rectification_out(issue_id, await read_tables.rectification_status(conn, issue_id))
    return s.case_out(case, history, rectification)


@router.get("/{case_id}/history", response_model=s.HistoryOut, dependencies=READERS)
async def get_history(case_id: CaseId, deps: DepsDep) -> s.HistoryOut:
    """Every event of the case, oldest first: its audit trail."""
    async with deps.pool.acquire() as conn:
        history = await deps.store.read(conn, case_id)
    if not history:
        raise NotFound("执法案件", case_id)
    return s.HistoryOut(case_id=case_id, events=[s.event_out(e) for e in history])


# Commands.


@router.post("", status_code=status.HTTP_201_CREATED, response_model=s.CommandResult)
async def open_case(body: s.CaseIn, deps: DepsDep, request: OfficerCommand) -> s.CommandResult:
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
    result = await run(deps, command, request)
    request.response.headers["Location"] = f"{router.prefix}/{command.case_id}"
    return result


@router.post("/{case_id}/penalties", status_code=status.HTTP_201_CREATED, response_model=s.CommandResult)
async def issue_penalty(case_id: CaseId, body: s.PenaltyIn, send: SendDep) -> s.CommandResult:
    """行政处罚（罚款）. The first fine of a case is the base of any daily continuous penalty."""
    command = cmd.IssuePenalty(case_id, new_id(), body.amount, body.decision_no, body.due_date)
    return await send(command)


@router.post("/{case_id}/payments", status_code=status.HTTP_201_CREATED, response_model=s.CommandResult)
async def record_payment(case_id: CaseId, body: s.PaymentIn, send: SendDep) -> s.CommandResult:
    """罚款缴纳: no more than what is still owed on that penalty."""
    command = cmd.RecordPayment(case_id, body.penalty_id, body.amount, body.paid_on)
    return await send(command)


@router.post("/{case_id}/rectification-orders", status_code=status.HTTP_201_CREATED, response_model=s.CommandResult)
async def order_rectification(case_id: CaseId, body: s.RectificationOrderIn, send: SendDep) -> s.CommandResult:
    """责令改正, with the day it was served and the deadline."""
    command = cmd.OrderRectification(case_id, new_id(), body.requirements, body.served_on, body.deadline)
    return await send(command)


@router.post("/{case_id}/reinspections", status_code=status.HTTP_201_CREATED, response_model=s.CommandResult)
async def reinspect(case_id: CaseId, body: s.ReinspectionIn, send: SendDep) -> s.CommandResult:
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
    return await send(command)


@router.post("/{case_id}/production-stops", status_code=status.HTTP_201_CREATED, response_model=s.CommandResult)
async def order_production_stop(case_id: CaseId, body: s.ProductionStopIn, send: SendDep) -> s.CommandResult:
    """责令停产整治: ends the daily continuous penalty."""
    command = cmd.OrderProductionStop(case_id, body.ordered_on, body.note)
    return await send(command)


@router.post("/{case_id}/detentions", status_code=status.HTTP_201_CREATED, response_model=s.CommandResult)
async def order_detention(case_id: CaseId, body: s.DetentionIn, send: SendDep) -> s.CommandResult:
    """行政拘留, executed by public security: persons and days each."""
    persons = tuple(cmd.Detainee(p.name, p.days) for p in body.persons)
    command = cmd.OrderDetention(case_id, persons, body.police_unit)
    return await send(command)


@router.post("/{case_id}/criminal-measures", status_code=status.HTTP_201_CREATED, response_model=s.CommandResult)
async def take_criminal_measures(case_id: CaseId, body: s.CriminalMeasuresIn, send: SendDep) -> s.CommandResult:
    """采取刑事强制措施."""
    persons = tuple(p.name for p in body.persons)
    command = cmd.TakeCriminalMeasures(case_id, persons, body.measure, body.police_unit)
    return await send(command)


@router.post("/{case_id}/referrals", status_code=status.HTTP_201_CREATED, response_model=s.CommandResult)
async def refer_for_prosecution(case_id: CaseId, body: s.ReferralIn, send: SendDep) -> s.CommandResult:
    """移送起诉, to a procuratorate."""
    persons = tuple(p.name for p in body.persons)
    command = cmd.ReferForProsecution(case_id, persons, body.procuratorate)
    return await send(command)


@router.post("/{case_id}/close", response_model=s.CommandResult)
async def close_case(case_id: CaseId, body: s.CloseIn, send: SendDep) -> s.CommandResult:
    """结案, with the outcome. Nothing more can be recorded on the case afterwards."""
    return await send(cmd.CloseCase(case_id, body.outcome))
