"""查阅留痕 for 纪委: who read a reporter's contact, exported the ledger or opened a case's timeline, and when.

Projections answers because it already reads every topic and serves the county's other read-only views: the audit
events of intake and of projections itself reach it on their audit topics, `audit.reads.intake` and
`audit.reads.projections` (services/projections/consumers.py, `audit-reads`),
and no service that records reads can also be the one that answers who read (a reader's own service could hide it).
"""

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, Field

from services.projections.deps import DepsDep
from services.projections.filters import TEXT, Offset
from services.projections.read_tables import audit as audit_table
from services.projections.schemas import AuditRead, AuditReads
from shared.auth import ROLE_LABELS, Role, require
from shared.clock import shown
from shared.contracts import label_of
from shared.errors import InvalidCommand

router = APIRouter(prefix="/v1/audit", tags=["audit"], dependencies=[require(Role.DISCIPLINE)])

MAX_PAGE = 200


class ReadsQuery(BaseModel):
    person: str | None = Field(default=None, min_length=1, max_length=100, pattern=TEXT, description="查阅人（用户名）")
    resource: str | None = Field(default=None, pattern="^(contact|ledger|timeline)$", description="查阅对象类型")
    resource_id: str | None = Field(default=None, min_length=1, max_length=64, pattern=TEXT, description="问题编号")
    from_: AwareDatetime | None = Field(default=None, alias="from", description="起（含），带时区")
    to: AwareDatetime | None = Field(default=None, description="止（不含），带时区")


@router.get("/reads", response_model=AuditReads, summary="查阅留痕: who read what, the latest first")
async def audit_reads(
    deps: DepsDep,
    query: Annotated[ReadsQuery, Query()],
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"at most this many (≤ {MAX_PAGE})")] = 50,
    offset: Offset = 0,
) -> AuditReads:
    """纪委 only. Filter by person, resource (kind and issue) and period; paged, with the total."""
    if query.from_ and query.to and query.to <= query.from_:
        raise InvalidCommand("query.to", "结束时间应晚于开始时间（from）")
    where = audit_table.ReadsFilter(
        actor=query.person, resource=query.resource, resource_id=query.resource_id, since=query.from_, until=query.to
    )
    async with deps.pool.acquire() as conn:
        total, rows = await audit_table.page(conn, where, limit=limit, offset=offset)
    return AuditReads(
        total=total,
        limit=limit,
        offset=offset,
        items=[
            AuditRead(
                event_id=str(r["event_id"]),
                type=r["type"],
                label=label_of(r["type"]),
                resource=r["resource"],
                resource_id=r["resource_id"],
                actor=r["actor"],
                role=r["role"],
                role_label=_role_label(r["role"]),
                address=r["address"],
                at=shown(r["occurred_at"]),
                detail=r["detail"],
            )
            for r in rows
        ],
    )


def _role_label(role: str) -> str:
    try:
        return ROLE_LABELS[Role(role)]
    except ValueError:
        return role
