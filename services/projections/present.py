"""Read-model rows → the answers' shapes (schemas.py): labels, county time, yuan, and drill-down links."""

import math
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import asyncpg

from services.projections import labels
from services.projections.filters import Figure
from services.projections.read_tables.accountability import Tally
from services.projections.read_tables.closure import Counts
from services.projections.read_tables.enforcement import Figures
from services.projections.schemas import (
    CaseItem,
    EnforcementFigures,
    EnforcementYearsOut,
    MeetingCount,
    Person,
    RateRow,
    TallyFigures,
    TallyItem,
)
from shared.clock import shown
from shared.contracts.codes import MEETING_LABELS
from shared.contracts.money import fen_to_yuan

if TYPE_CHECKING:  # report.py uses this module's wan_yuan
    from services.projections.report import EnforcementYears

CASES_PATH = "/v1/stats/closure-rates/cases"


WAN_YUAN_PLACES = Decimal("0.01")


def wan_yuan(fen: int) -> str:
    """万元 as a report prints it: two decimals, rounded half up (ROUND_HALF_UP: 0.005万元, i.e. 50元, and more
    goes up), as Chinese official figures are rounded (四舍五入); 1 551 801 638 fen → "1551.80", 1 fen → "0.00".

    Exact to the fen only in 元: the tables beside the text give the exact amount (`yuan`).
    """
    return str((Decimal(fen) / 1_000_000).quantize(WAN_YUAN_PLACES, ROUND_HALF_UP))


def yuan(fen: int) -> str:
    """元 exact to the fen, with thousands separators, as a table prints an amount (1 551 801 638 fen →
    "15,518,016.38")."""
    return f"{fen_to_yuan(fen):,}"


def link(path: str, query: dict[str, str]) -> str:
    return f"{path}?{urlencode(query)}" if query else path


def when(moment: datetime | None) -> str | None:
    return shown(moment) if moment else None


def rate_row(counts: Counts, query: dict[str, str]) -> RateRow:
    """A row of figures, each with the link to its cases (the row's filters plus the figure; the filters encoded once:
    the trend's points are many)."""
    row = f"{CASES_PATH}?{urlencode(query)}&figure=" if query else f"{CASES_PATH}?figure="
    return RateRow(
        key=counts.key,
        label=counts.label,
        total=counts.total,
        closed=counts.closed,
        rate=counts.rate,
        rate_percent=counts.rate_percent,
        open=counts.open,
        on_schedule=counts.on_schedule,
        overdue=counts.overdue,
        reopened=counts.reopened,
        cases={figure: row + figure.value for figure in Figure},
    )


def case_item(row: asyncpg.Record, at: datetime) -> CaseItem:
    deadline: datetime | None = row["deadline"]
    overdue = row["standing"] == "overdue" and deadline is not None
    return CaseItem(
        issue_id=row["issue_id"],
        title=row["title"],
        description=row["description"],
        source=row["source"],
        source_label=labels.source(row["source"]),
        batch=row["batch"],
        township=row["township"],
        domain=row["domain"],
        domain_label=labels.domain(row["domain"]),
        external_ref=row["external_ref"],
        reported_at=shown(row["reported_at"]),
        status=row["status"],
        status_label=labels.status(row["status"]),
        standing=row["standing"],
        standing_label=labels.STANDING_LABELS[row["standing"]],
        unit=row["unit"],
        leader=Person(name=row["leader_name"], post=row["leader_post"]) if row["leader_name"] else None,
        problem=row["problem"],
        task=row["task"],
        measures=row["measures"],
        deadline=when(deadline),
        days_overdue=math.floor((at - deadline).total_seconds() / 86400) if overdue and deadline else None,
        closed_at=when(row["closed_at"]),
        reopened_count=row["reopened_count"],
        times_missed=row["missed_count"],
        repeat_reports=row["repeat_reports"],
        timeline=f"/v1/cases/{row['issue_id']}/timeline",
    )


def tally_figures(tally: Tally) -> TallyFigures:
    return TallyFigures(**tally.__dict__)


def tally_item(row: asyncpg.Record) -> TallyItem:
    person = Person(name=row["person_name"], post=row["person_post"]) if row["person_name"] else None
    return TallyItem(
        event_id=str(row["event_id"]),
        source=row["source"],
        kind=row["kind"],
        kind_label=labels.TALLY_KIND_LABELS.get(row["kind"], row["kind"]),
        unit=row["unit"],
        target_kind=row["target_kind"],
        person=person,
        measure_id=row["measure_id"],
        reason=row["reason"],
        case_ids=list(row["case_ids"]),
        summons_date=row["summons_date"],
        occurred_at=shown(row["occurred_at"]),
        revoked=row["revoked"],
    )


def enforcement_figures(figures: Figures) -> EnforcementFigures:
    return EnforcementFigures(
        cases_filed=figures.cases_filed,
        penalties=figures.penalties,
        fines_issued_yuan=fen_to_yuan(figures.fines_issued_fen),
        fines_paid_yuan=fen_to_yuan(figures.fines_paid_fen),
        daily_penalty_rounds=figures.daily_penalty_rounds,
        daily_penalty_yuan=fen_to_yuan(figures.daily_penalty_fen),
        detention_orders=figures.detention_orders,
        persons_detained=figures.persons_detained,
        criminal_measures=figures.criminal_measures,
        persons_criminal_measures=figures.persons_criminal_measures,
        referrals=figures.referrals,
        persons_referred=figures.persons_referred,
        cases_closed=figures.cases_closed,
    )


def query_of(**values: object) -> dict[str, str]:
    """Query parameters from the values that are set."""
    out: dict[str, str] = {}
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, date):  # a datetime too
            out[name] = value.isoformat()
        else:
            out[name] = str(value)
    return out


def meeting_counts(by_kind: dict[str, int]) -> list[MeetingCount]:
    """Every kind of meeting on the work, in the order of MEETING_LABELS, with its count (zero too)."""
    return [
        MeetingCount(kind=kind.value, label=label, count=by_kind.get(kind.value, 0))
        for kind, label in MEETING_LABELS.items()
    ]


def enforcement_years(y: "EnforcementYears") -> EnforcementYearsOut:
    return EnforcementYearsOut(
        year=y.year,
        as_of=shown(y.at),
        to_date=enforcement_figures(y.to_date),
        last_year=enforcement_figures(y.last_year),
        same_period_last_year=enforcement_figures(y.same_period_last_year),
        same_period_until=shown(y.same_period_until),
    )
