"""Routes of intake: a report enters here and leaves as IssueReported."""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Path, status
from pydantic import BaseModel, Field

from services.intake import domain
from shared.aggregate import execute, load
from shared.clock import shown
from shared.contracts.codes import DOMAIN_LABELS, SOURCE_LABELS, Domain, Source
from shared.contracts.intake import Location
from shared.errors import NotFound
from shared.eventstore import Metadata
from shared.service import PlatformDep
from shared.web import current_correlation_id

router = APIRouter(prefix="/v1/reports", tags=["reports"])


class ReportIn(BaseModel):
    """A reported problem (问题线索)."""

    source: Source
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=5000)
    township: str = Field(min_length=1, max_length=100)
    domain: Domain
    location: Location | None = None
    batch: str | None = Field(default=None, max_length=100)
    external_ref: str | None = Field(default=None, max_length=100)


class ReportAccepted(BaseModel):
    issue_id: str
    status: Literal["accepted"] = "accepted"
    message: str


class ReportOut(BaseModel):
    issue_id: str
    source: Source
    source_label: str
    title: str
    description: str
    township: str
    domain: Domain
    domain_label: str
    location: Location | None
    batch: str | None
    external_ref: str | None
    reported_at: str
    version: int


IssueId = Annotated[str, Path(min_length=1, max_length=64)]


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=ReportAccepted)
async def submit_report(report: ReportIn, platform: PlatformDep) -> ReportAccepted:
    """Accepts a report; it is durable (event and outbox row committed) before the 202."""
    issue_id = str(uuid.uuid4())
    command = domain.ReportIssue(issue_id=issue_id, **report.model_dump(exclude={"location"}), location=report.location)
    async with platform.pool.acquire() as conn:
        await execute(
            conn,
            platform.store,
            issue_id,
            command,
            decide=domain.decide,
            evolve=domain.evolve,
            initial=None,
            meta=Metadata(actor="public", correlation_id=current_correlation_id() or issue_id),
        )
    return ReportAccepted(issue_id=issue_id, message=f"已受理，问题编号 {issue_id}")


@router.get("/{issue_id}", response_model=ReportOut)
async def get_report(issue_id: IssueId, platform: PlatformDep) -> ReportOut:
    async with platform.pool.acquire() as conn:
        issue, version, history = await load(conn, platform.store, issue_id, domain.evolve, None)
    if issue is None:
        raise NotFound("问题", issue_id)
    r = issue.report
    return ReportOut(
        issue_id=r.issue_id,
        source=r.source,
        source_label=SOURCE_LABELS[r.source],
        title=r.title,
        description=r.description,
        township=r.township,
        domain=r.domain,
        domain_label=DOMAIN_LABELS[r.domain],
        location=r.location,
        batch=r.batch,
        external_ref=r.external_ref,
        reported_at=shown(history[0].occurred_at),
        version=version,
    )
