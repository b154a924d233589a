"""Routes of cases: each command enters here and answers with the case's new version; the reads follow."""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Protocol

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel

from services.cases import domain, handlers, schemas, views
from services.cases.commands import Command
from shared import clock
from shared.aggregate import load
from shared.auth import STAFF, Principal, Role, require
from shared.contracts.codes import CASE_STATUS_LABELS, CaseStatus
from shared.errors import Forbidden, NotFound
from shared.eventstore import Metadata
from shared.service import Platform, PlatformDep
from shared.web import ExpectedVersionDep, current_correlation_id

router = APIRouter(prefix="/v1/cases", tags=["cases"], dependencies=[require(*STAFF)])

CaseId = Annotated[str, Path(min_length=1, max_length=64)]


class CommandBody(Protocol):
    def command(self, actor: str, now: datetime) -> Command: ...


OFFICE = Role.INSPECTION_OFFICE

# Which request body each command route takes (POST /v1/cases/{case_id}/<path>), and who may send it:
# 督察办 assigns, supervises, extends, verifies and reopens; the responsible unit reports and asks for closure.
COMMANDS: list[tuple[str, type[BaseModel], str, Role]] = [
    ("assign", schemas.AssignIn, "交办（五定）；已交办的案件再交办即为重新交办", OFFICE),
    ("supervise", schemas.SuperviseIn, "督办：督办函，可提前整改时限", OFFICE),
    ("progress", schemas.ProgressIn, "反馈整改进展", Role.UNIT),
    ("extend", schemas.ExtendIn, "延期：晚于当前时限的新时限，须写明理由和批准人", OFFICE),
    ("request-closure", schemas.ClosureIn, "申请销号：整改情况和佐证材料", Role.UNIT),
    ("verify", schemas.VerifyIn, "验收：通过即销号，不通过则退回整改", OFFICE),
    ("reopen", schemas.ReopenIn, "回头看：问题反弹，重新打开并给出新时限", OFFICE),
]


def _own_cases_only(principal: Principal) -> Callable[[domain.Case | None], None]:
    """A responsible unit acts only on the cases assigned to it."""

    def authorize(case: domain.Case | None) -> None:
        assigned_to = case.assignment.unit if case is not None and case.assignment is not None else None
        if principal.role is Role.UNIT and assigned_to != principal.unit:
            raise Forbidden(f"该案件未交办给{principal.unit}，不能代为反馈或申请销号")

    return authorize


async def _run(
    platform: Platform,
    case_id: str,
    body: CommandBody,
    principal: Principal,
    expected: int | None,
    response: Response,
) -> schemas.CommandOut:
    """Durable before it answers: the events and their outbox rows are committed when this returns."""
    meta = Metadata(actor=principal.actor, correlation_id=current_correlation_id() or case_id)
    async with platform.pool.acquire() as conn:
        decided = await handlers.run(
            conn,
            platform.store,
            case_id,
            body.command(principal.actor, clock.now()),
            meta,
            expected_version=expected,
            authorize=_own_cases_only(principal),
        )
    assert decided.state is not None
    response.headers["ETag"] = f'"{decided.version}"'
    return schemas.CommandOut(
        case_id=case_id,
        version=decided.version,
        status=decided.state.status,
        status_label=CASE_STATUS_LABELS[decided.state.status],
        events=[e.type for e in decided.events],
    )


def _command_route(path: str, body_type: type[BaseModel], summary: str, role: Role) -> None:
    async def endpoint(
        case_id: CaseId,
        body: body_type,  # type: ignore[valid-type]
        platform: PlatformDep,
        principal: Annotated[Principal, require(role)],
        expected: ExpectedVersionDep,
        response: Response,
    ) -> schemas.CommandOut:
        return await _run(platform, case_id, body, principal, expected, response)

    router.add_api_route(
        f"/{{case_id}}/{path}",
        endpoint,
        methods=["POST"],
        response_model=schemas.CommandOut,
        summary=summary,
        name=path.replace("-", "_"),
    )


for _path, _body, _summary, _role in COMMANDS:
    _command_route(_path, _body, _summary, _role)


@router.get("/{case_id}", response_model=schemas.CaseOut, summary="案件详情（由事件流折叠而来）")
async def get_case(case_id: CaseId, platform: PlatformDep, response: Response) -> schemas.CaseOut:
    async with platform.pool.acquire() as conn:
        case, version, history = await load(conn, platform.store, case_id, domain.evolve, None)
    if case is None:
        raise NotFound("整改案件", case_id)
    response.headers["ETag"] = f'"{version}"'
    return schemas.case_out(case, history, clock.now())


@router.get("/{case_id}/history", response_model=schemas.HistoryOut, summary="办理记录（审计轨迹）")
async def get_history(case_id: CaseId, platform: PlatformDep) -> schemas.HistoryOut:
    async with platform.pool.acquire() as conn:
        history = await platform.store.read(conn, case_id)
    if not history:
        raise NotFound("整改案件", case_id)
    return schemas.HistoryOut(
        case_id=case_id, version=len(history), events=[schemas.history_entry(e) for e in history]
    )


@router.get("", response_model=schemas.CaseList, summary="案件台账")
async def list_cases(
    platform: PlatformDep,
    status: CaseStatus | None = None,
    unit: Annotated[str | None, Query(max_length=100)] = None,
    township: Annotated[str | None, Query(max_length=100)] = None,
    overdue: bool | None = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> schemas.CaseList:
    where = views.CaseFilter(status=status, unit=unit, township=township, overdue=overdue)
    async with platform.pool.acquire() as conn:
        total, rows = await views.list_cases(conn, where, clock.now(), page=page, page_size=page_size)
    return schemas.CaseList(
        page=page, page_size=page_size, total=total, items=[schemas.case_summary(r) for r in rows]
    )
