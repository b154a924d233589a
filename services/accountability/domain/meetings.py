"""Meetings on the work (会议研究部署: 常委会, 常务会, 动员会, 推进会, 调度会): pure decisions, no I/O.

A meeting is its own stream `meeting:<id>`, one event: its kind, date, decisions and the cases discussed.
"""

from services.accountability.commands import RecordWorkMeeting
from shared.aggregate import Decider
from shared.contracts import Event
from shared.contracts.accountability import WorkMeetingHeld
from shared.errors import InvalidCommand, RuleViolation


def meeting_stream(meeting_id: str) -> str:
    return f"meeting:{meeting_id}"


def decide(command: RecordWorkMeeting, state: WorkMeetingHeld | None) -> list[WorkMeetingHeld]:
    if state is not None:
        raise RuleViolation("meeting_exists", f"会议 {command.meeting_id} 已记录")
    decisions = [d.strip() for d in command.decisions if d.strip()]
    if not decisions:
        raise InvalidCommand("decisions", "请至少填写一项会议决定事项")
    return [
        WorkMeetingHeld(
            meeting_id=command.meeting_id,
            kind=command.kind,
            held_on=command.held_on,
            title=command.title.strip(),
            decisions=decisions,
            case_ids=list(dict.fromkeys(command.case_ids)),
        )
    ]


def evolve(state: WorkMeetingHeld | None, event: Event) -> WorkMeetingHeld:
    match event:
        case WorkMeetingHeld():
            return event
    raise ValueError(f"{event.event_type()} is not an event of a meeting's stream")


# A meeting on the work (工作会议) as one value.
decider: Decider[RecordWorkMeeting, WorkMeetingHeld | None] = Decider(decide=decide, evolve=evolve, initial=None)
