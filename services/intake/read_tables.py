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

import orjson

from services.intake.commands import Report
from services.intake.duplicates import EARTH_RADIUS_M, KnownIssue, KnownReference, Place, Reference, address_key
from shared.contracts.codes import Domain
from shared.contracts.intake import Channel, Location
from shared.db import Connection
from shared.envelope import Envelope
from shared.eventstore import EventStore

# The advisory lock under which the reports of one township and domain are decided (with hashtext of the place).
PLACE_LOCK = 7_301_101


def place_key(township: str, domain: Domain) -> str:
    """The text whose hash names a place's advisory lock."""
    return f"{township}\x1f{domain.value}"


def places_and_references(reports: Sequence[Report], references: Sequence[Reference]) -> tuple[Any, ...]:
    """The lock namespace, the places' keys and the references' arrays `lock_places` and `record_new_issues` send."""
    return (
        PLACE_LOCK,
        [place_key(r.township, r.domain) for r in reports],
        [r.channel.value for r in references],
        [r.issuer for r in references],
        [r.batch for r in references],
        [r.ref for r in references],
    )


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
        *places_and_references(reports, references),
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


# The columns of a report's row, in `report_columns`' order, with their types.
REPORT_COLUMNS = (
    ("report_id", "uuid"),
    ("issue_id", "text"),
    ("channel", "text"),
    ("outcome", "text"),
    ("township", "text"),
    ("domain", "text"),
    ("lat", "float8"),
    ("lon", "float8"),
    ("address_key", "text"),
    ("reported_at", "timestamptz"),
    ("issuer", "text"),
    ("batch", "text"),
    ("ref", "text"),
)


def report_rows(source: str) -> str:
    """The common table expressions that write the rows `source` selects (the columns of REPORT_COLUMNS) as rows of
    `reports`, `issue_index` (a new issue) and `issue_references` (a reference)."""
    return f"""r as (
    {source}
), issue as (
    insert into issue_index (issue_id, township, domain, lat, lon, address_key, reported_at)
    select issue_id, township, domain, lat, lon, address_key, reported_at from r
     where reported_at is not null
), reference as (
    insert into issue_references (channel, issuer, batch, ref, issue_id, report_id)
    select channel, issuer, batch, ref, issue_id, report_id from r where ref is not null
), listed as (
    insert into reports (report_id, issue_id, channel, outcome)
    select report_id, issue_id, channel, outcome from r
)"""


ADD_REPORTS = "with {} select".format(
    report_rows(
        "select * from unnest({}) as r ({})".format(
            ", ".join(f"${i}::{kind}[]" for i, (_, kind) in enumerate(REPORT_COLUMNS, start=1)),
            ", ".join(name for name, _ in REPORT_COLUMNS),
        )
    )
)


async def add_reports(conn: Connection, rows: Sequence[ReportRow]) -> None:
    """Each report in `reports`; the issue it opened, with when, in `issue_index`; its reference in
    `issue_references`: one statement for them all. Raises UniqueViolationError when another report took a
    reference first: the caller decides again."""
    await conn.execute(ADD_REPORTS, *report_columns(rows))


def report_columns(rows: Sequence[ReportRow]) -> tuple[list[Any], ...]:
    """The per-report arrays `add_reports` and `record_new_issues` send."""
    reports = [row.new_issue[0] if row.new_issue else None for row in rows]
    locations = [report.location if report else None for report in reports]
    return (
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


# A batch of new issues at once (see record_new_issues): the places' locks ($1, $2); the rows ($5, a JSON array of
# objects with REPORT_COLUMNS) whose references, looked up once the locks are held, must all be unknown; then the events
# ($3, a JSON array of objects with EVENT_FIELDS) with their outbox rows ($4 the topic), the relay notified as
# APPEND_NEW notifies it, and the rows of `reports`, `issue_index` and `issue_references`. JSON rather than an array
# per column: asyncpg encodes 29 arrays of a batch in twice the time orjson takes to write them (bench/README.md).
# Sent as text (the pool's jsonb codec would encode a JSON text again, shared/db.py) and cast to jsonb.
# Each event starts a stream of its own, a new id: a stream or reference already there fails the whole statement.
EVENT_FIELDS = (
    ("event_id", "uuid"),
    ("stream_version", "integer"),
    ("type", "text"),
    ("schema_version", "integer"),
    ("occurred_at", "timestamptz"),
    ("payload", "text"),
    ("stream_id", "text"),
    ("correlation_id", "text"),
    ("causation_id", "text"),
    ("actor", "text"),
    ("slot", "integer"),
    ("prev_hash", "text"),  # hex: the chain of each new stream (EventStore.new_stream_columns)
    ("hash", "text"),
)
_REPORTS_IN = "jsonb_to_recordset($5::text::jsonb) as q ({})".format(", ".join(f"{n} {k}" for n, k in REPORT_COLUMNS))
RECORD_NEW_ISSUES = f"""
with locks as (
    select count(pg_advisory_xact_lock($1, key)) as locked
      from (select distinct hashtext(place) as key from unnest($2::text[]) as place order by key) as keys
), known as (
    select 1 from {_REPORTS_IN} join issue_references r using (channel, issuer, batch, ref)
     where (select locked from locks) is not null
), go as (
    select not exists (select 1 from known) as go
), e as (
    select * from jsonb_to_recordset($3::text::jsonb) as e ({", ".join(f"{n} {k}" for n, k in EVENT_FIELDS)})
), appended as (
    insert into events (event_id, stream_id, stream_version, type, schema_version,
                        occurred_at, correlation_id, causation_id, actor, payload, prev_hash, hash)
    select event_id, stream_id, stream_version, type, schema_version,
           occurred_at, correlation_id, causation_id, actor, payload::jsonb,
           decode(prev_hash, 'hex'), decode(hash, 'hex')
      from e where (select go from go)
    returning event_id, stream_id, stream_version
), queued as (
    insert into outbox (event_id, slot, topic)
    select a.event_id, e.slot, $4::text from appended a join e using (event_id)
     order by a.stream_id, a.stream_version
    returning slot
), {report_rows(f"select * from {_REPORTS_IN} where (select go from go)")}
select (select go from go) as recorded,
       (select count(*) from queued)::integer as appended,
       (select count(*) from (select pg_notify('outbox', slot::text)
                                from (select distinct slot from queued) as slots
                               where not exists (select 1 from outbox o where o.slot = slots.slot)) as notified)
          as notified
"""


def as_json_records(fields: Sequence[tuple[str, str]], columns: Sequence[Sequence[Any]]) -> str:
    """Columns of values as a JSON array of objects named by `fields` (what jsonb_to_recordset reads)."""
    names = [name for name, _ in fields]
    return orjson.dumps([dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]).decode()


async def record_new_issues(
    conn: Connection,
    reports: Sequence[Report],
    events: Sequence[Envelope],
    rows: Sequence[ReportRow],
    store: EventStore,
) -> bool:
    """Takes the locks of the reports' places and, unless the reference of one of `rows` is known already, appends
    `events` (each a new stream's) with their outbox rows and writes `rows`: one statement, one round trip, a
    transaction of its own (not the caller's: it must hold none). False when a reference was known, and nothing was
    written. Every reference of `reports` must be one of `rows`' (a report that resends another of the batch has no
    row of its own and the reference of the one it resends).

    The places' locks are those of `lock_places`, taken in the same order; the references are read, as there, in
    the snapshot taken before the locks were granted, and one committed meanwhile fails the statement on
    issue_references' key."""
    *event_values, prev_hashes, hashes = store.new_stream_columns(events)
    event_values += [[h.hex() for h in prev_hashes], [h.hex() for h in hashes]]
    row = await conn.fetchrow(
        RECORD_NEW_ISSUES,
        PLACE_LOCK,
        [place_key(r.township, r.domain) for r in reports],
        as_json_records(EVENT_FIELDS, event_values),
        store.topic,
        as_json_records(REPORT_COLUMNS, report_columns(rows)),
    )
    assert row is not None
    if not row["recorded"]:
        return False
    if row["appended"] != len(events):  # cannot be: every event was inserted or the statement failed
        raise RuntimeError(f"{row['appended']} of {len(events)} events were queued")
    return True


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
