"""Reports: submission as JSON, reading a report, and its reporters' contacts."""

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status

from services.intake import access, contact_reads, domain, privacy, read_tables
from services.intake.commands import Report
from services.intake.deps import Deps, DepsDep
from services.intake.handlers import Receipt, Submission
from services.intake.schemas import (
    ContactReadOut,
    ContactsOut,
    ErasureIn,
    ErasureOut,
    ReportAccepted,
    ReportIn,
    ReportOut,
)
from shared.aggregate import load
from shared.audit.reads import Reader
from shared.commands import answer_version
from shared.contracts.codes import Source
from shared.contracts.intake import Channel
from shared.errors import InvalidCommand, NotFound
from shared.scope import ScopeDep

PATH = "/v1/reports"

router = APIRouter(prefix=PATH, tags=["reports"])

NO_STORE = {"Cache-Control": "no-store"}

IssueId = Annotated[str, Path(min_length=1, max_length=64)]


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=ReportAccepted)
async def submit_report(
    report: ReportIn, request: Request, submitter: Annotated[access.Submitter, access.public()]
) -> Response:
    """Accepts a report; it is durable (event and outbox row committed) before the 202.

    A report of a problem already open is linked to it: the answer then names the existing issue.
    Without a token of the staff who enter reports (受理员, 督察办), the source is 县长信箱 and a batch,
    an external reference or another source is refused with 422; staff name them (县长信箱 when omitted).

    The receipt is serialised here, once, by its model (issue 14: FastAPI would validate the returned model
    against `response_model` again and encode it with a second pass); `response_model` still documents it.
    """
    # The service's dependencies from the request's state, as `DepsDep` gives them, without a sub-dependency for
    # FastAPI to solve on the busiest route (issue 14).
    deps: Deps = request.state.deps
    receipt = await deps.reports.handle(submission_of(report, submitter), submitter.actor)
    body, version = the_receipt(receipt)
    answer = Response(body, status.HTTP_202_ACCEPTED, media_type="application/json")
    answer_version(answer, version)
    return answer


def submission_of(report: ReportIn, submitter: access.Submitter) -> Submission:
    """The report as its sender may make it, with the reporter's contact kept apart (422 for what they may not)."""
    contact = (
        privacy.contact_from(report.reporter.name, report.reporter.phone, field_prefix="reporter.")
        if report.reporter
        else None
    )
    return Submission(report=_as_submitted(report, submitter), contact=contact)


def the_receipt(receipt: Receipt) -> tuple[bytes, int]:
    """The 202's body, the receipt serialised once by its model, and the version its ETag names."""
    return ReportAccepted.of(receipt).model_dump_json().encode(), receipt.version


PUBLIC_CLAIMS = {
    "source": "公众提交的举报来源为县长信箱，督察、热线、媒体等来源由工作人员录入",
    "batch": "公众提交不能指定交办批次，批次由督察办录入或导入",
    "external_ref": "公众提交不能指定交办编号，编号由工作人员录入或导入",
}


def _as_submitted(report: ReportIn, submitter: access.Submitter) -> Report:
    """The report as its sender may make it: only staff who enter reports say where it comes from."""
    if submitter.official:
        if report.source is Source.PROVINCE_PLATFORM:
            raise InvalidCommand("source", "省级平台交办只经省级平台接收，不能在此录入")
        source = report.source or access.PUBLIC_SOURCE
        return report.report(source, Channel.API, batch=report.batch, external_ref=report.external_ref)
    claimed = {
        "source": report.source not in (None, access.PUBLIC_SOURCE),
        "batch": report.batch is not None,
        "external_ref": report.external_ref is not None,
    }
    for field, message in PUBLIC_CLAIMS.items():
        if claimed[field]:
            raise InvalidCommand(field, message)
    return report.report(access.PUBLIC_SOURCE, Channel.API)


@router.get("/{issue_id}", response_model=ReportOut)
async def get_report(
    issue_id: IssueId, deps: DepsDep, scope: ScopeDep, _: Annotated[str, access.staff(*access.REPORT_READERS)]
) -> ReportOut:
    """A responsible unit reads only the reports of its own cases; any other is 404, as if it did not exist."""
    async with deps.pool.acquire() as conn:
        issue, version, history = await load(conn, deps.store, issue_id, domain.decider)
        unit = None if scope.county_wide else await read_tables.case_unit(conn, issue_id)
    if issue is None:
        raise NotFound("问题", issue_id)
    scope.check(unit, "问题", issue_id)
    return ReportOut.of(issue, version, history[0].occurred_at)


@router.get("/{issue_id}/contacts", response_model=ContactsOut, tags=["reporter privacy"])
async def read_reporter_contacts(
    issue_id: IssueId, deps: DepsDep, response: Response, reader: Annotated[Reader, access.contact_reader()]
) -> ContactsOut:
    """举报人联系方式 of every report of the issue (an erased one says 已依申请删除).

    Each read is an audit event (ContactRead on audit.reads.intake: who, role, address, when, which reports), committed
    with the read: no answer without its record."""
    async with deps.pool.acquire() as conn:
        if not await read_tables.issue_known(conn, issue_id):
            raise NotFound("问题", issue_id)
        reads = await privacy.read_contacts(conn, deps.intake.vault, deps.audit, issue_id, reader)
    response.headers.update(NO_STORE)
    return ContactsOut.of(issue_id, reads)


@router.delete("/{issue_id}/contact", response_model=ErasureOut, tags=["reporter privacy"])
async def erase_reporter_contact(
    issue_id: IssueId, erasure: ErasureIn, deps: DepsDep, reader: Annotated[Reader, access.contact_reader()]
) -> ErasureOut:
    """依申请删除: destroys the report's data key, so its name, phone and original text cannot be read again from
    the database, its backups (once the service key is retired: README) or the topics (they never held them).

    Events and figures stay as they were. The erasure is itself an audit event (ContactErased, with the reason)."""
    async with deps.pool.acquire() as conn:
        erased = await privacy.erase_contact(conn, deps.audit, reader, issue_id, erasure.report_id, erasure.reason)
    return ErasureOut.of(issue_id, erased)


@router.get("/{issue_id}/contact-reads", response_model=list[ContactReadOut], tags=["reporter privacy"])
async def list_contact_reads(
    issue_id: IssueId, deps: DepsDep, _: Annotated[Reader, access.contact_reader()]
) -> list[ContactReadOut]:
    """查阅记录: who read this issue's reporter contacts, in which role, from which address, and when (from the
    ContactRead audit events)."""
    async with deps.pool.acquire() as conn:
        reads = await contact_reads.recorded_reads(conn, issue_id)
    return [ContactReadOut.of(read) for read in reads]
