"""Joint inspection rounds (联合督查): pure decisions, no I/O.

A round is its own stream `round:<id>`: opened once with its member units, lead unit and period; its findings
recorded while it is open, each linked to the issue it was reported as through intake (an `inspection_staff`
report, which opened its case the way every report does); closed at most once, after which it records nothing.
"""

from dataclasses import dataclass, replace

from services.accountability.commands import CloseRound, OpenRound, RecordFinding, RoundCommand
from shared.aggregate import Decider
from shared.contracts import Event
from shared.contracts.accountability import FindingRecorded, RoundClosed, RoundOpened
from shared.errors import InvalidCommand, NotFound, RuleViolation


def round_stream(round_id: str) -> str:
    return f"round:{round_id}"


@dataclass(frozen=True)
class Round:
    opened: RoundOpened
    findings: tuple[FindingRecorded, ...] = ()
    closed: RoundClosed | None = None

    def has_finding_on(self, issue_id: str) -> bool:
        return any(f.issue_id == issue_id for f in self.findings)


RoundEvent = RoundOpened | FindingRecorded | RoundClosed


def _open(command: OpenRound) -> RoundOpened:
    members = list(dict.fromkeys(unit.strip() for unit in command.member_units))
    if command.period_to < command.period_from:
        raise InvalidCommand("period_to", "督查结束日期不能早于开始日期")
    if command.lead_unit.strip() not in members:
        raise InvalidCommand("lead_unit", "牵头单位须是成员单位之一")
    return RoundOpened(
        round_id=command.round_id,
        name=command.name.strip(),
        member_units=members,
        lead_unit=command.lead_unit.strip(),
        period_from=command.period_from,
        period_to=command.period_to,
    )


def decide(command: RoundCommand, state: Round | None) -> list[RoundEvent]:
    match command:
        case OpenRound():
            if state is not None:
                raise RuleViolation("round_exists", f"联合督查 {command.round_id} 已存在")
            return [_open(command)]
        case RecordFinding():
            if state is None:
                raise NotFound("联合督查", command.round_id)
            if state.closed is not None:
                raise RuleViolation("round_closed", "该轮联合督查已结束，不能再记录督查发现")
            if state.has_finding_on(command.issue_id):
                raise RuleViolation("finding_exists", f"问题 {command.issue_id} 已记为本轮督查发现")
            return [
                FindingRecorded(
                    round_id=command.round_id,
                    finding_id=command.finding_id,
                    issue_id=command.issue_id,
                    note=command.note.strip(),
                )
            ]
        case CloseRound():
            if state is None:
                raise NotFound("联合督查", command.round_id)
            if state.closed is not None:
                raise RuleViolation("round_closed", "该轮联合督查已结束，不能重复结束")
            return [RoundClosed(round_id=command.round_id, summary=command.summary.strip())]


def evolve(state: Round | None, event: Event) -> Round:
    match event:
        case RoundOpened():
            return Round(opened=event)
        case FindingRecorded():
            assert state is not None, "a finding follows the round's opening in its stream"
            return replace(state, findings=(*state.findings, event))
        case RoundClosed():
            assert state is not None, "a closing follows the round's opening in its stream"
            return replace(state, closed=event)
    raise ValueError(f"{event.event_type()} is not an event of a round's stream")


# A joint inspection round (联合督查) as one value.
decider: Decider[RoundCommand, Round | None] = Decider(decide=decide, evolve=evolve, initial=None)
