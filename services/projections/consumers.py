"""Events of the four topics → read models: the one table of which rows each event type writes.

A batch's events are first recorded as facts (read_tables/facts.py), in one statement; a repeat stops there. For the
fresh ones, each line of `DERIVED` then writes its read table's rows for the events of its types, in one or a few
statements. The lines only insert rows keyed by their event or derive rows from facts, so any interleaving of the
topics, any cut into batches and any number of repeats give the same read models.
"""

import asyncio
import re
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union

import asyncpg
from aiokafka import ConsumerRecord
from pydantic import BaseModel, Field, TypeAdapter, ValidationError, create_model

from services.projections.deps import Deps
from services.projections.generations import Generation
from services.projections.read_tables import (
    accountability,
    assessment,
    case_history,
    changes,
    closure,
    enforcement,
    facts,
    public,
)
from services.projections.read_tables import audit as audit_table
from shared.audit import reads as audit_reads
from shared.consumer import Begin, ConsumerRunner, Dispatch, On, PoisonMessage, RawBatchHandler
from shared.contracts import EVENT_TYPES, TOPIC_EVENTS, audit, cases
from shared.contracts.accountability import (
    CriticismNoticeIssued,
    DisciplineReferralMade,
    MeasureImposed,
    MeasureRevoked,
    SummonsIssued,
    WarningIssued,
)
from shared.contracts.base import Event
from shared.contracts.enforcement import (
    CriminalMeasuresTaken,
    DetentionOrdered,
    EnforcementCaseClosed,
    EnforcementCaseOpened,
    PenaltyIssued,
    PenaltyPaid,
    ReferredForProsecution,
)
from shared.contracts.intake import IssueReported
from shared.db import PLANNED_EACH_BATCH_BELOW, Connection
from shared.envelope import Envelope
from shared.settings import ServiceSettings


@dataclass(frozen=True)
class Derive:
    """One line of the table: the batch's fresh facts of these types go to `write`, which derives its read table's
    rows from them in SQL (`facts.BATCH`)."""

    events: tuple[type[Event], ...]
    write: Callable[[Connection], Awaitable[None]]
    # What it writes that other lines write too (or its own table): the rebuild derives the lines of one in a row,
    # and the different ones at once, each on its own connection (derive_all).
    writes: str
    # Types named only (no contract in this code yet, e.g. another change's new events): derived once they come.
    names: tuple[str, ...] = ()

    @property
    def types(self) -> frozenset[str]:
        return frozenset({cls.event_type() for cls in self.events} | set(self.names))


def _rows_of(table: str) -> Callable[[Connection], Awaitable[None]]:
    async def write(conn: Connection) -> None:
        await enforcement.derive(conn, table)

    return write


# What each event type does beyond being recorded as a fact (and so appearing on timelines).
DERIVED: tuple[Derive, ...] = (
    # A problem's own record, or a case's copy of it; then each case's state history (every event of its stream).
    Derive((IssueReported,), closure.issues_reported, "issues"),
    Derive((cases.CaseOpened,), closure.cases_opened, "issues"),
    Derive(cases.EVENTS, case_history.derive, "case_history"),
    # the enforcement tables, each with its part of enforcement_years
    Derive((EnforcementCaseOpened,), _rows_of("enforcement_cases"), "enforcement_years"),
    Derive((PenaltyIssued,), _rows_of("penalties"), "enforcement_years"),
    Derive((PenaltyPaid,), _rows_of("payments"), "enforcement_years"),
    Derive(
        (DetentionOrdered, CriminalMeasuresTaken, ReferredForProsecution, EnforcementCaseClosed),
        _rows_of("enforcement_actions"),
        "enforcement_years",
    ),
    # escalations, measures and revocations, each with its part of accountability_counts
    Derive(
        (WarningIssued, SummonsIssued, CriticismNoticeIssued, DisciplineReferralMade),
        accountability.escalations,
        "accountability_counts",
    ),
    Derive((MeasureImposed,), accountability.measures_imposed, "accountability_counts"),
    Derive((MeasureRevoked,), accountability.measures_revoked, "accountability_counts"),
    # 信息公开: each case's public row (its rectification result, its 公示, whether it is withheld)
    Derive((cases.ClosureRequested,), public.derive, "public_cases", names=public.TYPES),
)

# The types whose facts change a problem's state now (closure.current_states): its report, its case's events.
_STATE_TYPES = frozenset({IssueReported.event_type(), *(cls.event_type() for cls in cases.EVENTS)})

# Every event of the four topics is recorded as a fact, DERIVED or not.
HANDLED: frozenset[str] = frozenset(facts.TOPIC_OF)


async def apply_batch(conn: Connection, envelopes: list[Envelope]) -> None:
    """Applies a batch of events, in the order they came, to the read models on the connection's search path.

    A payload that is not the class its type names can never be applied: it is poison (the runner then applies the
    batch one event at a time to find it).
    """
    for envelope in envelopes:
        expected = EVENT_TYPES[envelope.type]
        if type(envelope.payload) is not expected and not isinstance(envelope.payload, expected):
            raise PoisonMessage(f"{envelope.type} carries a {type(envelope.payload).__name__}")
    await facts.begin(conn)
    await derive(conn, await facts.record(conn, envelopes))


async def derive(conn: Connection, types: Collection[str]) -> None:
    """The read tables' rows of the batch's fresh facts (`facts.BATCH`, of these types): each line of DERIVED that
    has events among them, then the summaries kept beside the rows. The one derivation of every read table, for the
    live consumer and the rebuild alike, however the facts came in (validated envelopes or raw records)."""
    present = set(types)
    for line in DERIVED:
        if _has_events(line, present):
            await line.write(conn)
    await _summaries(conn, present)


def _has_events(line: Derive, present: set[str]) -> bool:
    return not line.types.isdisjoint(present)


async def _summaries(conn: Connection, present: set[str]) -> None:
    """The summaries kept beside the rows: each problem's state now and its case's assessment facts, once its report
    and history are written."""
    if present & _STATE_TYPES:
        touched: list[str] = await conn.fetchval(
            f"""select coalesce(array_agg(distinct case when type = '{IssueReported.event_type()}'
                                                        then payload ->> 'issue_id' else stream_id end
                                          order by case when type = '{IssueReported.event_type()}'
                                                        then payload ->> 'issue_id' else stream_id end), '{{}}')
                  from {facts.BATCH} where type = '{IssueReported.event_type()}' or ({facts.CASE_FACTS})"""
        )
        await closure.current_states(conn, touched)
        await changes.record(conn, touched)
        await assessment.record(conn, touched)


async def apply(conn: Connection, envelope: Envelope) -> None:
    """Applies one event (a batch of one: how the runner isolates a refused event)."""
    await apply_batch(conn, [envelope])


# ---- raw records: the batch as fetched, checked against its contracts in one call, recorded and derived in SQL ----


def _wrapper(name: str, cls: type[Event]) -> type[BaseModel]:
    return create_model(f"Record{name}", t=(Literal[name], ...), p=(cls, ...))  # type: ignore[arg-type]


# A batch's values as one JSON array of {"t": type, "p": value}: each value validated as its type's contract.
_RECORD_OF_ANY_TYPE: Any = Union[tuple(_wrapper(name, cls) for name, cls in EVENT_TYPES.items())]  # noqa: UP007
_CONTRACTS: TypeAdapter[list[Any]] = TypeAdapter(list[Annotated[_RECORD_OF_ANY_TYPE, Field(discriminator="t")]])

# Per topic (short name): the types its owner publishes, with the schema version this code reads without upcasting.
_PUBLISHED: dict[str, dict[bytes, bytes]] = {
    short: {name.encode(): str(EVENT_TYPES[name].schema_version).encode() for name in TOPIC_EVENTS[f"{short}.events"]}
    for short in facts.TOPICS
}


# A CloudEvents time as ours are written, with its offset (a time without one is left to the envelope way, which
# refuses it rather than read it in some zone): checked here, once per record, rather than by a regular expression in
# the load's statement (7 µs a record of PostgreSQL's time there, a tenth of the statement).
_MOMENT = re.compile(rb"\d{4}-\d\d-\d\d[T ][0-9:.]+(?:Z|[+-]\d\d(?::?\d\d)?)").fullmatch


def _raw(short: str, records: list[ConsumerRecord]) -> list[tuple[bytes | None, ...]] | None:
    """The batch's rows for facts.load, or None when a record is not for this path: an unknown type or one its topic's
    owner does not publish, an older schema version (upcast by the envelope path), a time without its offset, a value
    that breaks its contract.
    The runner then reads the batch the envelope way, which applies the good ones and sends the others to the DLQ."""
    published = _PUBLISHED.get(short)
    if published is None:
        return None
    rows: list[tuple[bytes | None, ...]] = []
    parts: list[bytes] = []
    for record in records:
        headers = dict(record.headers or ())
        event_type = headers.get("ce_type")
        value = record.value
        moment = headers.get("ce_time")
        if (
            event_type is None
            or value is None
            or published.get(event_type) != headers.get("ce_schemaversion", b"1")
            or headers.get("ce_specversion") != b"1.0"
            or moment is None
            or _MOMENT(moment) is None
        ):
            return None
        rows.append(
            (
                headers.get("ce_id"),
                event_type,
                moment,
                headers.get("ce_subject"),
                headers.get("ce_streamversion"),
                headers.get("ce_schemaversion"),
                headers.get("ce_correlationid"),
                headers.get("ce_actor"),
                value,
            )
        )
        parts.append(b'{"t":"' + event_type + b'","p":' + value + b"}")
    try:
        _CONTRACTS.validate_json(b"[" + b",".join(parts) + b"]")
    except ValidationError:
        return None
    return rows


def apply_records(settings: ServiceSettings, *, derive_now: bool = True) -> RawBatchHandler:
    """The runner's fast path (shared.consumer.RawBatchHandler): a partition's records, checked against their
    contracts in one call (`_raw`), recorded as facts from their bytes (facts.load) and derived (`derive`).

    `derive_now=False` (the rebuild) records the facts only: `derive_all` derives every read table from all of them
    at once when the replay has caught up, before the generation is switched to."""
    short_of = {settings.topic(name): short for short, name in zip(facts.TOPICS, facts.TOPIC_NAMES, strict=True)}

    async def apply(conn: Connection, topic: str, records: list[ConsumerRecord]) -> list[str] | None:
        short = short_of.get(topic)
        rows = None if short is None else _raw(short, records)
        if short is None or rows is None:
            return None
        await facts.begin(conn, durable=derive_now)
        types = await facts.load(conn, short, rows, batch=derive_now)
        if derive_now:
            await derive(conn, types)
        return types

    return apply


# The rebuild's sessions while it derives: room for its hash aggregates and sorts in memory (the defaults spill to
# disk), and commits that do not wait for the disk (see facts.begin).
_DERIVE_SETTINGS = {"work_mem": "64MB", "maintenance_work_mem": "128MB", "synchronous_commit": "off"}

Step = Callable[[Connection], Awaitable[object]]

# The columns of the facts the lines filter and join on: what the rebuild analyses before they are planned.
_PLANNED_ON = "type, topic, stream_id"


async def derive_all(pool: asyncpg.Pool, generation: Generation, *, indexes: facts.Indexes) -> int:
    """Every read table of the generation derived from all its facts, by the statements of `derive`, each line of
    DERIVED reading as its batch every fact of its types (a session's own `facts.BATCH`). The number of facts: the
    events replayed, each once (a record fetched twice, e.g. again after a rebalance, counts once).

    First the facts lose their repeats (facts.deduplicate) while their statistics are taken. Then, each on its own
    connection at once (PostgreSQL works on both cores): the facts' indexes, the lines writing one table in a row (the
    tables at once), each half of the cases' histories; the summaries once the problems and their histories are
    written, and beside the last of them the indexes of the tables written by then; last the summaries' indexes and
    the facts' keys (`indexes`: what facts.drop_indexes dropped)."""

    async def session(steps: list[Step]) -> None:
        async with pool.acquire() as conn, conn.transaction():
            settings = "".join(f", set_config('{name}', '{value}', true)" for name, value in _DERIVE_SETTINGS.items())
            await conn.execute(f"select set_config('search_path', $1, true){settings}", generation.search_path)
            for step in steps:
                await step(conn)

    def statement(sql: str) -> Step:
        return lambda conn: conn.execute(sql)

    async def listed() -> tuple[set[str], list[str]]:
        async with pool.acquire() as conn:
            present = await conn.fetchval(
                f"select coalesce(array_agg(distinct type), '{{}}') from \"{generation.schema}\".facts"
            )
            case_ids = await conn.fetchval(
                f"""select coalesce(array_agg(distinct stream_id order by stream_id), '{{}}')
                      from "{generation.schema}".facts where {facts.CASE_FACTS}"""
            )
        return set(present), case_ids

    # At once: the repeats removed, the facts' types and cases listed (a repeat is never the last fact of its type or
    # case) and the facts' statistics of now taken before any line is planned on them. Autovacuum may have analysed
    # them early in the load (a few thousand facts of one topic) or not at all, and public_cases' fold, planned on
    # such statistics, took 35 s of a rebuild of 228,100 events (1 in 7) instead of a fraction of one.
    *_, (present, case_ids) = await asyncio.gather(
        session([facts.deduplicate]), session([statement(f"analyze facts ({_PLANNED_ON})")]), listed()
    )
    by_table: dict[str, list[Derive]] = {}
    for line in DERIVED:
        if _has_events(line, present) and line.writes != "case_history":
            by_table.setdefault(line.writes, []).append(line)
    half = len(case_ids) // 2
    histories = [_folded(case_ids[:half]), _folded(case_ids[half:])]
    # Taken out before the other tables' lines are listed below: they ran twice, at once (a lock wait on every
    # problem's row, 8.5 s of a 15.8 s derivation of 454,274 events).
    problems = _lines(by_table.pop("issues", []))
    # the other tables' lines, each table's on its own connection, from now
    other_tables = asyncio.gather(*(session(_lines(lines)) for lines in by_table.values()))

    async def problems_then_summaries() -> None:
        await asyncio.gather(*(session(steps) for steps in [problems, *histories]))
        async with pool.acquire() as conn:
            issue_ids: list[str] = await conn.fetchval(
                f"""select coalesce(array_agg(issue_id order by issue_id), '{{}}') from "{generation.schema}".issues"""
            )
        # Every problem's state now, each half on its own connection (their rows are apart); then its changes, and
        # beside them the cases' assessment facts, which read the facts and the histories only. In one session the
        # three left a core idle for 4.2 s of a 10.5 s derivation (454,274 events).
        middle = len(issue_ids) // 2
        await asyncio.gather(*(session([_states(part)]) for part in (issue_ids[:middle], issue_ids[middle:])))
        # The indexes of the tables every line has written, beside the last summaries (a second of the tail).
        await other_tables
        await asyncio.gather(
            session([_changes(issue_ids)]),
            session([_case_facts(case_ids)]),
            session(
                [
                    statement(sql)
                    for table, sqls in indexes.read_tables.items()
                    if table not in _SUMMARY_TABLES
                    for sql in sqls
                ]
            ),
        )

    unique = [[statement(sql)] for sql in indexes.facts if " UNIQUE " in sql]
    others = [statement(sql) for sql in indexes.facts if " UNIQUE " not in sql]
    await asyncio.gather(
        problems_then_summaries(),
        other_tables,
        *map(session, unique),
        session(others),
    )
    await asyncio.gather(
        session([statement(sql) for sql in indexes.keys]),
        *(
            session([statement(sql) for sql in indexes.read_tables[t]])
            for t in _SUMMARY_TABLES
            if t in indexes.read_tables
        ),
    )
    async with pool.acquire() as conn:
        recorded: int = await conn.fetchval(f'select count(*) from "{generation.schema}".facts')
    return recorded


def _lines(lines: list[Derive]) -> list[Step]:
    """The lines on one connection: its batch is every fact of their types, then each line in turn."""
    types = sorted({name for line in lines for name in line.types})

    async def batch(conn: Connection) -> None:
        await facts.begin(conn, durable=False)
        await conn.execute(f"insert into {facts.BATCH} select * from facts where type = any($1::text[])", types)
        # A temporary table is never analysed by autovacuum: planned without its statistics, the line joining it to
        # the facts (public_cases' fold) took one core for 14 to 70 s in some rebuilds, a second or two once analysed.
        # Only the columns the lines filter and join on: the payloads' statistics made this analyze PostgreSQL's
        # largest statement of the rebuild (85 of 427 samples of its active backends, 4.2 s of 228,100 events).
        await conn.execute(f"analyze {facts.BATCH} ({_PLANNED_ON})")

    return [batch, *(line.write for line in lines)] if lines else []


def _folded(case_ids: list[str]) -> list[Step]:
    async def fold(conn: Connection) -> None:
        await case_history.fold_again(conn, case_ids)

    return [fold]


# What the last summaries write (`_changes`, `_case_facts`): the tables whose indexes wait for them. An index built
# beside a statement writing its table would wait for it, or make it wait, within transactions that hold other tables.
_SUMMARY_TABLES = (*changes.TABLES, *assessment.TABLES)


def _states(issue_ids: list[str]) -> Step:
    """`_summaries`' state now of these problems."""
    return lambda conn: closure.current_states(conn, issue_ids)


def _changes(issue_ids: list[str]) -> Step:
    """`_summaries`' changes of these problems, once their states now are written."""
    return lambda conn: changes.record(conn, issue_ids)


def _case_facts(case_ids: list[str]) -> Step:
    """`_summaries`' assessment facts of these cases."""
    return lambda conn: assessment.record(conn, case_ids)


def enter(generation: Generation, *, plan_young: bool = True) -> Begin:
    """Once per batch, in its transaction: the generation's read models on the search path, each statement planned for
    its values and the tables as they are now while the generation is young; False when the generation was dropped.

    The share lock keeps the generation from being dropped under this batch; a dropped one ignores events.

    The consumer keeps its connection, and asyncpg prepares each statement on it: after five runs PostgreSQL keeps a
    generic plan, which a new generation makes while its tables are nearly empty and keeps until autovacuum's first
    analyze (a minute or more) invalidates it. The state now (`closure.current_states`) then joined the batch's issues
    to the cases' histories as if both were empty: a fresh generation fed as fast as it applies (`bench/README.md`,
    "A fresh stack's first minute") took 13 → 98-177 ms per call over its first 55 s, until the analyze, 3-5 ms after.
    Planned each batch instead: 4-19 ms per call over the same 75 s with no analyze at all (autovacuum off). Planning
    costs PostgreSQL 1-4 ms per warm batch of 20-100 events (+14-22 %), so it lasts only while `issues` is unanalysed
    (reltuples -1) or was last analysed below PLANNED_EACH_BATCH_BELOW rows: after that autovacuum analyses again at
    every 10 % of growth, and the generic plans it invalidates are made again on tables of their size.
    `plan_young=False` (the rebuild's load, which records facts only): the plans as PostgreSQL keeps them.
    """

    async def enter_generation(conn: Connection) -> bool:
        live = await conn.fetchval(
            """select set_config('search_path', $2, true),
                      set_config('plan_cache_mode',
                                 case when (select reltuples from pg_class where oid = to_regclass($3)) < $4
                                      then 'force_custom_plan' else 'auto' end, true)
                 from read_model_generations
                where generation = $1 and status <> 'dropped' for share""",
            generation.number,
            generation.search_path,
            f'"{generation.schema}".issues',
            PLANNED_EACH_BATCH_BELOW if plan_young else -1,  # reltuples is never below -1
        )
        return live is not None

    return enter_generation


def project(generation: Generation) -> Callable[[Connection, list[Envelope]], Awaitable[None]]:
    """Applies a batch of events to one generation's read models, inside the caller's transaction (the runner
    instead enters the generation once per batch: `runner`)."""
    entered = enter(generation)

    async def apply_to_generation(conn: Connection, envelopes: list[Envelope]) -> None:
        if await entered(conn):
            await apply_batch(conn, envelopes)

    return apply_to_generation


def runner(
    settings: ServiceSettings,
    pool: asyncpg.Pool,
    generation: Generation,
    *,
    max_records: int = 500,
    derive_now: bool = True,
    gather_ms: int = 0,
    fetch_min_bytes: int = 1,
    fetch_wait_ms: int = 500,
) -> ConsumerRunner:
    """The consumer that fills a generation: all four topics, from offset 0 for a new generation's group.
    `derive_now=False`: the rebuild's, which records facts only until `derive_all` (see apply_records).
    `gather_ms`: the live one's pause after each batch (ProjectionsSettings.live_gather_ms); `fetch_min_bytes`,
    `fetch_wait_ms`: what the broker gathers for its fetches (ProjectionsSettings.live_fetch_min_bytes)."""
    return ConsumerRunner(
        settings,
        pool,
        name=generation.consumer,
        topics=facts.topics(settings),
        handler=apply,
        batch_handler=apply_batch,
        raw_batch_handler=apply_records(settings, derive_now=derive_now),
        begin=enter(generation, plan_young=derive_now),
        handles=HANDLED,
        max_records=max_records,
        group_id=generation.group_id,
        gather_ms=gather_ms,
        fetch_min_bytes=fetch_min_bytes,
        fetch_max_wait_ms=fetch_wait_ms,
    )


# 查阅留痕: which handler runs for which event of the audit topics (GET /v1/audit/reads reads what they write).
AUDIT_READS = Dispatch(*(On(event, audit_table.save) for event in audit.READS))


def consumers(deps: Deps) -> list[ConsumerRunner]:
    """The consumers beside the live read models' (which the job starts, `live.py`): who read what."""
    return [
        ConsumerRunner(
            deps.settings,
            deps.pool,
            name="audit-reads",
            topics=[deps.settings.topic(name) for name in audit_reads.TOPICS],
            handler=AUDIT_READS,
            gather_ms=deps.settings.background_gather_ms,
        )
    ]
