"""The figures per task force (专项整治组): closure, overdue cases and escalations, and the cases behind them."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query

from services.projections import present
from services.projections.api.closure import case_list
from services.projections.deps import DepsDep
from services.projections.filters import CaseFilters, Figure, Limit, Offset
from services.projections.labels import TALLY_KIND_LABELS
from services.projections.read_tables import closure
from services.projections.read_tables import task_forces as figures
from services.projections.read_tables.closure import Counts, Moment
from services.projections.readside import View, read
from services.projections.schemas import (
    CaseList,
    Person,
    TaskForceEscalation,
    TaskForceEscalations,
    TaskForceRow,
    TaskForceStats,
)
from services.projections.task_forces import OTHER, TaskForces
from shared.auth import STAFF, require
from shared.clock import now, shown
from shared.errors import InvalidCommand
from shared.scope import ScopeDep

# As the closure rates: every staff role; a responsible unit's figures count its own cases only (shared.scope).
router = APIRouter(prefix="/v1/stats", tags=["stats"], dependencies=[require(*STAFF)])

CASES_PATH = "/v1/stats/task-forces/cases"
ESCALATIONS_PATH = "/v1/stats/task-forces/escalations"
TaskForceCode = Annotated[str, Query(max_length=64, pattern=r"^[A-Za-z0-9_]+$", description="专项整治组 code")]


def _known(forces: TaskForces, code: str) -> str:
    if code not in forces.codes():
        raise InvalidCommand("task_force", f"未知的专项整治组：{code}（可选：{'、'.join(forces.codes())}）")
    return code


def _links(query: dict[str, str]) -> dict[Figure, str]:
    return {figure: f"{CASES_PATH}?{urlencode({**query, 'figure': figure.value})}" for figure in Figure}


def _row(forces: TaskForces, counts: Counts, query: dict[str, str], escalations: dict[str, int]) -> TaskForceRow:
    rate = present.rate_row(counts, query).model_dump(exclude={"cases"})
    force = None if counts.key == OTHER else forces.by_code(counts.key)
    return TaskForceRow(
        **rate,
        cases=_links({**query, "task_force": counts.key}),
        name=forces.name(counts.key),
        leader=Person(name=force.leader_name, post=force.leader_post) if force else None,
        lead_department=force.lead_department if force else None,
        domains=list(forces.domains(counts.key)),
        escalations=escalations,
        escalation_items=f"{ESCALATIONS_PATH}?{urlencode({**query, 'task_force': counts.key})}",
    )


@router.get(
    "/task-forces", response_model=TaskForceStats, summary="专项整治组: 完成率, 超期 and 督办问责 per task force"
)
async def task_force_stats(deps: DepsDep, scope: ScopeDep, filters: Annotated[CaseFilters, Query()]) -> TaskForceStats:
    """Each task force's cases (its domains') with the closure figures' filters and `as_of`; 其他 the rest."""
    moment = Moment(filters.as_of, now())
    forces = deps.task_forces

    async def query(view: View) -> TaskForceStats:
        rows = await figures.rates(view.conn, forces, filters, moment, assigned_to=scope.unit)
        escalations = await figures.escalations(view.conn, forces, filters, assigned_to=scope.unit)
        base = filters.query()
        return await view.answer(
            TaskForceStats,
            as_of=present.when(filters.as_of),
            filters=base,
            rows=[_row(forces, r, base, escalations[r.key]) for r in rows],
            totals=present.rate_row(closure.total(rows), base),
        )

    return await read(deps, query)


@router.get("/task-forces/cases", response_model=CaseList, summary="The cases behind a task force's figure")
async def task_force_cases(
    deps: DepsDep,
    scope: ScopeDep,
    task_force: TaskForceCode,
    filters: Annotated[CaseFilters, Query()],
    figure: Figure = Figure.ALL,
    limit: Limit = 1000,
    offset: Offset = 0,
) -> CaseList:
    """The same filters as /task-forces, the task force and the figure to list."""
    domains = list(deps.task_forces.domains(_known(deps.task_forces, task_force)))
    return await case_list(deps, filters, figure, limit=limit, offset=offset, assigned_to=scope.unit, domains=domains)


@router.get(
    "/task-forces/escalations", response_model=TaskForceEscalations, summary="The escalations behind a task force's"
)
async def task_force_escalations(
    deps: DepsDep,
    scope: ScopeDep,
    task_force: TaskForceCode,
    filters: Annotated[CaseFilters, Query()],
    kind: Annotated[str | None, Query(max_length=50, description="warning | summons | criticism_notice | …")] = None,
    limit: Limit = 1000,
    offset: Offset = 0,
) -> TaskForceEscalations:
    """预警, 约谈, 通报批评, 移交纪委监委 of the units for the task force's cases that the filters select (`unit`: the
    escalated unit), in time order."""
    code = _known(deps.task_forces, task_force)
    if kind is not None and kind not in figures.ESCALATION_KINDS:
        raise InvalidCommand("kind", f"未知的督办问责类别：{kind}（可选：{'、'.join(figures.ESCALATION_KINDS)}）")

    async def query(view: View) -> TaskForceEscalations:
        total, rows = await figures.escalation_items(
            view.conn,
            deps.task_forces,
            code,
            filters,
            kind=kind,
            limit=limit,
            offset=offset,
            assigned_to=scope.unit,
        )
        return await view.answer(
            TaskForceEscalations,
            task_force=code,
            name=deps.task_forces.name(code),
            as_of=present.when(filters.as_of),
            total=total,
            limit=limit,
            offset=offset,
            items=[
                TaskForceEscalation(
                    event_id=str(r["event_id"]),
                    kind=r["kind"],
                    kind_label=TALLY_KIND_LABELS.get(r["kind"], r["kind"]),
                    unit=r["unit"],
                    case_ids=list(r["case_ids"]),
                    summons_date=r["summons_date"],
                    occurred_at=shown(r["occurred_at"]),
                )
                for r in rows
            ],
        )

    return await read(deps, query)
