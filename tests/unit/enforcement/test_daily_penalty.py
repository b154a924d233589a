"""The arithmetic of one round of 按日连续处罚."""

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from services.enforcement.commands import (
    Command,
    IssuePenalty,
    OpenCase,
    OrderProductionStop,
    OrderRectification,
    Reinspect,
)
from services.enforcement.domain import EnforcementCase, decide, evolve
from services.enforcement.domain.daily_penalty import DailyRound, daily_round
from shared.contracts.enforcement import PenaltyIssued
from shared.errors import InvalidCommand, RuleViolation


def test_a_round_counts_from_the_day_after_service_to_the_reinspection_day_inclusive() -> None:
    assert daily_round(5_321_055, date(2024, 3, 1), date(2024, 3, 20)) == DailyRound(
        period_start=date(2024, 3, 2), period_end=date(2024, 3, 20), days=19, daily_amount_fen=5_321_055
    )
    assert daily_round(5_321_055, date(2024, 3, 1), date(2024, 3, 20)).amount_fen == 101_100_045


def test_the_leap_day_is_a_day_of_violation_too() -> None:
    leap = daily_round(100, date(2024, 2, 20), date(2024, 3, 5))
    common = daily_round(100, date(2023, 2, 20), date(2023, 3, 5))
    assert (leap.days, common.days) == (14, 13)


def test_a_single_day_round_charges_the_fine_once() -> None:
    assert daily_round(7_777, date(2024, 5, 1), date(2024, 5, 2)).amount_fen == 7_777


@pytest.mark.parametrize("inspected_on", [date(2024, 3, 1), date(2024, 2, 28)])
def test_a_reinspection_not_after_the_start_has_no_day_to_count(inspected_on: date) -> None:
    with pytest.raises(ValueError):
        daily_round(100, date(2024, 3, 1), inspected_on)


# The workbench shows the round before it is issued (workbench/src/dailyPenalty.ts). These scenarios, with what the
# service decides for each, are its test's expectations too (workbench/tests/dailyPenalty.test.ts): the two agree.
WORKBENCH_SCENARIOS = Path(__file__).parents[3] / "workbench" / "tests" / "daily-penalty.json"


def service_answer(scenario: dict[str, Any]) -> dict[str, Any]:
    """What the enforcement case decides when a re-inspection in `scenario` finds the order not complied with."""
    case_id, order_id = "case-w", "order-w"
    order = scenario["order"]
    commands: list[Command] = [
        OpenCase(
            case_id,
            "某某化工有限公司",
            "91110108551385082Q",
            "城关镇工业园1号",
            "超标排放",
            "《环境保护法》第六十三条",
            "王执法",
        )
    ]
    commands += [
        IssuePenalty(case_id, f"fine-{i}", Decimal(fen) / 100, f"县环罚〔2024〕{i}号", date(2024, 12, 31))
        for i, fen in enumerate(scenario["fines_fen"])
    ]
    commands.append(
        OrderRectification(
            case_id,
            order_id,
            "停止超标排放",
            date.fromisoformat(order["served_on"]),
            datetime.fromisoformat(order["deadline"]),
        )
    )
    commands += [
        Reinspect(
            case_id,
            order_id,
            date.fromisoformat(r["inspected_on"]),
            r["complied"],
            f"daily-{i}",
            decision_no=f"县环按日罚〔2024〕{i}号",
        )
        for i, r in enumerate(order["reinspections"])
    ]
    if scenario["production_stopped_on"] is not None:
        commands.append(OrderProductionStop(case_id, date.fromisoformat(scenario["production_stopped_on"])))
    state: EnforcementCase | None = None
    for command in commands:
        for event in decide(command, state):
            state = evolve(state, event)
    inspected_on = date.fromisoformat(scenario["inspected_on"])
    reinspect = Reinspect(case_id, order_id, inspected_on, False, "daily-new", decision_no="县环按日罚〔2024〕99号")
    try:
        events = decide(reinspect, state)
    except RuleViolation as refused:
        return {"refused": refused.code, "message": refused.message}
    except InvalidCommand as refused:
        return {"refused": refused.field, "message": refused.message}
    rounds = [e for e in events if isinstance(e, PenaltyIssued)]
    if not rounds:
        return {"no_round": True}
    (issued,) = rounds
    return {
        "round": {
            "period_start": str(issued.period_start),
            "period_end": str(issued.period_end),
            "days": issued.days,
            "daily_fen": str(issued.daily_amount_fen),
            "amount_fen": str(issued.amount_fen),
        }
    }


def test_the_workbench_shows_the_round_the_service_issues_on_every_scenario() -> None:
    scenarios = json.loads(WORKBENCH_SCENARIOS.read_text(encoding="utf-8"))["scenarios"]
    assert len(scenarios) >= 12
    assert [service_answer(s) for s in scenarios] == [s["expect"] for s in scenarios]
