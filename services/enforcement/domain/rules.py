"""The rules of an enforcement case (环境执法案件): `decide(command, state) -> events`, pure.

A rule the case's state forbids is a RuleViolation (409); a value that is wrong in itself
is an InvalidCommand naming its field (422); a command to a case never opened is NotFound.
"""

from collections.abc import Sequence

from services.enforcement.commands import (
    CloseCase,
    Command,
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
from services.enforcement.domain import credit_code
from services.enforcement.domain.case import EnforcementCase, Order
from services.enforcement.domain.daily_penalty import daily_round
from services.enforcement.domain.money import yuan_to_fen
from shared.clock import SHANGHAI
from shared.contracts import Event
from shared.contracts.enforcement import (
    CriminalMeasuresTaken,
    DetainedPerson,
    DetentionOrdered,
    EnforcementCaseClosed,
    EnforcementCaseOpened,
    Enterprise,
    PenaltyBasis,
    PenaltyIssued,
    PenaltyPaid,
    Person,
    ProductionStopOrdered,
    RectificationOrdered,
    ReferredForProsecution,
    ReinspectionDone,
)
from shared.contracts.money import fen_to_yuan
from shared.errors import InvalidCommand, NotFound, RuleViolation

# 行政拘留 is at most 15 days, 20 when several are combined (《治安管理处罚法》第十六条).
MAX_DETENTION_DAYS = 20
DECISION_NO = "行政处罚决定书文号"


def decide(command: Command, state: EnforcementCase | None) -> Sequence[Event]:
    if isinstance(command, OpenCase):
        return [_open(command, state)]
    # A value wrong in itself is refused (422) whatever the case's state; then come the case's rules (404, 409).
    event: Event
    match command:
        case IssuePenalty():
            return [_penalty(command, state)]
        case RecordPayment():
            return [_payment(command, state)]
        case OrderRectification():
            return [_rectification(command, state)]
        case Reinspect():
            return _reinspection(command, _live(state, command.case_id))
        case OrderProductionStop():
            return [_production_stop(command, _live(state, command.case_id))]
        case OrderDetention():
            event = _detention(command)
        case TakeCriminalMeasures():
            event = CriminalMeasuresTaken(
                persons=_persons(command.persons),
                measure=_required(command.measure, "measure", "刑事强制措施"),
                police_unit=_required(command.police_unit, "police_unit", "公安机关"),
            )
        case ReferForProsecution():
            event = ReferredForProsecution(
                persons=_persons(command.persons),
                procuratorate=_required(command.procuratorate, "procuratorate", "人民检察院"),
            )
        case CloseCase():
            event = EnforcementCaseClosed(outcome=_required(command.outcome, "outcome", "结案结果"))
        case _:
            raise TypeError(f"not a command: {command!r}")
    _live(state, command.case_id)
    return [event]


def _live(state: EnforcementCase | None, case_id: str) -> EnforcementCase:
    """The case, when it exists and is not closed: nothing is recorded on a closed case."""
    if state is None:
        raise NotFound("执法案件", case_id)
    if state.closed is not None:
        raise RuleViolation("case_closed", f"执法案件 {case_id} 已结案（{state.closed.outcome}），不能再办理")
    return state


def _required(value: str, field: str, label: str) -> str:
    text = value.strip()
    if not text:
        raise InvalidCommand(field, f"请填写{label}")
    return text


def _open(c: OpenCase, state: EnforcementCase | None) -> EnforcementCaseOpened:
    if state is not None:
        raise RuleViolation("case_exists", f"执法案件 {c.case_id} 已立案，不能重复立案")
    code = credit_code.normalize(c.credit_code)
    problem = credit_code.problem(code)
    if problem:
        raise InvalidCommand("enterprise.credit_code", problem)
    return EnforcementCaseOpened(
        case_id=c.case_id,
        enterprise=Enterprise(
            name=_required(c.enterprise_name, "enterprise.name", "企业名称"),
            credit_code=code,
            address=_required(c.address, "enterprise.address", "企业地址"),
        ),
        violation=_required(c.violation, "violation", "违法行为"),
        legal_basis=_required(c.legal_basis, "legal_basis", "法律依据（法律及条款）"),
        officer=_required(c.officer, "officer", "承办执法人员"),
        issue_id=(c.issue_id or "").strip() or None,
    )


def _unique_decision_no(number: str, state: EnforcementCase) -> str:
    if any(p.issued.decision_no == number for p in state.penalties.values()):
        raise RuleViolation("duplicate_decision_no", f"本案已有文号为 {number} 的处罚决定，文号不能重复")
    return number


def _penalty(c: IssuePenalty, state: EnforcementCase | None) -> PenaltyIssued:
    amount_fen = yuan_to_fen(c.amount, "amount")
    number = _required(c.decision_no, "decision_no", DECISION_NO)
    case = _live(state, c.case_id)
    return PenaltyIssued(
        penalty_id=c.penalty_id,
        amount_fen=amount_fen,
        basis=PenaltyBasis.FINE,
        decision_no=_unique_decision_no(number, case),
        due_date=c.due_date,
    )


def _payment(c: RecordPayment, state: EnforcementCase | None) -> PenaltyPaid:
    amount_fen = yuan_to_fen(c.amount, "amount")
    penalty = _live(state, c.case_id).penalties.get(c.penalty_id)
    if penalty is None:
        raise InvalidCommand("penalty_id", f"本案没有编号为 {c.penalty_id} 的处罚")
    if penalty.outstanding_fen == 0:
        raise RuleViolation("penalty_paid", f"处罚 {penalty.issued.decision_no} 已缴清")
    if amount_fen > penalty.outstanding_fen:
        raise RuleViolation(
            "payment_exceeds_penalty",
            f"缴纳金额 {fen_to_yuan(amount_fen)} 元超过处罚 {penalty.issued.decision_no} "
            f"尚未缴纳的 {fen_to_yuan(penalty.outstanding_fen)} 元",
        )
    return PenaltyPaid(penalty_id=c.penalty_id, amount_fen=amount_fen, paid_on=c.paid_on)


def _rectification(c: OrderRectification, state: EnforcementCase | None) -> RectificationOrdered:
    requirements = _required(c.requirements, "requirements", "改正要求")
    if c.deadline.astimezone(SHANGHAI).date() < c.served_on:
        raise InvalidCommand("deadline", f"改正期限不能早于送达日期 {c.served_on}")
    if c.order_id in _live(state, c.case_id).orders:
        raise RuleViolation("order_exists", f"责令改正决定 {c.order_id} 已存在")
    return RectificationOrdered(
        order_id=c.order_id, requirements=requirements, served_on=c.served_on, deadline=c.deadline
    )


def _reinspection(c: Reinspect, state: EnforcementCase) -> list[Event]:
    order = state.orders.get(c.order_id)
    if order is None:
        raise RuleViolation(
            "no_rectification_order", f"本案没有编号为 {c.order_id} 的责令改正决定，须先责令改正才能复查"
        )
    if order.complied:
        raise RuleViolation("order_complied", f"责令改正决定 {c.order_id} 已经复查确认改正，无需再复查")
    if c.inspected_on < order.ordered.served_on:
        raise InvalidCommand("inspected_on", f"复查日期不能早于责令改正决定送达日期 {order.ordered.served_on}")
    last = order.last_inspected_on
    if last is not None and c.inspected_on <= last:
        raise InvalidCommand("inspected_on", f"复查日期须晚于上次复查日期 {last}")
    done = ReinspectionDone(order_id=c.order_id, inspected_on=c.inspected_on, complied=c.complied, note=c.note)
    if c.complied:
        return [done]
    deadline = order.ordered.deadline.astimezone(SHANGHAI).date()
    if c.inspected_on < deadline:
        raise RuleViolation("deadline_not_reached", f"改正期限 {deadline} 未届满，不能认定拒不改正；请在期限届满后复查")
    if state.production_stop is not None:
        return [done]  # 责令停产整治 ends the daily penalty: the finding is recorded, no further round
    return [done, _daily_penalty(c, order, state)]


def _daily_penalty(c: Reinspect, order: Order, state: EnforcementCase) -> PenaltyIssued:
    fine = state.original_fine
    if fine is None:
        raise RuleViolation(
            "no_original_fine",
            "按日连续处罚以原处罚决定的罚款数额按日计罚，本案尚无罚款决定；请先作出罚款处罚，再登记认定拒不改正的复查",
        )
    counted_after = order.last_inspected_on or order.ordered.served_on
    if c.inspected_on <= counted_after:
        raise InvalidCommand("inspected_on", f"认定拒不改正的复查日期须晚于 {counted_after}，才有计罚日数")
    number = _unique_decision_no(_required(c.decision_no or "", "decision_no", DECISION_NO), state)
    round_ = daily_round(fine.issued.amount_fen, counted_after, c.inspected_on)
    return PenaltyIssued(
        penalty_id=c.penalty_id,
        amount_fen=round_.amount_fen,
        basis=PenaltyBasis.DAILY_CONTINUOUS,
        decision_no=number,
        due_date=c.due_date,
        period_start=round_.period_start,
        period_end=round_.period_end,
        days=round_.days,
        daily_amount_fen=round_.daily_amount_fen,
        order_id=c.order_id,
        original_penalty_id=fine.issued.penalty_id,
    )


def _production_stop(c: OrderProductionStop, state: EnforcementCase) -> ProductionStopOrdered:
    if state.production_stop is not None:
        raise RuleViolation("production_already_stopped", f"本案已于 {state.production_stop.ordered_on} 责令停产整治")
    return ProductionStopOrdered(ordered_on=c.ordered_on, note=c.note)


def _names(persons: Sequence[str]) -> list[str]:
    if not persons:
        raise InvalidCommand("persons", "至少填写一名人员")
    names = [_required(name, f"persons.{i}.name", "人员姓名") for i, name in enumerate(persons)]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InvalidCommand("persons", f"人员重复：{'、'.join(repeated)}")
    return names


def _persons(persons: Sequence[str]) -> list[Person]:
    return [Person(name=name) for name in _names(persons)]


def _detention(c: OrderDetention) -> DetentionOrdered:
    names = _names([p.name for p in c.persons])
    for i, person in enumerate(c.persons):
        # bool is an int in Python; a day count is not a yes/no.
        if isinstance(person.days, bool) or not isinstance(person.days, int) or person.days <= 0:
            raise InvalidCommand(f"persons.{i}.days", f"拘留天数须为正整数，收到 {person.days}")
        if person.days > MAX_DETENTION_DAYS:
            raise InvalidCommand(
                f"persons.{i}.days", f"行政拘留合并执行最长 {MAX_DETENTION_DAYS} 日，收到 {person.days}"
            )
    return DetentionOrdered(
        persons=[DetainedPerson(name=n, days=p.days) for n, p in zip(names, c.persons, strict=True)],
        police_unit=_required(c.police_unit, "police_unit", "执行拘留的公安机关"),
    )
