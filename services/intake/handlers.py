"""受理: every channel hands its report to `Intake.receive`, which decides new, repeat or resend.

One transaction holds the issue's events (and their outbox rows), the read tables,
the sealed reporter contact and the photos: the report is durable, whole, before
anyone is answered. Reports of one township and domain are decided one at a time
(an advisory lock), so two instances never open two issues for one place.
"""

import uuid
from dataclasses import dataclass, replace
from datetime import timedelta

import asyncpg

from services.intake import domain, index
from services.intake.attachments import Photo, keep_photos
from services.intake.duplicates import DuplicatePolicy, Match, Outcome, Place, classify, reference_key
from services.intake.privacy import ContactVault, ReporterContact, keep_contact
from services.intake.settings import IntakeSettings
from shared import clock
from shared.aggregate import execute
from shared.contracts.intake import DuplicateRule
from shared.eventstore import ConcurrencyConflict, EventStore, Metadata

_PLACE_LOCK = 7_301_101
_ATTEMPTS = 5


@dataclass(frozen=True)
class Submission:
    """One report as a channel received it, with what must never reach an event kept apart."""

    report: domain.Report
    contact: ReporterContact | None = None
    photos: tuple[Photo, ...] = ()


@dataclass(frozen=True)
class Receipt:
    """回执: what the reporter is told."""

    issue_id: str
    report_id: str
    outcome: Outcome
    rule: DuplicateRule | None = None
    distance_m: int | None = None

    @property
    def message(self) -> str:
        match self.outcome:
            case Outcome.NEW:
                return f"已受理，问题编号 {self.issue_id}"
            case Outcome.LINKED:
                return f"该问题已有人反映，您的举报已并入问题 {self.issue_id} 一并办理"
            case _:
                return f"该报告此前已受理，问题编号 {self.issue_id}，无需重复提交"


class Intake:
    def __init__(self, store: EventStore, policy: DuplicatePolicy, vault: ContactVault) -> None:
        self.store = store
        self.policy = policy
        self.vault = vault

    @classmethod
    def from_settings(cls, settings: IntakeSettings, store: EventStore) -> "Intake":
        policy = DuplicatePolicy(
            distance_m=settings.duplicate_distance_m, window=timedelta(hours=settings.duplicate_window_hours)
        )
        return cls(store, policy, ContactVault(settings.contact_keys))

    async def receive(self, conn: asyncpg.Connection, submission: Submission, meta: Metadata) -> Receipt:
        """Runs in the caller's transaction when there is one (a consumer's), else in its own."""
        report_id = uuid.uuid4()
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                async with conn.transaction():
                    return await self._receive(conn, submission, report_id, meta)
            except (asyncpg.UniqueViolationError, ConcurrencyConflict):
                # Another instance took the same reference or appended to the same issue first: decide again.
                if attempt == _ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    async def _receive(
        self, conn: asyncpg.Connection, submission: Submission, report_id: uuid.UUID, meta: Metadata
    ) -> Receipt:
        report = replace(submission.report, attachments=tuple(p.attachment for p in submission.photos))
        await conn.execute(
            "select pg_advisory_xact_lock($1, hashtext($2))", _PLACE_LOCK, f"{report.township}\x1f{report.domain}"
        )
        ref_key = reference_key(report.batch, report.external_ref)
        known_ref = await index.find_reference(conn, ref_key, report.channel) if ref_key else None
        now = clock.now()
        candidates = (
            await index.open_candidates(conn, report.township, report.domain, now - self.policy.window)
            if report.location is not None and known_ref is None
            else []
        )
        match = classify(
            channel=report.channel,
            place=Place(report.township, report.domain, report.location),
            by_reference=known_ref[0] if known_ref else None,
            candidates=candidates,
            policy=self.policy,
            now=now,
        )
        if match.outcome is Outcome.ALREADY_RECEIVED:
            assert known_ref is not None
            return Receipt(issue_id=known_ref[0].issue_id, report_id=str(known_ref[1]), outcome=match.outcome)
        issue_id = await self._record(conn, report, report_id, match, meta)
        await index.add_report(
            conn, report_id=report_id, issue_id=issue_id, channel=report.channel, outcome=match.outcome
        )
        if ref_key:
            await index.add_reference(
                conn, ref_key=ref_key, issue_id=issue_id, report_id=report_id, channel=report.channel
            )
        if submission.contact:
            await keep_contact(conn, self.vault, report_id=report_id, issue_id=issue_id, contact=submission.contact)
        if submission.photos:
            await keep_photos(conn, report_id=report_id, issue_id=issue_id, photos=list(submission.photos))
        return Receipt(
            issue_id=issue_id,
            report_id=str(report_id),
            outcome=match.outcome,
            rule=match.rule,
            distance_m=match.distance_m,
        )

    async def _record(
        self, conn: asyncpg.Connection, report: domain.Report, report_id: uuid.UUID, match: Match, meta: Metadata
    ) -> str:
        command: domain.Command
        if match.outcome is Outcome.NEW:
            issue_id = str(uuid.uuid4())
            command = domain.ReportIssue(issue_id=issue_id, report_id=str(report_id), report=report)
        else:
            assert match.issue_id is not None and match.rule is not None
            issue_id = match.issue_id
            command = domain.LinkDuplicate(
                issue_id=issue_id, report_id=str(report_id), report=report, rule=match.rule, distance_m=match.distance_m
            )
        decided = await execute(
            conn, self.store, issue_id, command, decide=domain.decide, evolve=domain.evolve, initial=None, meta=meta
        )
        if match.outcome is Outcome.NEW:
            await index.add_issue(conn, issue_id, report, decided.events[0].occurred_at)
        return issue_id
