"""Every request and response model of intake, and what turns a request into a report and state into a response."""

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from services.intake.commands import Report
from services.intake.contact_reads import RecordedRead
from services.intake.domain import Issue
from services.intake.duplicates import Outcome
from services.intake.handlers import Receipt
from services.intake.privacy import ERASED, ContactRead, Erased
from shared.clock import shown
from shared.contracts.base import LongText, PersonName, Phone, Readable, ShortText, Title
from shared.contracts.codes import DOMAIN_LABELS, SOURCE_LABELS, Domain, Source
from shared.contracts.intake import CHANNEL_LABELS, Attachment, Channel, DuplicateRule, Location
from shared.errors import InvalidCommand

# What became of a report, as the reporter reads it in the receipt.
ReceiptStatus = Literal["accepted", "linked", "already_received"]

STATUS_OF: dict[Outcome, ReceiptStatus] = {
    Outcome.NEW: "accepted",
    Outcome.LINKED: "linked",
    Outcome.ALREADY_RECEIVED: "already_received",
}


def checked_location(location: Location | None, field: str = "location") -> Location | None:
    """A location is an address, a pair of coordinates, or both; half a pair is a mistake."""
    if location is None:
        return None
    if (location.lat is None) != (location.lon is None):
        raise InvalidCommand(field, "经度和纬度需同时填写")
    address = (location.address or "").strip() or None
    if address is None and location.lat is None:
        return None
    return Location(address=address, lat=location.lat, lon=location.lon)


def _trimmed(value: str | None) -> str | None:
    return value.strip() if value else None


# Requests.


class ReporterIn(BaseModel):
    """举报人 (optional): kept encrypted in intake only, never published."""

    name: PersonName | None = None
    phone: Phone | None = None


class ProblemIn(BaseModel):
    """What every entry says about the problem (问题线索)."""

    title: Title
    description: LongText
    township: ShortText
    domain: Domain
    location: Location | None = None

    def report(
        self, source: Source, channel: Channel, *, batch: str | None = None, external_ref: str | None = None
    ) -> Report:
        return Report(
            source=source,
            channel=channel,
            title=self.title,
            description=self.description,
            township=self.township.strip(),
            domain=self.domain,
            location=checked_location(self.location),
            batch=_trimmed(batch),
            external_ref=_trimmed(external_ref),
        )


class ReportIn(ProblemIn):
    """A reported problem. Source, batch and reference are for the staff who enter reports; the public's is 县长信箱."""

    source: Source | None = Field(
        default=None, description="问题来源, named by the staff who enter reports; mailbox (县长信箱) when omitted"
    )
    batch: ShortText | None = Field(default=None, description="交办批次: staff only")
    external_ref: ShortText | None = Field(default=None, description="交办编号 or other reference: staff only")
    reporter: ReporterIn | None = None


class HotlineCallIn(ProblemIn):
    """A call taken by an operator: 12369 环保热线 or 县长热线, with the call's reference number."""

    line: Literal["hotline_12369", "county_hotline"]
    call_ref: ShortText = Field(description="来电工单号")
    caller: ReporterIn | None = Field(default=None, description="来电人 (optional), kept encrypted")


class InspectionIn(ProblemIn):
    """A problem found by inspection staff: 自查自纠 (self_inspection) or 明察暗访 (covert_inspection)."""

    kind: Literal["self_inspection", "covert_inspection"]
    inspection_ref: ShortText | None = Field(default=None, description="检查记录编号, if any")


# Responses.


class ReportAccepted(BaseModel):
    """回执. `issue_id` is the reference to quote: for a repeat report, the existing issue's."""

    issue_id: str
    report_id: str
    status: ReceiptStatus
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

    @classmethod
    def of(cls, issue: Issue, version: int, reported_at: datetime) -> "ReportOut":
        r = issue.report
        return cls(
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
            reported_at=shown(reported_at),
            version=version,
        )


class ContactOut(BaseModel):
    report_id: str
    channel: Channel
    received_at: str
    name: str | None
    phone: str | None
    original_text: dict[str, str] | None = Field(
        default=None,
        description="原文: title, description or address as written, where phone or ID numbers were masked in it",
    )
    erased: bool = Field(default=False, description="依申请删除: name, phone and text are gone for good")
    erased_at: str | None = None
    erased_notice: str | None = Field(default=None, description="已依申请删除, where the contact was erased")


class ContactsOut(BaseModel):
    issue_id: str
    contacts: list[ContactOut]
    notice: str = "举报人信息保密：仅用于回访核实，不得外传；本次查阅已记录"

    @classmethod
    def of(cls, issue_id: str, reads: Sequence[ContactRead]) -> "ContactsOut":
        return cls(
            issue_id=issue_id,
            contacts=[
                ContactOut(
                    report_id=str(c.report_id),
                    channel=Channel(c.channel),
                    received_at=shown(c.received_at),
                    name=c.name,
                    phone=c.phone,
                    original_text=c.original_text,
                    erased=c.erased_at is not None,
                    erased_at=shown(c.erased_at) if c.erased_at else None,
                    erased_notice=ERASED if c.erased_at else None,
                )
                for c in reads
            ],
        )


class ContactReadOut(BaseModel):
    actor: str
    role: str
    address: str = Field(description="the client's address (未记录 for reads recorded before addresses were)")
    read_at: str
    report_ids: list[str]

    @classmethod
    def of(cls, read: RecordedRead) -> "ContactReadOut":
        return cls(
            actor=read.actor,
            role=read.role,
            address=read.address,
            read_at=shown(read.read_at),
            report_ids=read.report_ids,
        )


class ErasureIn(BaseModel):
    """依申请删除举报人信息: why (the request's number or basis; never the reporter's name or phone)."""

    reason: str = Field(min_length=1, max_length=500, description="删除依据，如申请编号")
    report_id: UUID | None = Field(default=None, description="which report's contact, when the issue has several")


class ErasureOut(BaseModel):
    issue_id: str
    report_id: str
    erased_at: str
    message: str = "举报人信息已依申请删除，任何人都无法再读取"

    @classmethod
    def of(cls, issue_id: str, erased: Erased) -> "ErasureOut":
        return cls(issue_id=issue_id, report_id=str(erased.report_id), erased_at=shown(erased.erased_at))


class AcceptedRow(BaseModel):
    row: int
    batch: str
    serial: str
    issue_id: str
    status: ReceiptStatus
    message: str
    # Results stored before versions were recorded have none.
    version: int | None = Field(default=None, description="the issue's version after this row (its ETag)")


class RefusedRowOut(BaseModel):
    row: int
    batch: str | None
    serial: str | None
    reasons: list[str]


class BatchReport(BaseModel):
    """导入结果: one line per row of the file."""

    upload_id: str
    file_name: str
    file_sha256: str
    source: Source
    uploaded_at: str
    rows: int
    accepted_count: int
    refused_count: int
    created_count: int = Field(description="rows that opened a new issue")
    accepted: list[AcceptedRow]
    refused: list[RefusedRowOut]


# 公示异议 (POST /v1/public/objections): what anyone may send, and what they are told.


def _case_id(value: str) -> str:
    try:
        return str(UUID(value.strip()))
    except ValueError:
        raise ValueError("问题编号格式不正确，请从公示栏中的“提出异议”进入") from None


# The case's id as the public page lists it (a UUID: cases' ids are the issues' ids).
CaseId = Annotated[str, Field(max_length=64), AfterValidator(_case_id)]
# ObjectionFiled.text's bounds, trimmed first.
ObjectionText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=1000), Readable]


class ObjectionIn(BaseModel):
    """公示异议: which case, and what is wrong with its rectification. No name or contact is asked."""

    case_id: CaseId = Field(description="公示中的问题编号")
    text: ObjectionText = Field(description="异议内容，5—1000 字")


class ObjectionAccepted(BaseModel):
    """回执 of an objection: its number, and that the 督察办 will look into it."""

    objection_id: str
    case_id: str
    received_at: str = Field(description="Asia/Shanghai")
    message: str
