"""Intake's read tables, written in the same transaction as the events they follow.

`issue_index` holds what duplicate matching needs (place, time, whether the case is
closed); `issue_references` maps external references, per channel and issuer, to issues;
`reports` lists every submission and what became of it; `batch_uploads` keeps each
batch import's result.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from services.intake.commands import Report
from services.intake.duplicates import EARTH_RADIUS_M, KnownIssue, KnownReference, Place, Reference, address_key
from shared.contracts.codes import Domain
from shared.contracts.intake import Channel, Location
from shared.db import Connection

# The advisory lock under which the reports of one township and domain are decided (with hashtext of the place).
PLACE_LOCK = 7_301_101


def place_key(township: str, domain: Domain) -> str:
    """The text whose hash names a place's advisory lock."""
    return f"{township}\x1f{domain.value}"


async def lock_places(
    conn: Connection, reports: Sequence[Report], references: Sequence[Reference]
) -> dict[Reference, tuple[KnownReference, UUID]]:
    """Takes the locks of every place of a batch of reports, held until the transaction ends, in the order of their
    keys (two batches in two processes that share places take them in the same order and never wait in a cycle),
    and finds the issues of these references and the reports that brought them: one round trip. `lock_place` then
    finds each lock already held.

    As in `lock_place`, the references are read in the snapshot taken before the locks were granted: one that
    another process committed meanwhile fails on issue_references' key when it is inserted again, and the batch is
    decided again.
    """
    rows = await conn.fetch(
        """select known.i, known.issue_id, known.report_id
             from (select count(pg_advisory_xact_lock($1, key)) as locked
                     from (select distinct hashtext(place) as key from unnest($2::text[]) as place order by key)
                          as keys) as locks
             left join (select q.i, r.issue_id, r.report_id
                          from unnest($3::text[], $4::text[], $5::text[], $6::text[])
                               with ordinality as q (channel, issuer, batch, ref, i)
                          join issue_references r using (channel, issuer, batch, ref)) as known on true""",
        PLACE_LOCK,
        [place_key(r.township, r.domain) for r in reports],
        [r.channel.value for r in references],
        [r.issuer for r in references],
        [r.batch for r in references],
        [r.ref for r in references],
    )
    return {
        references[row["i"] - 1]: (KnownReference(issue_id=row["issue_id"]), row["report_id"])
        for row in rows
        if row["i"] is not None
    }


async def lock_place(
    conn: Connection, township: str, domain: Domain, reference: Reference | None
) -> tuple[KnownReference, UUID] | None:
    """Takes the place's lock, held until the transaction ends, and finds the issue of the report's reference as
    the same channel and issuer brought it before, and the report that did: one round trip.

    The reference is read in the statement's snapshot, taken before the lock was granted, so a reference another
    report committed while this one waited is not seen here: inserting it again then fails on issue_references'
    key, and the report is decided again (Intake.receive). What the lock guards, the open issues of the place
    (`open_candidates`), is read after it, in a statement of its own.
    """
    row = await conn.fetchrow(
        """select r.issue_id, r.report_id
             from (select pg_advisory_xact_lock($1, hashtext($2))) as place_lock
             left join issue_references r
               on r.channel = $3 and r.issuer = $4 and r.batch = $5 and r.ref = $6""",
        PLACE_LOCK,
        place_key(township, domain),
        reference.channel.value if reference else None,
        reference.issuer if reference else None,
        reference.batch if reference else None,
        reference.ref if reference else None,
    )
    if row is None or row["issue_id"] is None:
        return None
    return KnownReference(issue_id=row["issue_id"]), row["report_id"]


# Metres in a degree of latitude (and of longitude at the equator), on the sphere duplicates.distance_m uses.
METRES_PER_DEGREE = EARTH_RADIUS_M * math.pi / 180


def bounding_box(near: Location, metres: float) -> tuple[float, float, float, float]:
    """Latitudes and longitudes (south, north, west, east) of a box that holds every point within `metres` of
    `near`, with a little to spare; the exact distance is for duplicates.match_place to judge."""
    assert near.lat is not None and near.lon is not None
    dlat = metres * 1.01 / METRES_PER_DEGREE
    dlon = dlat / max(math.cos(math.radians(near.lat)), 0.01)
    return near.lat - dlat, near.lat + dlat, near.lon - dlon, near.lon + dlon


async def open_candidates(conn: Connection, place: Place, since: datetime, within_m: float) -> list[KnownIssue]:
    """The open issues of the place, reported since `since`, that could be the same problem: with coordinates, in
    the box around the report's (when it has them); without, at the same address. Their number stays flat as the
    open issues of a township and domain grow."""
    box = bounding_box(place.location, within_m) if place.has_coordinates and place.location else None
    rows = await conn.fetch(
        """select issue_id, lat, lon, address_key, reported_at, closed from issue_index
            where township = $1 and domain = $2 and not closed and reported_at >= $3
              and (case when lat is not null and lon is not null and $4::float8 is not null
                        then lat between $4 and $5 and lon between $6 and $7
                        else address_key = $8 end)""",
        place.township,
        place.domain.value,
        since,
        *(box or (None, None, None, None)),
        address_key(place.location.address if place.location else None),
    )
    return [
        KnownIssue(
            issue_id=r["issue_id"],
            place=Place(place.township, place.domain, Location(address=r["address_key"], lat=r["lat"], lon=r["lon"])),
            reported_at=r["reported_at"],
            closed=r["closed"],
        )
        for r in rows
    ]


@dataclass(frozen=True)
class ReportRow:
    """A report as `reports` lists it; the issue it opened (with when) for `issue_index`; its reference."""

    report_id: UUID
    issue_id: str
    channel: Channel
    outcome: str
    new_issue: tuple[Report, datetime] | None
    reference: Reference | None


async def add_reports(conn: Connection, rows: Sequence[ReportRow]) -> None:
    """Each report in `reports`; the issue it opened, with when, in `issue_index`; its reference in
    `issue_references`: one statement for them all. Raises UniqueViolationError when another report took a
    reference first: the caller decides again."""
    reports = [row.new_issue[0] if row.new_issue else None for row in rows]
    locations = [report.location if report else None for report in reports]
    await conn.execute(
        """with r as (
               select * from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                                    $7::float8[], $8::float8[], $9::text[], $10::timestamptz[], $11::text[],
                                    $12::text[], $13::text[])
                   as r (report_id, issue_id, channel, outcome, township, domain, lat, lon, address_key, reported_at,
                         issuer, batch, ref)
           ), issue as (
               insert into issue_index (issue_id, township, domain, lat, lon, address_key, reported_at)
               select issue_id, township, domain, lat, lon, address_key, reported_at from r
                where reported_at is not null
           ), reference as (
               insert into issue_references (channel, issuer, batch, ref, issue_id, report_id)
               select channel, issuer, batch, ref, issue_id, report_id from r where ref is not null
           )
           insert into reports (report_id, issue_id, channel, outcome)
           select report_id, issue_id, channel, outcome from r""",
        [row.report_id for row in rows],
        [row.issue_id for row in rows],
        [row.channel.value for row in rows],
        [row.outcome for row in rows],
        [report.township if report else None for report in reports],
        [report.domain.value if report else None for report in reports],
        [location.lat if location else None for location in locations],
        [location.lon if location else None for location in locations],
        [address_key(location.address) if location else None for location in locations],
        [row.new_issue[1] if row.new_issue else None for row in rows],
        [row.reference.issuer if row.reference else None for row in rows],
        [row.reference.batch if row.reference else None for row in rows],
        [row.reference.ref if row.reference else None for row in rows],
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
