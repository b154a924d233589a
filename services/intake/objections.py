"""公示异议: an objection to a case in public notice, filed by anyone on the public page (/public/).

The objection is its own stream (the objection id is the stream id): one `ObjectionFiled` on `intake.events`,
appended with its outbox row in one statement, committed before the answer (as a report is). Who objected is not
asked and never recorded; mobile and ID-card numbers typed into the text are masked before the event, which is kept
for ever (masking.py). Cases consumes the event and decides: intake cannot see whether the case is in 公示.
"""

from services.intake.commands import FileObjection
from services.intake.masking import mask_numbers
from shared import clock
from shared.contracts.intake import ObjectionFiled
from shared.db import Connection
from shared.eventstore import EventStore, Metadata


def objection_filed(command: FileObjection) -> ObjectionFiled:
    """The event the command records: its text masked of personal numbers, received now."""
    return ObjectionFiled(
        objection_id=command.objection_id,
        case_id=command.case_id,
        text=mask_numbers(command.text),
        received_at=clock.now(),
    )


async def file_objection(conn: Connection, store: EventStore, command: FileObjection, meta: Metadata) -> ObjectionFiled:
    """Appends the objection as a new stream (version 0 expected: an objection id is never used twice)."""
    event = objection_filed(command)
    await store.append(conn, command.objection_id, [event], 0, meta)
    return event
