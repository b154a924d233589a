"""省级平台回传: every status change of a provincial 交办's case, and its result (办理结果), back to the province.

Intake follows `cases.events` for every issue it opened: the case status tells
duplicate matching whether an issue is still open, and the unit it is assigned to
which responsible unit may read its reports and photos (shared.scope). For an issue that carries a
province reference, each change also becomes a ProvinceStatusChanged (and, on 销号, a
ProvinceResultReported) appended to the stream `province:<issue_id>`, whose outbox
rows name `province.outbound`: the same relay publishes them, in order, as CloudEvents
in binary mode. The mapping below is pure; `ProvinceOutbound` does the I/O. The status a
case is in after each event is the contracts' (`shared.contracts.cases.status_after`);
only what each event is called to the province is written here.
"""

from dataclasses import dataclass, field, replace
from datetime import datetime

import asyncpg
import structlog

from shared import clock
from shared.clock import SHANGHAI
from shared.consumer import PoisonMessage
from shared.contracts import Event
from shared.contracts.audit import CheckpointSigned
from shared.contracts.cases import (
    Assigned,
    CaseOpened,
    Closed,
    ClosureFiled,
    ClosureRejected,
    ClosureRequested,
    DeadlineExtended,
    DeadlineMissed,
    Evidence,
    NoticeCompleted,
    NoticeStarted,
    ObjectionReceived,
    Reassigned,
    Reopened,
    ReviewPassed,
    ReviewRejected,
    ReviewRequested,
    SignedOff,
    VerificationPassed,
    status_after,
)
from shared.contracts.codes import CASE_STATUS_LABELS, CaseStatus
from shared.contracts.province import (
    STATUS_CHANGE_LABELS,
    ProvinceClosureFiled,
    ProvinceResultReported,
    ProvinceReviewRequested,
    ProvinceStatusChanged,
    StatusChange,
)
from shared.db import Connection
from shared.envelope import Envelope
from shared.eventstore import EventStore, Metadata

log = structlog.get_logger()

# What each case event the province hears of is to the province.
CHANGES: dict[type[Event], StatusChange] = {
    CaseOpened: StatusChange.OPENED,
    Assigned: StatusChange.ASSIGNED,
    Reassigned: StatusChange.REASSIGNED,
    ClosureRequested: StatusChange.CLOSURE_REQUESTED,
    Closed: StatusChange.CLOSED,
    ClosureRejected: StatusChange.CLOSURE_REJECTED,
    Reopened: StatusChange.REOPENED,
    DeadlineExtended: StatusChange.DEADLINE_EXTENDED,
    DeadlineMissed: StatusChange.DEADLINE_MISSED,
    VerificationPassed: StatusChange.VERIFICATION_PASSED,
    NoticeStarted: StatusChange.NOTICE_STARTED,
    ObjectionReceived: StatusChange.OBJECTION_RECEIVED,
    NoticeCompleted: StatusChange.NOTICE_COMPLETED,
    SignedOff: StatusChange.SIGNED_OFF,
    ReviewRequested: StatusChange.REVIEW_REQUESTED,
    ReviewPassed: StatusChange.REVIEW_PASSED,
    ReviewRejected: StatusChange.REVIEW_REJECTED,
    ClosureFiled: StatusChange.CLOSURE_FILED,
}


@dataclass(frozen=True)
class Tracked:
    """What intake knows of an issue's case, from cases.events."""

    status: CaseStatus | None = None
    closure_summary: str | None = None
    closure_evidence: tuple[Evidence, ...] = field(default_factory=tuple)
    unit: str | None = None  # 责任单位 the case is assigned to now: whose reports a unit token reads


def track(tracked: Tracked, event: Event) -> Tracked:
    after = replace(tracked, status=status_after(event, tracked.status))
    if isinstance(event, Assigned | Reassigned):
        after = replace(after, unit=event.unit)
    if isinstance(event, ClosureRequested):
        after = replace(after, closure_summary=event.summary, closure_evidence=tuple(event.evidence))
    return after


def _details(event: Event) -> tuple[str | None, datetime | None, str | None]:
    """(责任单位, 整改时限, 说明) as far as the event tells them."""
    match event:
        case Assigned() | Reassigned():
            return event.unit, event.deadline, event.task
        case ClosureRequested():
            return None, None, event.summary
        case Closed():
            return event.unit, None, event.note
        case ClosureRejected():
            return event.unit, None, event.reason
        case Reopened():
            return event.unit, event.new_deadline, event.reason
        case DeadlineExtended():
            return None, event.new_deadline, event.reason
        case DeadlineMissed():
            return event.unit, event.deadline, f"已第 {event.missed_count} 次超过整改时限"
        case VerificationPassed():
            return event.unit, None, event.note
        case NoticeStarted():
            return None, event.ends, None  # the 公示 itself is on the public page
        case SignedOff() | ReviewPassed():
            return None, None, event.opinion
        case ReviewRequested():
            return event.unit, None, event.note
        case ReviewRejected():
            return event.unit, event.new_deadline, event.reason
        case ClosureFiled():
            return None, None, event.note
    return None, None, None


def upward(event: Event, *, issue_id: str, references: list[str], at: datetime) -> list[Event]:
    """What the closure procedure sends the level above, whether or not the province handed the problem over:
    提请复核 (ReviewRequested) and 销号报备 (ClosureFiled), once each (with the province's first reference, if any)."""
    reference = references[0] if references else None
    match event:
        case ReviewRequested():
            return [
                ProvinceReviewRequested(
                    issue_id=issue_id,
                    reference=reference,
                    source=event.source.value,
                    title=event.title,
                    unit=event.unit,
                    summary=event.summary,
                    note=event.note,
                    requested_at=at.astimezone(SHANGHAI),
                )
            ]
        case ClosureFiled():
            return [
                ProvinceClosureFiled(
                    issue_id=issue_id,
                    reference=reference,
                    filed_to=event.filed_to,
                    note=event.note,
                    filed_at=at.astimezone(SHANGHAI),
                )
            ]
    return []


def to_province(event: Event, *, reference: str, issue_id: str, at: datetime, tracked: Tracked) -> list[Event]:
    """The province's events for one case event, `tracked` being the case after it."""
    change = CHANGES[type(event)]
    status = tracked.status or CaseStatus.REPORTED
    unit, deadline, note = _details(event)
    events: list[Event] = [
        ProvinceStatusChanged(
            reference=reference,
            issue_id=issue_id,
            change=change,
            change_label=STATUS_CHANGE_LABELS[change],
            status=status,
            status_label=CASE_STATUS_LABELS[status],
            changed_at=at.astimezone(SHANGHAI),
            unit=unit,
            deadline=deadline.astimezone(SHANGHAI) if deadline else None,
            note=note,
        )
    ]
    if isinstance(event, Closed):
        events.append(
            ProvinceResultReported(
                reference=reference,
                issue_id=issue_id,
                unit=event.unit,
                summary=tracked.closure_summary,
                evidence=list(tracked.closure_evidence),
                verifier=event.verifier,
                verification_note=event.note,
                closed_at=at.astimezone(SHANGHAI),
            )
        )
    return events


def merged(*, reference: str, issue_id: str, at: datetime, tracked: Tracked) -> ProvinceStatusChanged:
    """The province's 交办 was a problem already open here: it is handled in that issue, at its status."""
    status = tracked.status or CaseStatus.REPORTED
    return ProvinceStatusChanged(
        reference=reference,
        issue_id=issue_id,
        change=StatusChange.MERGED,
        change_label=STATUS_CHANGE_LABELS[StatusChange.MERGED],
        status=status,
        status_label=CASE_STATUS_LABELS[status],
        changed_at=at.astimezone(SHANGHAI),
        note=f"与问题 {issue_id} 为同一问题，并案办理",
    )


def stream_of(issue_id: str) -> str:
    return f"province:{issue_id}"


def _issue_of(envelope: Envelope) -> str:
    """The issue a case event is about: the case stream's id is the issue id (shared.contracts.cases)."""
    event = envelope.payload
    return event.case_id if isinstance(event, CaseOpened) else envelope.stream_id


def _tracked_of(row: asyncpg.Record) -> Tracked:
    return Tracked(
        status=CaseStatus(row["case_status"]) if row["case_status"] else None,
        closure_summary=row["closure_summary"],
        closure_evidence=tuple(Evidence.model_validate(e) for e in row["closure_evidence"] or ()),
        unit=row["case_unit"],
    )


class ProvinceOutbound:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    async def _tracked(self, conn: Connection, issue_id: str) -> Tracked | None:
        row = await conn.fetchrow(
            """select case_status, closure_summary, closure_evidence, case_unit from issue_index
                where issue_id = $1 for update""",
            issue_id,
        )
        return None if row is None else _tracked_of(row)

    async def _references(self, conn: Connection, issue_id: str) -> list[str]:
        rows = await conn.fetch("select reference from province_links where issue_id = $1 order by reference", issue_id)
        return [r["reference"] for r in rows]

    async def _append(self, conn: Connection, issue_id: str, events: list[Event], meta: Metadata) -> None:
        stream = stream_of(issue_id)
        await self.store.append(conn, stream, events, await self.store.version(conn, stream), meta)

    async def on_checkpoint(self, conn: Connection, envelope: Envelope, event: CheckpointSigned) -> None:
        """审计检查点: every service's signed checkpoint (audit.checkpoints) goes on to the province as it was signed,
        in the stream `province-checkpoints:<service>`: province.outbound keeps one writer, and the signature, not
        the writer, vouches for it (the province checks it with the service's key, GET /v1/audit/keys)."""
        stream = f"province-checkpoints:{event.service}"
        meta = Metadata(
            actor=envelope.actor, correlation_id=envelope.correlation_id, causation_id=str(envelope.event_id)
        )
        await self.store.append(conn, stream, [event], await self.store.version(conn, stream), meta)

    async def on_case_event(self, conn: Connection, envelope: Envelope, event: Event) -> None:
        """A case event of one of CHANGES' types: the issue's status follows it, and the province hears of it."""
        issue_id = _issue_of(envelope)
        before = await self._tracked(conn, issue_id)
        if before is None:
            log.info("case_of_unknown_issue", issue_id=issue_id)  # not opened by this intake: nothing to follow
            return
        after = track(before, event)
        await conn.execute(
            """update issue_index
                  set case_status = $2, closed = $3, closure_summary = $4, closure_evidence = $5, case_unit = $6
                where issue_id = $1""",
            issue_id,
            after.status.value if after.status else None,
            after.status is CaseStatus.CLOSED,
            after.closure_summary,
            [e.model_dump(mode="json") for e in after.closure_evidence],
            after.unit,
        )
        references = await self._references(conn, issue_id)
        outbound = [
            e
            for reference in references
            for e in to_province(event, reference=reference, issue_id=issue_id, at=envelope.occurred_at, tracked=after)
        ] + upward(event, issue_id=issue_id, references=references, at=envelope.occurred_at)
        if outbound:
            meta = Metadata(actor="intake", correlation_id=envelope.correlation_id, causation_id=str(envelope.event_id))
            await self._append(conn, issue_id, outbound, meta)

    async def on_case_events(self, conn: Connection, envelopes: list[Envelope]) -> None:
        """A batch of case events at once, with the effects of `on_case_event` on each in turn: the issues' rows
        (locked, in issue order) and their province references read in two statements, each issue's row written
        once, after its last event; only the province's own events (issues with a reference) are appended one by one.
        """
        for envelope in envelopes:
            if type(envelope.payload) not in CHANGES:
                raise PoisonMessage(f"{envelope.type} carries a {type(envelope.payload).__name__}")
        issue_ids = sorted({_issue_of(envelope) for envelope in envelopes})
        rows = await conn.fetch(
            """select issue_id, case_status, closure_summary, closure_evidence, case_unit from issue_index
                where issue_id = any($1::text[]) order by issue_id for update""",
            issue_ids,
        )
        tracked = {row["issue_id"]: _tracked_of(row) for row in rows}
        references: dict[str, list[str]] = {}
        for row in await conn.fetch(
            "select issue_id, reference from province_links where issue_id = any($1::text[]) order by reference",
            list(tracked),
        ):
            references.setdefault(row["issue_id"], []).append(row["reference"])
        changed: dict[str, Tracked] = {}
        for envelope in envelopes:
            issue_id, event = _issue_of(envelope), envelope.payload
            before = tracked.get(issue_id)
            if before is None:
                log.info("case_of_unknown_issue", issue_id=issue_id)  # not opened by this intake: nothing to follow
                continue
            after = tracked[issue_id] = changed[issue_id] = track(before, event)
            outbound = [
                e
                for reference in references.get(issue_id, ())
                for e in to_province(
                    event, reference=reference, issue_id=issue_id, at=envelope.occurred_at, tracked=after
                )
            ] + upward(event, issue_id=issue_id, references=references.get(issue_id, []), at=envelope.occurred_at)
            if outbound:
                meta = Metadata(
                    actor="intake", correlation_id=envelope.correlation_id, causation_id=str(envelope.event_id)
                )
                await self._append(conn, issue_id, outbound, meta)
        if changed:
            await conn.execute(
                """update issue_index i
                      set case_status = r.case_status, closed = r.closed, closure_summary = r.closure_summary,
                          closure_evidence = r.closure_evidence, case_unit = r.case_unit
                     from jsonb_to_recordset($1::jsonb)
                          as r (issue_id text, case_status text, closed boolean, closure_summary text,
                                closure_evidence jsonb, case_unit text)
                    where i.issue_id = r.issue_id""",
                [
                    {
                        "issue_id": issue_id,
                        "case_status": after.status.value if after.status else None,
                        "closed": after.status is CaseStatus.CLOSED,
                        "closure_summary": after.closure_summary,
                        "closure_evidence": [e.model_dump(mode="json") for e in after.closure_evidence],
                        "case_unit": after.unit,
                    }
                    for issue_id, after in changed.items()
                ],
            )

    async def announce_merge(self, conn: Connection, issue_id: str, reference: str, meta: Metadata) -> None:
        tracked = await self._tracked(conn, issue_id) or Tracked()
        event = merged(reference=reference, issue_id=issue_id, at=clock.now(), tracked=tracked)
        await self._append(conn, issue_id, [event], meta)
