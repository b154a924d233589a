"""Supervision bulletins (督查通报): pure decisions, no I/O.

The year's bulletins are one stream `bulletins:<year>`, so a bulletin's number (第N期) is the stream's version
after it: unique and without gaps per year, the events table's key refusing a second writer at one number (a
command that lost the race is decided again on the fresh stream, shared.commands.write). The content (the
period's overdue cases and poorly performing units) is what projections' figures said when the 督察办 issued it
(`GET /v1/documents/bulletin-draft` there), recorded in the event so the bulletin never changes afterwards.
"""

from dataclasses import dataclass

from services.accountability.commands import IssueBulletin
from shared.aggregate import Decider
from shared.contracts import Event
from shared.contracts.accountability import BulletinIssued
from shared.errors import InvalidCommand

# The year is that of the issue (北京时间): a December period may be reported on in January.
BULLETIN_NO = "{year}年第{number}期"


def bulletin_stream(year: int) -> str:
    return f"bulletins:{year}"


@dataclass(frozen=True)
class Bulletins:
    """The year's bulletins so far: how many, so the next is numbered one more."""

    issued: int = 0


def decide(command: IssueBulletin, state: Bulletins) -> list[BulletinIssued]:
    if command.period_to < command.period_from:
        raise InvalidCommand("period_to", "通报期间的结束日期不能早于开始日期")
    number = state.issued + 1
    return [
        BulletinIssued(
            year=command.year,
            number=number,
            bulletin_no=BULLETIN_NO.format(year=command.year, number=number),
            title=command.title.strip(),
            period_from=command.period_from,
            period_to=command.period_to,
            overdue=command.overdue,
            units=command.units,
            text=command.text.strip(),
        )
    ]


def evolve(state: Bulletins, event: Event) -> Bulletins:
    match event:
        case BulletinIssued():
            return Bulletins(issued=state.issued + 1)
    raise ValueError(f"{event.event_type()} is not an event of a year's bulletins")


# The year's supervision bulletins (督查通报) as one value.
decider: Decider[IssueBulletin, Bulletins] = Decider(decide=decide, evolve=evolve, initial=Bulletins())
