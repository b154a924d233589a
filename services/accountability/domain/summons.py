"""Collective summons meetings (集体约谈会): pure decisions, no I/O.

A meeting is its own stream `summons-meeting:<id>`, one event: the date, the units summoned, the cases behind it.
"""

from services.accountability.commands import HoldSummonsMeeting
from shared.aggregate import Decider
from shared.contracts import Event
from shared.contracts.accountability import SummonsMeetingHeld
from shared.errors import RuleViolation


def summons_stream(meeting_id: str) -> str:
    return f"summons-meeting:{meeting_id}"


def decide(command: HoldSummonsMeeting, state: SummonsMeetingHeld | None) -> list[SummonsMeetingHeld]:
    if state is not None:
        raise RuleViolation("meeting_exists", f"约谈会 {command.meeting_id} 已记录")
    return [
        SummonsMeetingHeld(
            meeting_id=command.meeting_id,
            held_on=command.held_on,
            units=list(dict.fromkeys(unit.strip() for unit in command.units)),
            case_ids=list(dict.fromkeys(command.case_ids)),
            host=command.host.strip(),
            note=command.note.strip() if command.note else None,
        )
    ]


def evolve(state: SummonsMeetingHeld | None, event: Event) -> SummonsMeetingHeld:
    match event:
        case SummonsMeetingHeld():
            return event
    raise ValueError(f"{event.event_type()} is not an event of a summons meeting's stream")


# A collective summons meeting (集体约谈会) as one value.
decider: Decider[HoldSummonsMeeting, SummonsMeetingHeld | None] = Decider(decide=decide, evolve=evolve, initial=None)
