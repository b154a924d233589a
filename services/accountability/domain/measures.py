"""Measures (问责措施) against units and officials: pure decisions, no I/O.

A measure is its own stream `measure:<id>`: imposed once, revoked at most once. A
revocation corrects a mistake without rewriting history: both events stay.

Who may (问责权限): the discipline commission (纪委监委) imposes every kind of measure and
revokes any; the county's 督察办 issues criticism notices (通报批评) only, and revokes only
the notices it issued itself. A measure recorded before its authority was kept counts as the
commission's.
"""

from dataclasses import dataclass, replace

from services.accountability.commands import ImposeMeasure, MeasureCommand, RevokeMeasure
from shared.aggregate import Decider
from shared.contracts import Event
from shared.contracts.accountability import Authority, MeasureImposed, MeasureRevoked, Target, TargetKind
from shared.contracts.codes import MEASURE_LABELS, PERSON_MEASURES, MeasureKind
from shared.errors import Forbidden, InvalidCommand, NotFound, RuleViolation


def measure_stream(measure_id: str) -> str:
    return f"measure:{measure_id}"


@dataclass(frozen=True)
class Measure:
    imposed: MeasureImposed
    revoked: MeasureRevoked | None = None


MeasureEvent = MeasureImposed | MeasureRevoked


def measure_kind(value: str) -> MeasureKind:
    if value in MeasureKind._value2member_map_:
        return MeasureKind(value)
    choices = "、".join(f"{kind.value}（{label}）" for kind, label in MEASURE_LABELS.items())
    raise InvalidCommand("measure", f"未知的问责措施“{value}”，可选：{choices}")


def _reason(value: str) -> str:
    reason = value.strip()
    if not reason:
        raise InvalidCommand("reason", "请填写问责或撤销的理由（reason）")
    return reason


def _target(command: ImposeMeasure, kind: MeasureKind) -> Target:
    name, post = (command.name or "").strip(), (command.post or "").strip()
    if kind in PERSON_MEASURES and command.target_kind is not TargetKind.PERSON:
        raise InvalidCommand(
            "target",
            f"“{MEASURE_LABELS[kind]}”是对个人的问责措施，请填写对象的姓名、职务和所在单位（target.kind=person）",
        )
    if command.target_kind is TargetKind.PERSON:
        if not name:
            raise InvalidCommand("target.name", "对个人问责须填写姓名（target.name）")
        if not post:
            raise InvalidCommand("target.post", "对个人问责须填写职务（target.post）")
        return Target(kind=TargetKind.PERSON, unit=command.unit.strip(), name=name, post=post)
    if name or post:
        raise InvalidCommand("target", "对单位问责不填写姓名和职务；对个人问责请使用 target.kind=person")
    return Target(kind=TargetKind.UNIT, unit=command.unit.strip())


# What the 督察办 may impose; everything else is the discipline commission's.
OFFICE_MEASURES = frozenset({MeasureKind.CRITICISM_NOTICE})


def _may_impose(authority: Authority, kind: MeasureKind) -> None:
    if authority is Authority.INSPECTION_OFFICE and kind not in OFFICE_MEASURES:
        raise Forbidden(f"督察办只能作出通报批评；“{MEASURE_LABELS[kind]}”须由纪委监委作出")


def _may_revoke(authority: Authority, measure: Measure) -> None:
    imposed_by = measure.imposed.authority or Authority.DISCIPLINE
    if authority is Authority.INSPECTION_OFFICE and imposed_by is not Authority.INSPECTION_OFFICE:
        raise Forbidden("该问责措施由纪委监委作出，只能由纪委监委撤销；督察办只能撤销本办作出的通报批评")


def decide(command: MeasureCommand, state: Measure | None) -> list[MeasureEvent]:
    match command:
        case ImposeMeasure():
            if state is not None:
                raise RuleViolation("measure_exists", f"问责措施 {command.measure_id} 已存在")
            if not command.unit.strip():
                raise InvalidCommand("target.unit", "请填写被问责单位或个人所在单位（target.unit）")
            kind = measure_kind(command.measure)
            _may_impose(command.authority, kind)
            return [
                MeasureImposed(
                    measure_id=command.measure_id,
                    target=_target(command, kind),
                    measure=kind,
                    reason=_reason(command.reason),
                    case_ids=list(dict.fromkeys(command.case_ids)),
                    imposed_by=command.imposed_by,
                    authority=command.authority,
                )
            ]
        case RevokeMeasure():
            reason = _reason(command.reason)
            if state is None:
                raise NotFound("问责措施", command.measure_id)
            _may_revoke(command.authority, state)
            if state.revoked is not None:
                raise RuleViolation("measure_already_revoked", f"问责措施 {command.measure_id} 已撤销，不能重复撤销")
            return [MeasureRevoked(measure_id=command.measure_id, reason=reason)]


def evolve(state: Measure | None, event: Event) -> Measure:
    match event:
        case MeasureImposed():
            return Measure(imposed=event)
        case MeasureRevoked():
            assert state is not None, "a revocation follows an imposition in the same stream"
            return replace(state, revoked=event)
    raise ValueError(f"{event.event_type()} is not an event of a measure's stream")


# A measure (问责措施) as one value: what the handler runs impositions and revocations through.
decider: Decider[MeasureCommand, Measure | None] = Decider(decide=decide, evolve=evolve, initial=None)
