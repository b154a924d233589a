"""The read model of audited reads (查阅留痕): one row per audit event, for 纪委 by person, resource and period."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.consumer import PoisonMessage
from shared.contracts.audit import RESOURCE_OF, ContactErased, ContactRead, Read, TimelineOpened
from shared.contracts.base import Event
from shared.db import Connection
from shared.envelope import Envelope

_SAVE = """
insert into audit_reads (event_id, type, resource, resource_id, actor, role, address, occurred_at, detail)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
on conflict (event_id) do nothing
"""


async def save(conn: Connection, envelope: Envelope, event: Event) -> None:
    if not isinstance(event, Read):
        raise PoisonMessage(f"{envelope.type} is not a read")
    resource_id = event.issue_id if isinstance(event, ContactRead | ContactErased | TimelineOpened) else None
    detail = event.model_dump(mode="json", exclude={"role", "address", "issue_id"})
    await conn.execute(
        _SAVE,
        envelope.event_id,
        envelope.type,
        RESOURCE_OF[envelope.type],
        resource_id,
        envelope.actor,
        event.role,
        event.address,
        envelope.occurred_at,
        detail,
    )


@dataclass(frozen=True)
class ReadsFilter:
    actor: str | None = None
    resource: str | None = None
    resource_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def page(conn: Connection, where: ReadsFilter, *, limit: int, offset: int) -> tuple[int, list[Any]]:
    """The total and one page of the reads `where` selects, the latest first."""
    args = (where.actor, where.resource, where.resource_id, where.since, where.until)
    condition = """($1::text is null or actor = $1) and ($2::text is null or resource = $2)
                   and ($3::text is null or resource_id = $3)
                   and ($4::timestamptz is null or occurred_at >= $4)
                   and ($5::timestamptz is null or occurred_at < $5)"""
    total = await conn.fetchval(f"select count(*) from audit_reads where {condition}", *args)
    rows = await conn.fetch(
        f"""select * from audit_reads where {condition}
             order by occurred_at desc, event_id limit $6 offset $7""",
        *args,
        limit,
        offset,
    )
    return int(total), list(rows)
