"""The rules of an enforcement case, decided without I/O."""

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.enforcement.commands import (
    CloseCase,
    Command,
    Detainee,
    IssuePenalty,
    OpenCase,
    OrderDetention,
    OrderProductionStop,
    OrderRectification,
    RecordPayment,
    ReferForProsecution,
    Reinspect,
    TakeCriminalMeasures,
)
from services.enforcement.domain import EnforcementCase, Totals, decide, evolve
from shared.contracts import Event
from shared.contracts.enforcement import (
    CriminalMeasuresTaken,
    DetainedPerson,
    DetentionOrdered,
    EnforcementCaseClosed,
    PenaltyBasis,
    PenaltyIssued,
    PenaltyPaid,
    Person,
    ProductionStopOrdered,
    ReferredForProsecution,
    ReinspectionDone,
)
from shared.errors import InvalidCommand, NotFound, RuleViolation

SH = ZoneInfo("Asia/Shanghai")
CASE = "case-1"


def open_case(**overrides: Any) -> OpenCase:
    values: dict[str, Any] = {
        "case_id": CASE,
        "enterprise_name": "某某化工有限公司",
        "credit_code": "91110108551385082Q",
        "address": "城关镇工业园1号",
        "violation": "超标排放废水",
        "legal_basis": "《环境保护法》第六十三条",
        "officer": "王执法",
        "issue_id": "issue-9",
    }
    values.update(overrides)
    return OpenCase(**values)


def fine(amount: str = "53210.55", decision_no: str = "县环罚〔2024〕1号", penalty_id: str = "p-1") -> IssuePenalty:
    return IssuePenalty(CASE, penalty_id, Decimal(amount), decision_no, date(2024, 4, 1))


def order(order_id: str = "o-1", served_on: date = date(2024, 3, 1), deadline_day: int = 15) -> OrderRectification:
    deadline = datetime(2024, 3, deadline_day, 18, 0, tzinfo=SH)
    return OrderRectification(CASE, order_id, "停止超标排放，完成污水处理设施改造", served_on, deadline)


def reinspect(
    inspected_on: date, complied: bool = False, decision_no: str | None = None, order_id: str = "o-1"
) -> Reinspect:
    return Reinspect(
        case_id=CASE,
        order_id=order_id,
        inspected_on=inspected_on,
        complied=complied,
        penalty_id=f"daily-{order_id}-{inspected_on}",
        decision_no=decision_no if decision_no is not None else f"县环按日罚〔{order_id} {inspected_on}〕",
    )


def given(*commands: Command) -> EnforcementCase:
    state: EnforcementCase | None = None
    for command in commands:
        for event in decide(command, state):
            state = evolve(state, event)
    assert state is not None
    return state


def only(events: Sequence[Event]) -> Event:
    assert len(events) == 1
    return events[0]


def refused(command: Command, state: EnforcementCase | None) -> RuleViolation:
    with pytest.raises(RuleViolation) as caught:
        decide(command, state)
    return caught.value


def invalid(command: Command, state: EnforcementCase | None) -> InvalidCommand:
    with pytest.raises(InvalidCommand) as caught:
        decide(command, state)
    return caught.value


# 立案


def test_opening_records_the_enterprise_with_its_credit_code_normalized() -> None:
    case = given(open_case(credit_code=" 91110108551385082q "))
    assert case.opened.enterprise.credit_code == "91110108551385082Q"
    assert case.opened.issue_id == "issue-9"


def test_opening_with_a_credit_code_whose_check_digit_is_wrong_is_refused_naming_the_field() -> None:
    error = invalid(open_case(credit_code="91110108551385082R"), None)
    assert error.field == "enterprise.credit_code"
    assert "校验位" in error.message


def test_opening_with_a_blank_violation_is_refused_naming_the_field() -> None:
    assert invalid(open_case(violation="  "), None).field == "violation"


def test_opening_a_case_that_exists_is_refused() -> None:
    assert refused(open_case(), given(open_case())).code == "case_exists"


def test_a_command_to_a_case_never_opened_is_not_found() -> None:
    with pytest.raises(NotFound):
        decide(fine(), None)


# 行政处罚 and 罚款缴纳


def test_a_fine_is_issued_in_integer_fen() -> None:
    issued = only(decide(fine("53210.55"), given(open_case())))
    assert issued == PenaltyIssued(
        penalty_id="p-1",
        amount_fen=5_321_055,
        basis=PenaltyBasis.FINE,
        decision_no="县环罚〔2024〕1号",
        due_date=date(2024, 4, 1),
    )


@pytest.mark.parametrize("amount", ["0", "-1", "-0.01", "100.001", "0.30000000000000004", "NaN"])
def test_a_fine_that_is_not_a_positive_amount_to_the_fen_is_refused(amount: str) -> None:
    assert invalid(fine(amount), given(open_case())).field == "amount"


def test_a_decision_number_cannot_be_used_twice_in_a_case() -> None:
    state = given(open_case(), fine(penalty_id="p-1"))
    assert refused(fine("10", penalty_id="p-2"), state).code == "duplicate_decision_no"


def test_payments_are_recorded_until_the_fine_is_paid_and_never_beyond() -> None:
    state = given(open_case(), fine("1000.00"), RecordPayment(CASE, "p-1", Decimal("400.50"), date(2024, 3, 20)))
    assert state.penalties["p-1"].outstanding_fen == 59_950
    too_much = refused(RecordPayment(CASE, "p-1", Decimal("599.51"), date(2024, 3, 21)), state)
    assert too_much.code == "payment_exceeds_penalty"
    assert "599.51" in too_much.message and "599.50" in too_much.message
    rest = only(decide(RecordPayment(CASE, "p-1", Decimal("599.50"), date(2024, 3, 21)), state))
    assert rest == PenaltyPaid(penalty_id="p-1", amount_fen=59_950, paid_on=date(2024, 3, 21))
    paid = evolve(state, rest)
    assert refused(RecordPayment(CASE, "p-1", Decimal("1"), date(2024, 3, 22)), paid).code == "penalty_paid"


def test_a_payment_for_a_penalty_not_in_the_case_is_refused_naming_the_field() -> None:
    state = given(open_case(), fine())
    assert invalid(RecordPayment(CASE, "p-404", Decimal("1"), date(2024, 3, 20)), state).field == "penalty_id"


def test_a_payment_of_a_negative_amount_is_refused() -> None:
    state = given(open_case(), fine())
    assert invalid(RecordPayment(CASE, "p-1", Decimal("-5"), date(2024, 3, 20)), state).field == "amount"


# 责令改正 and 复查


def test_a_rectification_deadline_before_the_order_was_served_is_refused() -> None:
    early = OrderRectification(CASE, "o-1", "整改", date(2024, 3, 10), datetime(2024, 3, 9, 23, 0, tzinfo=SH))
    assert invalid(early, given(open_case())).field == "deadline"


def test_no_reinspection_without_a_rectification_order() -> None:
    state = given(open_case(), fine())
    assert refused(reinspect(date(2024, 3, 20)), state).code == "no_rectification_order"
    assert refused(reinspect(date(2024, 3, 20), order_id="o-404"), given(open_case(), order())).code == (
        "no_rectification_order"
    )


def test_a_reinspection_before_the_order_was_served_is_refused() -> None:
    state = given(open_case(), fine(), order())
    assert invalid(reinspect(date(2024, 2, 28), complied=True), state).field == "inspected_on"


def test_finding_non_compliance_before_the_deadline_is_refused() -> None:
    state = given(open_case(), fine(), order(deadline_day=15))
    assert refused(reinspect(date(2024, 3, 14)), state).code == "deadline_not_reached"


def test_non_compliance_without_a_fine_to_count_from_is_refused() -> None:
    state = given(open_case(), order())
    error = refused(reinspect(date(2024, 3, 20)), state)
    assert error.code == "no_original_fine"
    assert "请先作出罚款处罚" in error.message


def test_non_compliance_needs_the_decision_number_of_the_daily_penalty() -> None:
    state = given(open_case(), fine(), order())
    assert invalid(reinspect(date(2024, 3, 20), decision_no=" "), state).field == "decision_no"


def test_non_compliance_found_the_day_the_order_was_served_has_no_day_to_count() -> None:
    state = given(open_case(), fine(), order(served_on=date(2024, 3, 1), deadline_day=1))
    assert invalid(reinspect(date(2024, 3, 1)), state).field == "inspected_on"


def test_daily_continuous_penalty_across_two_rounds_in_exact_fen() -> None:
    # Original fine 53,210.55 yuan; the order served on 2024-02-20 (a leap year), due by 2024-03-01.
    state = given(
        open_case(),
        fine("53210.55"),
        OrderRectification(CASE, "o-1", "停止超标排放", date(2024, 2, 20), datetime(2024, 3, 1, 17, tzinfo=SH)),
    )

    first = decide(reinspect(date(2024, 3, 5), decision_no="县环按日罚〔2024〕1号"), state)
    assert first == [
        ReinspectionDone(order_id="o-1", inspected_on=date(2024, 3, 5), complied=False),
        PenaltyIssued(
            penalty_id="daily-o-1-2024-03-05",
            amount_fen=74_494_770,  # 14 days (02-21 … 03-05, with 02-29) × 5,321,055 fen
            basis=PenaltyBasis.DAILY_CONTINUOUS,
            decision_no="县环按日罚〔2024〕1号",
            period_start=date(2024, 2, 21),
            period_end=date(2024, 3, 5),
            days=14,
            daily_amount_fen=5_321_055,
            order_id="o-1",
            original_penalty_id="p-1",
        ),
    ]
    for event in first:
        state = evolve(state, event)

    second = decide(reinspect(date(2024, 3, 20), decision_no="县环按日罚〔2024〕2号"), state)
    daily = second[1]
    assert isinstance(daily, PenaltyIssued)
    assert (daily.period_start, daily.period_end, daily.days) == (date(2024, 3, 6), date(2024, 3, 20), 15)
    assert daily.amount_fen == 79_815_825  # 15 days × 5,321,055 fen
    for event in second:
        state = evolve(state, event)

    assert state.totals.penalty_fen == 5_321_055 + 74_494_770 + 79_815_825
    assert state.totals.daily_rounds == 2


def test_the_daily_amount_is_the_first_fine_of_the_case_even_when_a_later_fine_is_larger() -> None:
    state = given(open_case(), fine("100.00", penalty_id="p-1"), fine("900.00", "县环罚〔2024〕2号", "p-2"), order())
    daily = decide(reinspect(date(2024, 3, 16)), state)[1]
    assert isinstance(daily, PenaltyIssued)
    assert (daily.original_penalty_id, daily.daily_amount_fen, daily.days, daily.amount_fen) == (
        "p-1",
        10_000,
        15,
        150_000,
    )


def test_there_is_no_limit_on_the_number_of_rounds() -> None:
    state = given(open_case(), fine("1.00"), order())
    for day in (16, 17, 20, 25, 31):
        state = given_more(state, reinspect(date(2024, 3, day)))
    assert state.totals.daily_rounds == 5
    assert state.totals.penalty_fen == 100 + 100 * 30  # the fine, then every day from 03-02 to 03-31 once


def given_more(state: EnforcementCase, command: Command) -> EnforcementCase:
    for event in decide(command, state):
        state = evolve(state, event)
    return state


def test_a_reinspection_must_come_after_the_previous_one() -> None:
    state = given(open_case(), fine(), order(), reinspect(date(2024, 3, 20)))
    assert invalid(reinspect(date(2024, 3, 20)), state).field == "inspected_on"
    assert invalid(reinspect(date(2024, 3, 19), complied=True), state).field == "inspected_on"


def test_compliance_ends_the_daily_penalty_and_the_order_needs_no_more_reinspection() -> None:
    state = given(open_case(), fine(), order(), reinspect(date(2024, 3, 20)))
    complied = decide(reinspect(date(2024, 3, 25), complied=True), state)
    assert complied == [ReinspectionDone(order_id="o-1", inspected_on=date(2024, 3, 25), complied=True)]
    state = given_more(state, reinspect(date(2024, 3, 25), complied=True))
    assert refused(reinspect(date(2024, 3, 30)), state).code == "order_complied"


def test_a_production_stop_ends_the_daily_penalty_but_the_finding_is_recorded() -> None:
    state = given(open_case(), fine(), order(), OrderProductionStop(CASE, date(2024, 3, 18), "停产整治三个月"))
    events = decide(reinspect(date(2024, 3, 20)), state)
    assert events == [ReinspectionDone(order_id="o-1", inspected_on=date(2024, 3, 20), complied=False)]


def test_production_can_be_ordered_stopped_only_once() -> None:
    state = given(open_case(), OrderProductionStop(CASE, date(2024, 3, 18)))
    assert only(decide(OrderProductionStop(CASE, date(2024, 3, 18)), given(open_case()))) == ProductionStopOrdered(
        ordered_on=date(2024, 3, 18)
    )
    assert refused(OrderProductionStop(CASE, date(2024, 3, 19)), state).code == "production_already_stopped"


def test_each_order_counts_its_own_days() -> None:
    state = given(open_case(), fine("1.00"), order("o-1"), order("o-2", served_on=date(2024, 3, 10), deadline_day=12))
    state = given_more(state, reinspect(date(2024, 3, 16), order_id="o-1"))
    daily = decide(reinspect(date(2024, 3, 16), order_id="o-2"), state)[1]
    assert isinstance(daily, PenaltyIssued)
    assert (daily.period_start, daily.days, daily.order_id) == (date(2024, 3, 11), 6, "o-2")


# 行政拘留, 刑事强制措施, 移送起诉


def test_a_detention_names_each_person_and_their_days() -> None:
    detention = OrderDetention(CASE, (Detainee("张三", 10), Detainee("李四", 5)), "县公安局")
    assert only(decide(detention, given(open_case()))) == DetentionOrdered(
        persons=[DetainedPerson(name="张三", days=10), DetainedPerson(name="李四", days=5)], police_unit="县公安局"
    )


@pytest.mark.parametrize("days", [0, -3, 21, True, 1.5])
def test_detention_days_must_be_a_positive_integer_within_the_law(days: Any) -> None:
    # What a caller outside the HTTP schema could send: not always an int.
    detention = OrderDetention(CASE, (Detainee("张三", 10), Detainee("李四", days)), "县公安局")
    assert invalid(detention, given(open_case())).field == "persons.1.days"


@pytest.mark.parametrize(
    "command",
    [
        OrderDetention(CASE, (), "县公安局"),
        TakeCriminalMeasures(CASE, (), "刑事拘留", "县公安局"),
        ReferForProsecution(CASE, (), "县人民检察院"),
    ],
)
def test_at_least_one_person_is_named(command: Command) -> None:
    assert invalid(command, given(open_case())).field == "persons"


def test_the_same_person_twice_in_one_measure_is_refused() -> None:
    assert invalid(ReferForProsecution(CASE, ("张三", "张三"), "县人民检察院"), given(open_case())).field == "persons"


def test_criminal_measures_and_referrals_are_recorded_and_counted() -> None:
    state = given(
        open_case(),
        OrderDetention(CASE, (Detainee("张三", 10),), "县公安局"),
        TakeCriminalMeasures(CASE, ("李四", "王五"), "刑事拘留", "县公安局"),
        ReferForProsecution(CASE, ("李四",), "县人民检察院"),
    )
    assert state.criminal_measures == (
        CriminalMeasuresTaken(
            persons=[Person(name="李四"), Person(name="王五")], measure="刑事拘留", police_unit="县公安局"
        ),
    )
    assert state.referrals == (ReferredForProsecution(persons=[Person(name="李四")], procuratorate="县人民检察院"),)
    assert state.totals == Totals(
        penalty_fen=0, paid_fen=0, daily_rounds=0, detained_persons=1, criminal_persons=2, referred_persons=1
    )


# 结案


def test_closing_needs_an_outcome() -> None:
    assert invalid(CloseCase(CASE, ""), given(open_case())).field == "outcome"


def test_closing_records_the_outcome() -> None:
    assert only(decide(CloseCase(CASE, "罚款已缴清，整改完成"), given(open_case()))) == EnforcementCaseClosed(
        outcome="罚款已缴清，整改完成"
    )


@pytest.mark.parametrize(
    "command",
    [
        fine(),
        RecordPayment(CASE, "p-1", Decimal("1"), date(2024, 3, 20)),
        order("o-2"),
        reinspect(date(2024, 3, 20)),
        OrderProductionStop(CASE, date(2024, 3, 20)),
        OrderDetention(CASE, (Detainee("张三", 10),), "县公安局"),
        TakeCriminalMeasures(CASE, ("张三",), "刑事拘留", "县公安局"),
        ReferForProsecution(CASE, ("张三",), "县人民检察院"),
        CloseCase(CASE, "再次结案"),
    ],
)
def test_nothing_is_recorded_on_a_closed_case_not_even_a_penalty(command: Command) -> None:
    state = given(open_case(), fine(penalty_id="p-1", decision_no="原文号"), order(), CloseCase(CASE, "结案"))
    assert refused(command, state).code == "case_closed"


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (fine("0.30000000000000004"), "amount"),
        (RecordPayment(CASE, "p-1", Decimal("-1"), date(2024, 3, 20)), "amount"),
        (OrderRectification(CASE, "o-9", " ", date(2024, 3, 1), datetime(2024, 3, 2, tzinfo=SH)), "requirements"),
        (OrderDetention(CASE, (Detainee("张三", 0),), "县公安局"), "persons.0.days"),
        (CloseCase(CASE, " "), "outcome"),
    ],
)
def test_a_value_wrong_in_itself_is_refused_as_such_even_on_a_closed_or_unknown_case(
    command: Command, field: str
) -> None:
    closed = given(open_case(), fine(penalty_id="p-1", decision_no="原文号"), CloseCase(CASE, "结案"))
    assert invalid(command, closed).field == field
    assert invalid(command, None).field == field
