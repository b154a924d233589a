"""受理: every channel hands its report to `Intake.receive`, which decides new, repeat or resend; the reports sent
over HTTP come in batches (group_commit.py) to `Intake.record_many`, which decides each of them the same way.

One transaction (the batch's) holds the issue's events (and their outbox rows), the read tables,
the sealed reporter contact and the photos: the report is durable, whole, before
anyone is answered. It goes through `shared.commands.write`: when another report took
the same reference or appended to the same issue first, the report is decided again.
Phone and ID-card numbers in the report's free text are masked before anything is
recorded (masking.py); the original text is sealed with the reporter's contact.
Reports of one township and domain are decided one at a time (an advisory lock), so
two instances never open two issues for one place.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import asyncpg

from services.intake import commands, domain, masking, read_tables
from services.intake.attachments import Photo, keep_photos
from services.intake.duplicates import (
    DuplicatePolicy,
    KnownReference,
    Match,
    Outcome,
    Place,
    Reference,
    classify,
    reference_of,
)
from services.intake.privacy import ContactVault, ReporterContact, keep_contact
from services.intake.settings import IntakeSettings
from shared import clock
from shared.aggregate import execute
from shared.commands import write
from shared.contracts import Event
from shared.contracts.intake import DuplicateRule
from shared.db import Connection
from shared.envelope import Envelope
from shared.eventstore import EventStore, Metadata, count_appended, wrap
from shared.ids import new_id


@dataclass(frozen=True)
class Submission:
    """One report as a channel received it, with what must never reach an event kept apart."""

    report: commands.Report
    contact: ReporterContact | None = None
    photos: tuple[Photo, ...] = ()


@dataclass(frozen=True)
class Received:
    """A report on its way into a batch (group_commit.py): what was sent, its id and the request's metadata."""

    submission: Submission
    report_id: uuid.UUID
    meta: Metadata


# A report without a location as a batch decides it: its place in the batch, what was received, the report as it
# will be recorded, its text before masking and its reference.
_Plain = tuple[int, Received, commands.Report, dict[str, str], Reference | None]


@dataclass(frozen=True)
class Receipt:
    """回执: what the reporter is told."""

    issue_id: str
    report_id: str
    outcome: Outcome
    # The issue stream's version after the report (for a resend, as it already was): the answer's ETag.
    version: int
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

    async def receive(
        self, conn: Connection, submission: Submission, meta: Metadata, *, report_id: uuid.UUID | None = None
    ) -> Receipt:
        """Runs in the caller's transaction when there is one (a consumer's), else in its own."""
        report_id = report_id or new_id()

        async def attempt() -> Receipt:
            return await self.record(conn, submission, report_id, meta)

        # A reference taken by another report in the meantime (issue_references is unique) means: decide again.
        return await write(conn, attempt, expected_version=None, also_retry=(asyncpg.UniqueViolationError,))

    @staticmethod
    def _masked(submission: Submission) -> tuple[commands.Report, dict[str, str], Reference | None]:
        """The report as it will be recorded (numbers in its text masked, its photos named), the text before
        masking when there was any to mask, and its reference."""
        attachments = tuple(p.attachment for p in submission.photos)
        report = submission.report
        report, original_text = masking.masked(
            report if report.attachments == attachments else replace(report, attachments=attachments)
        )
        return (
            report,
            original_text,
            reference_of(report.channel, report.source.value, report.batch, report.external_ref),
        )

    async def record(self, conn: Connection, submission: Submission, report_id: uuid.UUID, meta: Metadata) -> Receipt:
        """Decides and records one report in the caller's transaction (no retry: `receive` and group_commit.py
        decide what a conflict does)."""
        report, original_text, reference = self._masked(submission)
        # Not stream concurrency (write() guards each issue's version) but places: without this lock two
        # instances could each find no open issue at one place and each open a new issue for it.
        known_ref = await read_tables.lock_place(conn, report.township, report.domain, reference)
        now = clock.now()
        place = Place(report.township, report.domain, report.location)
        candidates = (
            await read_tables.open_candidates(conn, place, now - self.policy.window, self.policy.distance_m)
            if report.location is not None and known_ref is None
            else []
        )
        match = classify(
            place=place,
            by_reference=known_ref[0] if known_ref else None,
            candidates=candidates,
            policy=self.policy,
            now=now,
        )
        if match.outcome is Outcome.ALREADY_RECEIVED:
            assert known_ref is not None
            issue_id = known_ref[0].issue_id
            version = await self.store.version(conn, issue_id)
            return Receipt(issue_id=issue_id, report_id=str(known_ref[1]), outcome=match.outcome, version=version)
        issue_id, version, reported_at = await self._record(conn, report, report_id, match, meta)
        row = read_tables.ReportRow(
            report_id=report_id,
            issue_id=issue_id,
            channel=report.channel,
            outcome=match.outcome,
            new_issue=(report, reported_at) if reported_at is not None else None,
            reference=reference,
        )
        await read_tables.add_reports(conn, [row])
        await self._keep(conn, submission, report_id, issue_id, original_text)
        return Receipt(
            issue_id=issue_id,
            report_id=str(report_id),
            outcome=match.outcome,
            version=version,
            rule=match.rule,
            distance_m=match.distance_m,
        )

    async def _keep(
        self,
        conn: Connection,
        submission: Submission,
        report_id: uuid.UUID,
        issue_id: str,
        original_text: dict[str, str],
    ) -> None:
        """The reporter's sealed contact (with the text before masking) and the photos, beside the report."""
        if submission.contact or original_text:
            await keep_contact(
                conn,
                self.vault,
                report_id=report_id,
                issue_id=issue_id,
                contact=submission.contact,
                original_text=original_text,
            )
        if submission.photos:
            await keep_photos(conn, report_id=report_id, issue_id=issue_id, photos=list(submission.photos))

    async def record_many(self, conn: Connection, reports: Sequence[Received]) -> list[Receipt]:
        """Decides and records several reports in the caller's transaction, in order, their places locked first
        (`read_tables.lock_places`, in a stable order); no retry, as `record`.

        A report with a location goes through `record`, as it would alone: the place rule reads the open issues of
        its place. The place rule never matches a report without one, nor matches another against it (it has no
        coordinates and no address), so those are decided together: their references found in one statement, the
        new issues appended in one, their rows written in one. A reference twice among them is a resend of the
        first; a reference that a report with a location takes as well fails on issue_references' key, and the
        caller decides again.
        """
        plain = [
            (i, received, *self._masked(received.submission))
            for i, received in enumerate(reports)
            if received.submission.report.location is None
        ]
        references = [reference for *_, reference in plain if reference is not None]
        known = await read_tables.lock_places(conn, [r.submission.report for r in reports], references)
        receipts = {
            i: await self.record(conn, received.submission, received.report_id, received.meta)
            for i, received in enumerate(reports)
            if received.submission.report.location is not None
        }
        new, streams = await self._decide_plain(conn, plain, known, receipts)
        appended = await self.store.append_new(conn, streams)
        rows = self._rows(new, streams, appended)
        if rows:
            await read_tables.add_reports(conn, rows)
        for i, received, _, original_text, _ in new:
            await self._keep(conn, received.submission, received.report_id, receipts[i].issue_id, original_text)
        return [receipts[i] for i in range(len(reports))]

    async def record_at_once(self, conn: Connection, reports: Sequence[Received]) -> list[Receipt] | None:
        """Decides and records a batch of reports in one statement, its own transaction, when nothing but their issues
        and rows is to be written: none has a location (so no place rule), a text to seal, a contact or a photo.

        Each is decided as `record_many` decides it, on the assumption that no reference of theirs is known yet
        (a reference twice among them is a resend of the first); `read_tables.record_new_issues` then takes the
        places' locks, finds the known references and writes the events, their outbox rows and the read rows only
        if it found none. None when the batch does not qualify or a reference was known (nothing written): the
        caller decides it with `record_many`. A reference committed meanwhile fails on issue_references' key, the
        whole statement with it, as in `record_many`.
        """
        plain = []
        for i, received in enumerate(reports):
            submission = received.submission
            if submission.report.location is not None or submission.contact or submission.photos:
                return None
            report, original_text, reference = self._masked(submission)
            if original_text:
                return None
            plain.append((i, received, report, original_text, reference))
        receipts: dict[int, Receipt] = {}
        new, streams = await self._decide_plain(conn, plain, {}, receipts)
        envelopes = [wrap(issue_id, events, 0, meta) for issue_id, events, meta in streams]
        recorded = await read_tables.record_new_issues(
            conn,
            [r.submission.report for r in reports],
            [e for stream in envelopes for e in stream],
            self._rows(new, streams, envelopes),
            self.store,
        )
        if not recorded:
            return None
        count_appended(e for stream in envelopes for e in stream)
        return [receipts[i] for i in range(len(reports))]

    async def _decide_plain(
        self,
        conn: Connection,
        plain: Sequence[_Plain],
        known: dict[Reference, tuple[KnownReference, uuid.UUID]],
        receipts: dict[int, Receipt],
    ) -> tuple[list[_Plain], list[tuple[str, Sequence[Event], Metadata]]]:
        """The reports without a location decided in order: a known reference or one taken earlier in the batch is a
        resend, anything else a new issue. Fills `receipts`; the new issues' reports and their streams."""
        taken: dict[Reference, Receipt] = {}
        new: list[_Plain] = []
        streams: list[tuple[str, Sequence[Event], Metadata]] = []
        for i, received, report, original_text, reference in plain:
            if reference is not None and reference in known:
                (issue, earlier) = known[reference]
                version = await self.store.version(conn, issue.issue_id)
                receipts[i] = Receipt(issue.issue_id, str(earlier), Outcome.ALREADY_RECEIVED, version)
            elif reference is not None and reference in taken:
                receipts[i] = replace(taken[reference], outcome=Outcome.ALREADY_RECEIVED)
            else:
                issue_id = str(new_id())
                command = commands.ReportIssue(issue_id=issue_id, report_id=str(received.report_id), report=report)
                streams.append((issue_id, domain.decider.decide(command, domain.decider.initial), received.meta))
                new.append((i, received, report, original_text, reference))
                receipts[i] = Receipt(issue_id, str(received.report_id), Outcome.NEW, version=len(streams[-1][1]))
                if reference is not None:
                    taken[reference] = receipts[i]
        return new, streams

    @staticmethod
    def _rows(
        new: Sequence[_Plain],
        streams: Sequence[tuple[str, Sequence[Event], Metadata]],
        appended: Sequence[Sequence[Envelope]],
    ) -> list[read_tables.ReportRow]:
        """The read rows of the new issues `_decide_plain` found, once their events are made."""
        return [
            read_tables.ReportRow(
                report_id=received.report_id,
                issue_id=issue_id,
                channel=report.channel,
                outcome=Outcome.NEW,
                new_issue=(report, events[0].occurred_at),
                reference=reference,
            )
            for (_, received, report, _, reference), (issue_id, _, _), events in zip(
                new, streams, appended, strict=True
            )
        ]

    async def _record(
        self, conn: Connection, report: commands.Report, report_id: uuid.UUID, match: Match, meta: Metadata
    ) -> tuple[str, int, datetime | None]:
        """The report's event appended to its issue (a new one, or the one it repeats): the issue, its version and,
        for a new issue, when it was reported."""
        command: commands.Command
        if match.outcome is Outcome.NEW:
            issue_id = str(new_id())
            command = commands.ReportIssue(issue_id=issue_id, report_id=str(report_id), report=report)
        else:
            assert match.issue_id is not None and match.rule is not None
            issue_id = match.issue_id
            command = commands.LinkDuplicate(
                issue_id=issue_id, report_id=str(report_id), report=report, rule=match.rule, distance_m=match.distance_m
            )
        decided = await execute(
            conn, self.store, issue_id, command, domain.decider, meta=meta, new=match.outcome is Outcome.NEW
        )
        return issue_id, decided.version, decided.events[0].occurred_at if match.outcome is Outcome.NEW else None
