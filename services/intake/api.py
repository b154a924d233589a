"""Routes of reports: submission as JSON, reading a report, its photos, and its reporters' contacts."""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Response, status
from pydantic import BaseModel, Field

from services.intake import access, domain, privacy
from services.intake.attachments import fetch_photo
from services.intake.deps import IntakeDep, checked_location, request_meta
from services.intake.domain import Report
from services.intake.duplicates import Outcome
from services.intake.handlers import Intake, Receipt, Submission
from shared.aggregate import load
from shared.auth import Principal, Role
from shared.clock import shown
from shared.contracts.base import Text
from shared.contracts.codes import DOMAIN_LABELS, SOURCE_LABELS, Domain, Source
from shared.contracts.intake import CHANNEL_LABELS, Attachment, Channel, DuplicateRule, Location
from shared.errors import NotFound
from shared.service import Platform, PlatformDep

router = APIRouter(prefix="/v1", tags=["reports"])

NO_STORE = {"Cache-Control": "no-store"}


class ReporterIn(BaseModel):
    """举报人 (optional): kept encrypted in intake only, never published."""

    name: Text(50) | None = None  # type: ignore[valid-type]
    phone: Text(30) | None = None  # type: ignore[valid-type]


class ProblemIn(BaseModel):
    """What every entry says about the problem (问题线索)."""

    title: Text(200)  # type: ignore[valid-type]
    description: Text(5000)  # type: ignore[valid-type]
    township: Text(100)  # type: ignore[valid-type]
    domain: Domain
    location: Location | None = None

    def report(self, source: Source, channel: Channel, **extra: str | None) -> Report:
        return Report(
            source=source,
            channel=channel,
            title=self.title,
            description=self.description,
            township=self.township.strip(),
            domain=self.domain,
            location=checked_location(self.location),
            **{name: value.strip() if value else None for name, value in extra.items()},  # type: ignore[arg-type]
        )


class ReportIn(ProblemIn):
    """A reported problem, from any source."""

    source: Source
    batch: Text(100) | None = None  # type: ignore[valid-type]
    external_ref: Text(100) | None = None  # type: ignore[valid-type]
    reporter: ReporterIn | None = None


STATUS_OF: dict[Outcome, Literal["accepted", "linked", "already_received"]] = {
    Outcome.NEW: "accepted",
    Outcome.LINKED: "linked",
    Outcome.ALREADY_RECEIVED: "already_received",
}


class ReportAccepted(BaseModel):
    """回执. `issue_id` is the reference to quote: for a repeat report, the existing issue's."""

    issue_id: str
    report_id: str
    status: Literal["accepted", "linked", "already_received"]
    duplicate_rule: DuplicateRule | None = None
    distance_m: int | None = None
    message: str

    @classmethod
    def of(cls, receipt: Receipt) -> "ReportAccepted":
        return cls(
            issue_id=receipt.issue_id,
            report_id=receipt.report_id,
            status=STATUS_OF[receipt.outcome],
            duplicate_rule=receipt.rule,
            distance_m=receipt.distance_m,
            message=receipt.message,
        )


class ReportOut(BaseModel):
    issue_id: str
    source: Source
    source_label: str
    channel: Channel | None
    channel_label: str | None
    title: str
    description: str
    township: str
    domain: Domain
    domain_label: str
    location: Location | None
    batch: str | None
    external_ref: str | None
    attachments: list[Attachment]
    repeat_reports: int = Field(description="重复举报次数: reports linked to this issue after the first")
    reported_at: str
    version: int


class ContactOut(BaseModel):
    report_id: str
    channel: Channel
    received_at: str
    name: str | None
    phone: str | None


class ContactsOut(BaseModel):
    issue_id: str
    contacts: list[ContactOut]
    notice: str = "举报人信息保密：仅用于回访核实，不得外传；本次查阅已记录"


class ContactReadOut(BaseModel):
    actor: str
    read_at: str
    report_ids: list[str]


# Who reads reports and their photos.
READERS = (Role.OPERATOR, Role.INSPECTION_OFFICE, Role.LEADER, Role.UNIT, Role.ENFORCEMENT)

IssueId = Annotated[str, Path(min_length=1, max_length=64)]


@router.post("/reports", status_code=status.HTTP_202_ACCEPTED, response_model=ReportAccepted)
async def submit_report(
    report: ReportIn, intake: IntakeDep, platform: PlatformDep, actor: Annotated[str, access.public()]
) -> ReportAccepted:
    """Accepts a report; it is durable (event and outbox row committed) before the 202.

    A report of a problem already open is linked to it: the answer then names the existing issue.
    """
    contact = (
        privacy.contact_from(report.reporter.name, report.reporter.phone, field_prefix="reporter.")
        if report.reporter
        else None
    )
    report_ = report.report(report.source, Channel.API, batch=report.batch, external_ref=report.external_ref)
    return await accept(intake, platform, Submission(report=report_, contact=contact), actor)


async def accept(intake: Intake, platform: Platform, submission: Submission, actor: str) -> ReportAccepted:
    """Receives a submission on a connection of its own and answers with the receipt."""
    async with platform.pool.acquire() as conn:
        receipt = await intake.receive(conn, submission, request_meta(actor))
    return ReportAccepted.of(receipt)


@router.get("/reports/{issue_id}", response_model=ReportOut)
async def get_report(issue_id: IssueId, platform: PlatformDep, _: Annotated[str, access.staff(*READERS)]) -> ReportOut:
    async with platform.pool.acquire() as conn:
        issue, version, history = await load(conn, platform.store, issue_id, domain.evolve, None)
    if issue is None:
        raise NotFound("问题", issue_id)
    r = issue.report
    return ReportOut(
        issue_id=r.issue_id,
        source=r.source,
        source_label=SOURCE_LABELS[r.source],
        channel=r.channel,
        channel_label=CHANNEL_LABELS[r.channel] if r.channel else None,
        title=r.title,
        description=r.description,
        township=r.township,
        domain=r.domain,
        domain_label=DOMAIN_LABELS[r.domain],
        location=r.location,
        batch=r.batch,
        external_ref=r.external_ref,
        attachments=r.attachments,
        repeat_reports=issue.repeat_reports,
        reported_at=shown(history[0].occurred_at),
        version=version,
    )


@router.get(
    "/attachments/{attachment_id}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}, "image/heic": {}}}},
)
async def get_photo(
    attachment_id: uuid.UUID, platform: PlatformDep, _: Annotated[str, access.staff(*READERS)]
) -> Response:
    async with platform.pool.acquire() as conn:
        row = await fetch_photo(conn, attachment_id)
    if row is None:
        raise NotFound("照片", str(attachment_id))
    return Response(
        content=row["content"],
        media_type=row["content_type"],
        headers={"Content-Disposition": f'inline; filename="{row["file_name"]}"', **NO_STORE},
    )


@router.get("/reports/{issue_id}/contacts", response_model=ContactsOut, tags=["reporter privacy"])
async def read_reporter_contacts(
    issue_id: IssueId,
    intake: IntakeDep,
    platform: PlatformDep,
    response: Response,
    reader: Annotated[Principal, access.contact_reader()],
) -> ContactsOut:
    """举报人联系方式 of every report of the issue. Each read is recorded with who read it and when."""
    async with platform.pool.acquire() as conn:
        if not await conn.fetchval("select exists(select 1 from issue_index where issue_id = $1)", issue_id):
            raise NotFound("问题", issue_id)
        reads = await privacy.read_contacts(conn, intake.vault, issue_id, reader.actor)
    response.headers.update(NO_STORE)
    return ContactsOut(
        issue_id=issue_id,
        contacts=[
            ContactOut(
                report_id=str(c.report_id),
                channel=Channel(c.channel),
                received_at=shown(c.received_at),
                name=c.name,
                phone=c.phone,
            )
            for c in reads
        ],
    )


@router.get("/reports/{issue_id}/contact-reads", response_model=list[ContactReadOut], tags=["reporter privacy"])
async def list_contact_reads(
    issue_id: IssueId, platform: PlatformDep, _: Annotated[Principal, access.contact_reader()]
) -> list[ContactReadOut]:
    """查阅记录: who read this issue's reporter contacts, and when."""
    async with platform.pool.acquire() as conn:
        rows = await conn.fetch(
            "select actor, read_at, report_ids from contact_reads where issue_id = $1 order by id", issue_id
        )
    return [
        ContactReadOut(actor=r["actor"], read_at=shown(r["read_at"]), report_ids=[str(x) for x in r["report_ids"]])
        for r in rows
    ]
