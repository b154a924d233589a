"""Routes of cases: each command enters here and answers with the case's new version; the reads follow.

督察办 assigns, supervises, extends, verifies and reopens; the responsible unit reports and asks for closure.
After a passed 验收, the closure procedure (销号工作规程, closure_policy.py): 督察办 starts and completes the 公示,
asks for the province's 复核, closes (销号) and files the closure (报备); the county leader signs off (审签).
督察办 and the responsible unit withhold a case from the public page (不予公开); 督察办 alone publishes it again.
A 进展反馈 or 申请销号 names files uploaded to the case (api/evidence.py) by their SHA-256: the route
looks up which of them the case holds, and the rules refuse any other (domain.py).
"""

import asyncio
import contextlib
import functools
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Protocol

from fastapi import APIRouter, Path, Query, Response

from services.cases import domain, evidence, handlers, read_tables, schemas
from services.cases.commands import Command, Uploaded
from services.cases.deps import Deps, DepsDep
from services.cases.openings import MAX_WAIT_SECONDS
from shared import clock
from shared.aggregate import load
from shared.auth import STAFF, Principal, Role, require
from shared.commands import CommandRequest, answer_version, command_request
from shared.contracts.cases import Evidence
from shared.contracts.codes import CASE_STATUS_LABELS, CaseStatus
from shared.errors import Forbidden, NotFound
from shared.scope import ScopeDep

router = APIRouter(prefix="/v1/cases", tags=["cases"], dependencies=[require(*STAFF)])

CaseId = Annotated[str, Path(min_length=1, max_length=64)]
# 督察办 commands, and the responsible unit's.
OfficeCommand = Annotated[CommandRequest, command_request(Role.INSPECTION_OFFICE)]
UnitCommand = Annotated[CommandRequest, command_request(Role.UNIT)]
# 不予公开 / 恢复公开: the responsible unit (its own cases) and 督察办 (domain.py: publishing again is 督察办's alone).
ConfidentialityCommand = Annotated[CommandRequest, command_request(Role.UNIT, Role.INSPECTION_OFFICE)]
# 审签: a county leader (any account of the role: the county's leaders sign for the county, see README).
LeaderCommand = Annotated[CommandRequest, command_request(Role.LEADER)]


# How a route makes its command, given the actor and the moment (a body's `command`).
BuildCommand = Callable[[str, datetime], Command]


class NamesFiles(Protocol):
    """A request body that names files of the case (schemas.ProgressIn, schemas.ClosureIn)."""

    def files(self) -> list[Evidence]: ...

    def command(self, actor: str, now: datetime, uploaded: Uploaded) -> Command: ...


def _own_cases_only(principal: Principal) -> Callable[[domain.Case | None], None]:
    """A responsible unit acts only on the cases assigned to it."""

    def authorize(case: domain.Case | None) -> None:
        assigned_to = case.assignment.unit if case is not None and case.assignment is not None else None
        if principal.role is Role.UNIT and assigned_to != principal.unit:
            raise Forbidden(f"该案件未交办给{principal.unit}，不能代为办理")

    return authorize


async def _run(
    deps: Deps, case_id: str, build: BuildCommand | None, request: CommandRequest, names: NamesFiles | None = None
) -> schemas.CommandOut:
    """Durable before it answers: the events and their outbox rows are committed when this returns.

    `names` instead of `build`: a body that names files of the case; which of them the case holds goes into its
    command, looked up on the command's connection (files are never removed, so what it finds stays true)."""
    principal = request.principal
    async with deps.pool.acquire() as conn:
        if names is not None:
            uploaded = await evidence.uploaded(conn, case_id, [item.sha256 for item in names.files()])
            build = functools.partial(names.command, uploaded=uploaded)
        assert build is not None, "a command route gives its body's command or a body that names files"
        decided = await handlers.handle(
            conn,
            deps.store,
            case_id,
            build(principal.actor, clock.now()),
            request.meta,
            expected_version=request.expected_version,
            authorize=_own_cases_only(principal),
        )
    assert decided.state is not None, "a command other than the opening runs only on an opened case"
    request.answer(decided.version)
    return schemas.CommandOut(
        case_id=case_id,
        version=decided.version,
        status=decided.state.status,
        status_label=CASE_STATUS_LABELS[decided.state.status],
        events=[e.type for e in decided.events],
    )


# ---------------------------------------------------------------- commands: POST /v1/cases/{case_id}/<command>


@router.post(
    "/{case_id}/assign", response_model=schemas.CommandOut, summary="交办（五定）；已交办的案件再交办即为重新交办"
)
async def assign(case_id: CaseId, body: schemas.AssignIn, deps: DepsDep, request: OfficeCommand) -> schemas.CommandOut:
    return await _run(deps, case_id, body.command, request)


@router.post("/{case_id}/supervise", response_model=schemas.CommandOut, summary="督办：督办函，可提前整改时限")
async def supervise(
    case_id: CaseId, body: schemas.SuperviseIn, deps: DepsDep, request: OfficeCommand
) -> schemas.CommandOut:
    return await _run(deps, case_id, body.command, request)


@router.post("/{case_id}/progress", response_model=schemas.CommandOut, summary="反馈整改进展（可附已上传的现场照片）")
async def progress(
    case_id: CaseId, body: schemas.ProgressIn, deps: DepsDep, request: UnitCommand
) -> schemas.CommandOut:
    return await _run(deps, case_id, None, request, names=body)


@router.post(
    "/{case_id}/extend", response_model=schemas.CommandOut, summary="延期：晚于当前时限的新时限，须写明理由和批准人"
)
async def extend(case_id: CaseId, body: schemas.ExtendIn, deps: DepsDep, request: OfficeCommand) -> schemas.CommandOut:
    return await _run(deps, case_id, body.command, request)


@router.post(
    "/{case_id}/request-closure", response_model=schemas.CommandOut, summary="申请销号：整改情况和已上传的佐证材料"
)
async def request_closure(
    case_id: CaseId, body: schemas.ClosureIn, deps: DepsDep, request: UnitCommand
) -> schemas.CommandOut:
    return await _run(deps, case_id, None, request, names=body)


@router.post(
    "/{case_id}/verify",
    response_model=schemas.CommandOut,
    summary="验收：通过即进入销号程序（来源无程序步骤的直接销号），不通过则退回整改",
)
async def verify(case_id: CaseId, body: schemas.VerifyIn, deps: DepsDep, request: OfficeCommand) -> schemas.CommandOut:
    return await _run(deps, case_id, functools.partial(body.command, policy=deps.closure_policy), request)


# ---------------------------------------------------------------- the closure procedure (销号工作规程)


@router.post("/{case_id}/start-notice", response_model=schemas.CommandOut, summary="发布公示（公示期按销号规程）")
async def start_notice(
    case_id: CaseId, body: schemas.StartNoticeIn, deps: DepsDep, request: OfficeCommand
) -> schemas.CommandOut:
    return await _run(deps, case_id, functools.partial(body.command, policy=deps.closure_policy), request)


@router.post("/{case_id}/complete-notice", response_model=schemas.CommandOut, summary="公示期满无异议")
async def complete_notice(
    case_id: CaseId, body: schemas.CompleteNoticeIn, deps: DepsDep, request: OfficeCommand
) -> schemas.CommandOut:
    return await _run(deps, case_id, body.command, request)


@router.post("/{case_id}/sign-off", response_model=schemas.CommandOut, summary="审签（县领导）")
async def sign_off(
    case_id: CaseId, body: schemas.SignOffIn, deps: DepsDep, request: LeaderCommand
) -> schemas.CommandOut:
    return await _run(deps, case_id, body.command, request)


@router.post("/{case_id}/request-review", response_model=schemas.CommandOut, summary="提请上级复核（经省级平台）")
async def request_review(
    case_id: CaseId, body: schemas.RequestReviewIn, deps: DepsDep, request: OfficeCommand
) -> schemas.CommandOut:
    return await _run(deps, case_id, body.command, request)


@router.post("/{case_id}/close", response_model=schemas.CommandOut, summary="销号（销号程序各步骤完成后）")
async def close(case_id: CaseId, body: schemas.CloseIn, deps: DepsDep, request: OfficeCommand) -> schemas.CommandOut:
    return await _run(deps, case_id, body.command, request)


@router.post("/{case_id}/file-closure", response_model=schemas.CommandOut, summary="销号报备（报上级）")
async def file_closure(
    case_id: CaseId, body: schemas.FileClosureIn, deps: DepsDep, request: OfficeCommand
) -> schemas.CommandOut:
    return await _run(deps, case_id, functools.partial(body.command, policy=deps.closure_policy), request)


@router.post("/{case_id}/reopen", response_model=schemas.CommandOut, summary="回头看：问题反弹，重新打开并给出新时限")
async def reopen(case_id: CaseId, body: schemas.ReopenIn, deps: DepsDep, request: OfficeCommand) -> schemas.CommandOut:
    return await _run(deps, case_id, body.command, request)


# ---------------------------------------------------------------- 信息公开


@router.post(
    "/{case_id}/confidentiality",
    response_model=schemas.CommandOut,
    summary="不予公开（confidential=true）或恢复公开（false，仅督察办）：信息公开页面是否列出该案件",
)
async def confidentiality(
    case_id: CaseId, body: schemas.ConfidentialityIn, deps: DepsDep, request: ConfidentialityCommand
) -> schemas.CommandOut:
    by_unit = request.principal.role is Role.UNIT
    return await _run(deps, case_id, functools.partial(body.command, by_unit=by_unit), request)


# ---------------------------------------------------------------- reads


@router.get("/{case_id}", response_model=schemas.CaseOut, summary="案件详情（由事件流折叠而来）")
async def get_case(
    case_id: CaseId,
    deps: DepsDep,
    scope: ScopeDep,
    response: Response,
    wait: Annotated[
        float, Query(ge=0, le=MAX_WAIT_SECONDS, description="尚未立案时最多等待的秒数（刚受理的问题稍后才立案）")
    ] = 0,
) -> schemas.CaseOut:
    """A responsible unit reads only the cases assigned to it; any other is 404, as if it did not exist.

    `wait`: a case not opened yet is waited for that long (openings.py), then read again; still none is the 404.
    """
    with deps.openings.watch(case_id) as opened:
        async with deps.pool.acquire() as conn:
            case, version, history = await load(conn, deps.store, case_id, domain.decider)
        if case is None and wait > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(opened.wait(), wait)
            async with deps.pool.acquire() as conn:
                case, version, history = await load(conn, deps.store, case_id, domain.decider)
    if case is None:
        raise NotFound("整改案件", case_id)
    scope.check(_unit_of(case), "整改案件", case_id)
    answer_version(response, version)
    return schemas.case_out(case, history, clock.now())


@router.get("/{case_id}/history", response_model=schemas.HistoryOut, summary="办理记录（审计轨迹）")
async def get_history(case_id: CaseId, deps: DepsDep, scope: ScopeDep) -> schemas.HistoryOut:
    async with deps.pool.acquire() as conn:
        case, version, history = await load(conn, deps.store, case_id, domain.decider)
    if case is None:
        raise NotFound("整改案件", case_id)
    scope.check(_unit_of(case), "整改案件", case_id)
    return schemas.HistoryOut(case_id=case_id, version=version, events=[schemas.history_entry(e) for e in history])


@router.get("", response_model=schemas.CaseList, summary="案件台账")
async def list_cases(
    deps: DepsDep,
    scope: ScopeDep,
    status: CaseStatus | None = None,
    unit: Annotated[str | None, Query(max_length=100)] = None,
    township: Annotated[str | None, Query(max_length=100)] = None,
    overdue: bool | None = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> schemas.CaseList:
    """A responsible unit's list holds only the cases assigned to it (another `unit` gives an empty list)."""
    where = read_tables.CaseFilter(status=status, unit=unit, township=township, overdue=overdue, assigned_to=scope.unit)
    async with deps.pool.acquire() as conn:
        total, rows = await read_tables.list_cases(conn, where, clock.now(), page=page, page_size=page_size)
    return schemas.CaseList(page=page, page_size=page_size, total=total, items=[schemas.case_summary(r) for r in rows])


def _unit_of(case: domain.Case) -> str | None:
    """The unit the case is assigned to now (None before 交办)."""
    return case.assignment.unit if case.assignment is not None else None
