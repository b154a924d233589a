"""Intake's read tables, written in the same transaction as the events they follow.

`issue_index` holds what duplicate matching needs (place, time, whether the case is
closed); `issue_references` maps external references, per channel and issuer, to issues;
`reports` lists every submission and what became of it; `batch_uploads` keeps each
batch import's result.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from services.intake.commands import Report
from services.intake.duplicates import KnownIssue, KnownReference, Place, Reference, address_key
from shared.contracts.codes import Domain
from shared.contracts.intake import Channel, Location
from shared.db import Connection


async def find_reference(conn: Connection, reference: Reference) -> tuple[KnownReference, UUID] | None:
    """The issue of a reference as the same channel and issuer brought it before, and the report that did."""
    row = await conn.fetchrow(
        """select issue_id, report_id from issue_references
            where channel = $1 and issuer = $2 and batch = $3 and ref = $4""",
        reference.channel.value,
        reference.issuer,
        reference.batch,
        reference.ref,
    )
    if row is None:
        return None
    return KnownReference(issue_id=row["issue_id"]), row["report_id"]


async def open_candidates(conn: Connection, township: str, domain: Domain, since: datetime) -> list[KnownIssue]:
    rows = await conn.fetch(
        """select issue_id, lat, lon, address_key, reported_at, closed from issue_index
            where township = $1 and domain = $2 and not closed and reported_at >= $3""",
        township,
        domain.value,
        since,
    )
    return [
        KnownIssue(
            issue_id=r["issue_id"],
            place=Place(township, domain, Location(address=r["address_key"], lat=r["lat"], lon=r["lon"])),
            reported_at=r["reported_at"],
            closed=r["closed"],
        )
        for r in rows
    ]


async def add_issue(conn: Connection, issue_id: str, report: Report, reported_at: datetime) -> None:
    location = report.location
    await conn.execute(
        """insert into issue_index (issue_id, township, domain, lat, lon, address_key, reported_at)
           values ($1, $2, $3, $4, $5, $6, $7)""",
        issue_id,
        report.township,
        report.domain.value,
        location.lat if location else None,
        location.lon if location else None,
        address_key(location.address) if location else None,
        reported_at,
    )


async def add_report(conn: Connection, *, report_id: UUID, issue_id: str, channel: Channel, outcome: str) -> None:
    await conn.execute(
        "insert into reports (report_id, issue_id, channel, outcome) values ($1, $2, $3, $4)",
        report_id,
        issue_id,
        channel.value,
        outcome,
    )


async def add_reference(conn: Connection, *, reference: Reference, issue_id: str, report_id: UUID) -> None:
    """Raises UniqueViolationError when another report took the reference first: the caller decides again."""
    await conn.execute(
        """insert into issue_references (channel, issuer, batch, ref, issue_id, report_id)
           values ($1, $2, $3, $4, $5, $6)""",
        reference.channel.value,
        reference.issuer,
        reference.batch,
        reference.ref,
        issue_id,
        report_id,
    )


async def issue_known(conn: Connection, issue_id: str) -> bool:
    return bool(await conn.fetchval("select exists(select 1 from issue_index where issue_id = $1)", issue_id))


async def case_unit(conn: Connection, issue_id: str) -> str | None:
    """The responsible unit the issue's case is assigned to now, as cases.events told it (None: not assigned)."""
    unit: str | None = await conn.fetchval("select case_unit from issue_index where issue_id = $1", issue_id)
    return unit


async def add_batch_upload(
    conn: Connection,
    *,
    upload_id: UUID,
    file_name: str,
    file_sha256: str,
    source: str,
    actor: str,
    accepted: int,
    refused: int,
    result: dict[str, Any],
    uploaded_at: datetime,
) -> None:
    await conn.execute(
        """insert into batch_uploads
               (upload_id, file_name, file_sha256, source, actor, accepted, refused, result, uploaded_at)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
        upload_id,
        file_name,
        file_sha256,
        source,
        actor,
        accepted,
        refused,
        result,
        uploaded_at,
    )


async def batch_upload_result(conn: Connection, upload_id: UUID) -> Any:
    """The stored result of a batch import (its JSON), or None."""
    return await conn.fetchval("select result from batch_uploads where upload_id = $1", upload_id)
