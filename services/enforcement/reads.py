"""Reads of enforcement cases: one case, its history, lists, and an enterprise's record."""

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from services.enforcement import credit_code as codes
from services.enforcement import domain, read_model
from services.enforcement.views import (
    CaseListOut,
    CaseOut,
    EnterpriseRecordOut,
    HistoryOut,
    case_out,
    enterprise_out,
    event_out,
    rectification_out,
    summary_out,
)
from shared.aggregate import load
from shared.auth import STAFF, require
from shared.errors import InvalidCommand, NotFound
from shared.service import PlatformDep

router = APIRouter(prefix="/v1/enforcement-cases", tags=["enforcement-cases"], dependencies=[require(*STAFF)])

CaseId = Annotated[str, Path(min_length=1, max_length=64, description="执法案件编号")]


@router.get("", response_model=CaseListOut)
async def list_cases(
    platform: PlatformDep,
    enterprise: Annotated[str | None, Query(max_length=200, description="统一社会信用代码，或企业名称的一部分")] = None,
    year: Annotated[int | None, Query(ge=1949, le=9999, description="立案年度（北京时间）")] = None,
    status: Annotated[Literal["open", "closed"] | None, Query(description="open 办理中，closed 已结案")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> CaseListOut:
    """Newest first."""
    text = enterprise.strip() if enterprise else None
    query = read_model.CaseFilter(enterprise=text or None, year=year, status=status, limit=limit, offset=offset)
    async with platform.pool.acquire() as conn:
        rows, total = await read_model.list_cases(conn, query)
    return CaseListOut(items=[summary_out(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/by-enterprise/{credit_code}", response_model=EnterpriseRecordOut)
async def enterprise_record(
    credit_code: Annotated[str, Path(max_length=40, description="统一社会信用代码")], platform: PlatformDep
) -> EnterpriseRecordOut:
    """Every case against the enterprise, oldest first, with the totals: who offends again (屡查屡犯)."""
    code = codes.normalize(credit_code)
    problem = codes.problem(code)
    if problem:
        raise InvalidCommand("credit_code", problem)
    async with platform.pool.acquire() as conn:
        rows = await read_model.enterprise_cases(conn, code)
    return enterprise_out(code, rows)


@router.get("/{case_id}", response_model=CaseOut)
async def get_case(case_id: CaseId, platform: PlatformDep) -> CaseOut:
    async with platform.pool.acquire() as conn:
        case, _, history = await load(conn, platform.store, case_id, domain.evolve, None)
        if case is None:
            raise NotFound("执法案件", case_id)
        issue_id = case.opened.issue_id
        rectification = None
        if issue_id:
            rectification = rectification_out(issue_id, await read_model.rectification_status(conn, issue_id))
    return case_out(case, history, rectification)


@router.get("/{case_id}/history", response_model=HistoryOut)
async def get_history(case_id: CaseId, platform: PlatformDep) -> HistoryOut:
    """Every event of the case, oldest first: its audit trail."""
    async with platform.pool.acquire() as conn:
        history = await platform.store.read(conn, case_id)
    if not history:
        raise NotFound("执法案件", case_id)
    return HistoryOut(case_id=case_id, events=[event_out(e) for e in history])
