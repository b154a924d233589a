"""The enforcement case (环境执法案件) as its history folds it: state and evolve, pure."""

from dataclasses import dataclass, field, replace
from datetime import date

from shared.contracts import Event
from shared.contracts.enforcement import (
    CriminalMeasuresTaken,
    DetentionOrdered,
    EnforcementCaseClosed,
    EnforcementCaseOpened,
    PenaltyBasis,
    PenaltyIssued,
    PenaltyPaid,
    ProductionStopOrdered,
    RectificationOrdered,
    ReferredForProsecution,
    ReinspectionDone,
)


@dataclass(frozen=True)
class Penalty:
    """行政处罚: what was imposed and how much of it is paid."""

    issued: PenaltyIssued
    paid_fen: int = 0

    @property
    def outstanding_fen(self) -> int:
        return self.issued.amount_fen - self.paid_fen


@dataclass(frozen=True)
class Order:
    """责令改正决定 and the re-inspections (复查) of it, oldest first."""

    ordered: RectificationOrdered
    reinspections: tuple[ReinspectionDone, ...] = ()

    @property
    def complied(self) -> bool:
        return any(r.complied for r in self.reinspections)

    @property
    def last_inspected_on(self) -> date | None:
        return self.reinspections[-1].inspected_on if self.reinspections else None


@dataclass(frozen=True)
class Totals:
    """The figures a work report counts for a case."""

    penalty_fen: int
    paid_fen: int
    daily_rounds: int
    detained_persons: int
    criminal_persons: int
    referred_persons: int

    @property
    def outstanding_fen(self) -> int:
        return self.penalty_fen - self.paid_fen


@dataclass(frozen=True)
class EnforcementCase:
    opened: EnforcementCaseOpened
    # Insertion order is issue order: the first fine is the base of the daily penalty.
    penalties: dict[str, Penalty] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    production_stop: ProductionStopOrdered | None = None
    detentions: tuple[DetentionOrdered, ...] = ()
    criminal_measures: tuple[CriminalMeasuresTaken, ...] = ()
    referrals: tuple[ReferredForProsecution, ...] = ()
    closed: EnforcementCaseClosed | None = None

    @property
    def original_fine(self) -> Penalty | None:
        """原处罚决定: the first fine of the case, whose amount the daily penalty charges per day."""
        return next((p for p in self.penalties.values() if p.issued.basis is PenaltyBasis.FINE), None)

    @property
    def totals(self) -> Totals:
        penalties = self.penalties.values()
        return Totals(
            penalty_fen=sum(p.issued.amount_fen for p in penalties),
            paid_fen=sum(p.paid_fen for p in penalties),
            daily_rounds=sum(1 for p in penalties if p.issued.basis is PenaltyBasis.DAILY_CONTINUOUS),
            detained_persons=sum(len(d.persons) for d in self.detentions),
            criminal_persons=sum(len(m.persons) for m in self.criminal_measures),
            referred_persons=sum(len(r.persons) for r in self.referrals),
        )


def evolve(state: EnforcementCase | None, event: Event) -> EnforcementCase:
    if isinstance(event, EnforcementCaseOpened):
        return EnforcementCase(opened=event)
    if state is None:
        raise ValueError(f"{event.event_type()} before the case was opened")
    match event:
        case PenaltyIssued():
            return replace(state, penalties={**state.penalties, event.penalty_id: Penalty(event)})
        case PenaltyPaid():
            paid = state.penalties[event.penalty_id]
            paid = replace(paid, paid_fen=paid.paid_fen + event.amount_fen)
            return replace(state, penalties={**state.penalties, event.penalty_id: paid})
        case RectificationOrdered():
            return replace(state, orders={**state.orders, event.order_id: Order(event)})
        case ReinspectionDone():
            order = state.orders[event.order_id]
            order = replace(order, reinspections=(*order.reinspections, event))
            return replace(state, orders={**state.orders, event.order_id: order})
        case ProductionStopOrdered():
            return replace(state, production_stop=event)
        case DetentionOrdered():
            return replace(state, detentions=(*state.detentions, event))
        case CriminalMeasuresTaken():
            return replace(state, criminal_measures=(*state.criminal_measures, event))
        case ReferredForProsecution():
            return replace(state, referrals=(*state.referrals, event))
        case EnforcementCaseClosed():
            return replace(state, closed=event)
    raise ValueError(f"an enforcement case has no event {event.event_type()}")
