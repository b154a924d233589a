"""The facts: every event of the four topics, recorded once by its event id.

Every other read model is derived from facts only, so the order in which the topics are
read never changes a figure. The `issue_ids` of a fact are those its own payload names;
links that need another event (an enforcement case's later events, a revocation) are
resolved when read.
"""

from dataclasses import dataclass
from typing import Any

from shared.contracts import EVENT_TYPES, accountability, cases, enforcement, intake
from shared.contracts.accountability import (
    Escalation,
    FindingRecorded,
    MeasureImposed,
    SummonsMeetingHeld,
    WorkMeetingHeld,
)
from shared.contracts.base import Event
from shared.contracts.cases import AssignmentLetterIssued
from shared.db import Connection
from shared.envelope import Envelope
from shared.settings import ServiceSettings

# The topics projections reads (settings.topic(name) gives the real name), and the short name
# each event type's facts are filed under.
TOPICS: dict[str, tuple[type[Event], ...]] = {
    "intake": intake.EVENTS,
    "cases": cases.EVENTS,
    "enforcement": enforcement.EVENTS,
    "accountability": accountability.EVENTS,
}
TOPIC_NAMES = tuple(f"{short}.events" for short in TOPICS)
TOPIC_OF: dict[str, str] = {cls.event_type(): short for short, events in TOPICS.items() for cls in events}


def topics(settings: ServiceSettings) -> list[str]:
    """The real names of the topics, with the settings' prefix."""
    return [settings.topic(name) for name in TOPIC_NAMES]


# The columns of a fact, as both ways in select them (`record`: from envelopes; `load`: from raw records).
_COLUMNS = (
    "event_id, topic, type, schema_version, stream_id, stream_version, occurred_at, actor, correlation_id, payload"
)

_NAMING_CASES = [
    name
    for name, cls in EVENT_TYPES.items()
    if issubclass(cls, Escalation | MeasureImposed | SummonsMeetingHeld | WorkMeetingHeld)
]
# 交办函 are cases' events outside any case's stream (the year's letter stream): never folded as a case.
_LETTER = AssignmentLetterIssued.event_type()
# A fact of a case's own stream (整改案件): what folds into its history and state.
CASE_FACTS = f"topic = 'cases' and type <> '{_LETTER}'"
# The issues (= rectification cases) a fact names itself, from its own columns: an issue's streams (intake, cases)
# name it, an objection (公示异议, its own stream) the case it objects to; an enforcement case its issue, if any;
# escalations and measures their case ids, each once, in code point order. Links that need another event are resolved
# when read (timeline.py).
_ISSUE_IDS = f"""case
    when e.type = 'ObjectionFiled' then array_remove(array[nullif(e.payload ->> 'case_id', '')], null)
    when e.type = '{_LETTER}' then array[e.payload ->> 'case_id']
    when e.type = '{FindingRecorded.event_type()}' then array[e.payload ->> 'issue_id']
    when e.topic in ('intake', 'cases') then array[e.stream_id]
    when e.type = 'EnforcementCaseOpened' then array_remove(array[nullif(e.payload ->> 'issue_id', '')], null)
    when e.type in ({", ".join(f"'{name}'" for name in _NAMING_CASES)})
        then array(select distinct c collate "C" from jsonb_array_elements_text(e.payload -> 'case_ids') c order by 1)
    else '{{}}'::text[] end"""

# The batch's facts recorded now (not repeats) are also written to `BATCH`, a temporary table of the session emptied
# at each commit, which every derivation of the read tables reads (consumers.derive); the statement answers the
# types among them.
BATCH = "batch_facts"
_RECORD = f"""with recorded as (
        insert into facts ({_COLUMNS}, issue_ids)
        select {_COLUMNS}, {_ISSUE_IDS} from ({{source}}) e
        on conflict do nothing
        returning *
    ), batch as (
        insert into {BATCH} select * from recorded returning type
    )
    select coalesce(array_agg(type), '{{}}') from batch"""
# The same without the batch table (the rebuild derives from all facts at the end: consumers.derive_all).
_RECORD_ONLY = f"""insert into facts ({_COLUMNS}, issue_ids)
    select {_COLUMNS}, {_ISSUE_IDS} from ({{source}}) e
    on conflict do nothing"""


async def begin(conn: Connection, *, durable: bool = True) -> None:
    """The session's batch tables, once per session (in the generation's search path: facts' shape).

    `durable=False` (the rebuild's load): the transaction commits without waiting for its WAL to reach the disk. A
    crash may then lose the last batches, and their offsets may be committed already; but a generation still being
    built is dropped by the next rebuild, which starts again from offset 0 with a new group, and the switch to it
    (generations.activate) commits durably, which flushes every commit before it."""
    await conn.execute(
        ("" if durable else "set local synchronous_commit = off;\n")
        + f"""create temporary table if not exists {BATCH} (like facts) on commit delete rows;
            create temporary table if not exists {RECORDS} (
                ce_id bytea, ce_type bytea, ce_time bytea, ce_subject bytea, ce_streamversion bytea,
                ce_schemaversion bytea, ce_correlationid bytea, ce_actor bytea, value bytea
            ) on commit delete rows"""
    )


async def record(conn: Connection, envelopes: list[Envelope]) -> list[str]:
    """Records the events (validated envelopes) in one statement; the types of those recorded now (a repeat changes
    nothing: an event id, or a stream's version, already recorded)."""
    if not envelopes:
        return []
    source = """select event_id, topic, type, schema_version, stream_id, stream_version, occurred_at, actor,
                       correlation_id, payload::jsonb as payload
                  from unnest($1::uuid[], $2::text[], $3::text[], $4::integer[], $5::text[], $6::integer[],
                              $7::timestamptz[], $8::text[], $9::text[], $10::text[])
                    as e (event_id, topic, type, schema_version, stream_id, stream_version, occurred_at, actor,
                          correlation_id, payload)"""
    types: list[str] = await conn.fetchval(
        _RECORD.replace("{source}", source),
        [e.event_id for e in envelopes],
        [TOPIC_OF[e.type] for e in envelopes],
        [e.type for e in envelopes],
        [e.schema_version for e in envelopes],
        [e.stream_id for e in envelopes],
        [e.stream_version for e in envelopes],
        [e.occurred_at for e in envelopes],
        [e.actor for e in envelopes],
        [e.correlation_id for e in envelopes],
        [e.payload.model_dump_json() for e in envelopes],
    )
    return types


# The raw records of a batch as fetched (`load`): the headers a fact needs and the value, bytes as they came.
RECORDS = "batch_records"
RECORD_COLUMNS = (
    "ce_id",
    "ce_type",
    "ce_time",
    "ce_subject",
    "ce_streamversion",
    "ce_schemaversion",
    "ce_correlationid",
    "ce_actor",
    "value",
)


async def load(conn: Connection, topic: str, rows: list[tuple[bytes | None, ...]], *, batch: bool = True) -> list[str]:
    """Records a batch of raw records of one topic (its short name; rows of `RECORD_COLUMNS`, checked against their
    contracts already: consumers.apply_records, and their times with their offsets) by the statement of `record`, the
    headers read in SQL from the bytes copied as they came. A header that is not what our CloudEvents carry (an id
    that is not a UUID, a version that is not a number) fails the statement. `batch=False`: not written to the batch
    table either (nothing is derived now)."""
    await conn.copy_records_to_table(RECORDS, records=rows, columns=RECORD_COLUMNS)
    if not batch:
        await conn.execute(_RECORD_ONLY.replace("{source}", _FROM_RECORDS), topic)
        return []
    types: list[str] = await conn.fetchval(_RECORD.replace("{source}", _FROM_RECORDS), topic)
    return types


@dataclass(frozen=True)
class Indexes:
    """What `drop_indexes` dropped: each index's statement (a key's unique index too, which can be built beside the
    others and beside the reads of its table), then the statements that make the keys of their indexes again."""

    facts: list[str]
    read_tables: dict[str, list[str]]  # by table
    keys: list[str]


async def drop_indexes(conn: Connection) -> Indexes:
    """Drops the indexes of the generation's tables (on the search path) that a rebuild does without while it writes
    them (building each once at the end costs a fraction of keeping it row by row): every index of facts, its primary
    key included (a repeat of an event id is removed after the load: facts.deduplicate), and every index of the read
    tables but their keys (their statements' conflict clauses need them). Facts keep their key of a stream's version:
    the load's conflict clause then keeps the first committed of two events at one version, which is the partition's
    order as for the live consumer (the heap's order is not: several backends insert at once). How to make them again,
    as the catalog has them (`Indexes`)."""
    keys = await conn.fetch(
        """select conname, contype::text as contype from pg_constraint
            where conrelid = 'facts'::regclass and contype = 'p' order by conname"""
    )
    indexes = await conn.fetch(
        """select tablename, indexname, indexdef from pg_indexes i
            where schemaname = current_schema()
              and indexname not in (select conname from pg_constraint
                                     where connamespace = current_schema()::regnamespace
                                       and (i.tablename <> 'facts' or contype = 'u'))
            order by tablename, indexname"""
    )
    for key in keys:
        await conn.execute(f'alter table facts drop constraint "{key["conname"]}"')
    for index in indexes:
        await conn.execute(f'drop index if exists "{index["indexname"]}"')
    kinds = {"p": "primary key", "u": "unique"}
    return Indexes(
        facts=[i["indexdef"] for i in indexes if i["tablename"] == "facts"],
        read_tables=_by_table([(i["tablename"], i["indexdef"]) for i in indexes if i["tablename"] != "facts"]),
        keys=[
            f'alter table facts add constraint "{k["conname"]}" {kinds[k["contype"]]} using index "{k["conname"]}"'
            for k in keys
        ],
    )


def _by_table(statements: list[tuple[str, str]]) -> dict[str, list[str]]:
    tables: dict[str, list[str]] = {}
    for table, statement in statements:
        tables.setdefault(table, []).append(statement)
    return tables


async def deduplicate(conn: Connection) -> None:
    """The facts loaded without their primary key, as `record` would have kept them: one of each event id (a record
    fetched twice, e.g. again after a rebalance). Another id at a stream's version already recorded never got in: the
    load kept that key (drop_indexes). Found by one hash aggregate, which finds nothing in a replay that fetched each
    record once."""
    await conn.execute(
        """delete from facts f
             using (select event_id, min(ctid) as first from facts group by event_id having count(*) > 1) d
             where f.event_id = d.event_id and f.ctid <> d.first"""
    )


def _text(column: str) -> str:
    return f"convert_from({column}, 'UTF8')"


_FROM_RECORDS = f"""select {_text("ce_id")}::uuid as event_id, $1::text as topic, {_text("ce_type")} as type,
        coalesce({_text("ce_schemaversion")}, '1')::integer as schema_version, {_text("ce_subject")} as stream_id,
        {_text("ce_streamversion")}::integer as stream_version,
{_text("ce_time")}::timestamptz as occurred_at,
        {_text("ce_actor")} as actor, coalesce({_text("ce_correlationid")}, {_text("ce_id")}) as correlation_id,
        {_text("value")}::jsonb as payload
      from {RECORDS}"""


def payload_of(event_type: str, payload: dict[str, Any]) -> Event:
    """A recorded payload read back as its contract (stored as this code's schema version)."""
    return EVENT_TYPES[event_type].model_validate(payload)
