"""The accountability tally (问责统计): escalations of units and measures, revocations subtracted.

Escalations come from the ladder (预警, 约谈, 通报批评, 移交纪委监委); measures from the
discipline commission. A revoked measure (撤销) does not count from the moment of its revocation;
an as-of tally counts it if it was revoked only later. One person measure is one person (人次).
"""

from dataclasses import dataclass, fields
from datetime import datetime

import asyncpg

from services.projections.filters import TallyGroupBy
from services.projections.read_tables.facts import BATCH
from services.projections.read_tables.sql import Params, where
from shared.contracts.accountability import (
    CriticismNoticeIssued,
    DisciplineReferralMade,
    Escalation,
    MeasureImposed,
    MeasureRevoked,
    SummonsIssued,
    WarningIssued,
)
from shared.contracts.codes import MeasureKind
from shared.db import Connection

# ---- the write side ----

ESCALATION_KINDS: dict[type[Escalation], str] = {
    WarningIssued: "warning",
    SummonsIssued: "summons",
    CriticismNoticeIssued: MeasureKind.CRITICISM_NOTICE.value,
    DisciplineReferralMade: "discipline_referral",
}


# A list of case ids as the tables keep it: each once, in code point order. That is the fact's own `issue_ids` for an
# escalation or a measure (facts._ISSUE_IDS, sorted once when the fact is recorded), so it is not sorted again here.
_CASE_IDS = "issue_ids"


async def escalations(conn: Connection) -> None:
    """预警, 约谈, 通报批评, 移交纪委监委 of the batch's facts; counted in accountability_counts, and in
    assessment_counts for the assessment's ranking now (read_tables/assessment.py: there a kind is only an
    escalation's, where a measure can be a 通报批评 too)."""
    kinds = " ".join(f"when '{cls.event_type()}' then '{kind}'" for cls, kind in ESCALATION_KINDS.items())
    await _insert_counted(
        conn,
        "escalations",
        f"""select event_id, case type {kinds} end, payload ->> 'unit', {_CASE_IDS},
                   (payload ->> 'summons_date')::date, occurred_at
              from {BATCH} where type in ({", ".join(f"'{cls.event_type()}'" for cls in ESCALATION_KINDS)})""",
        also=f""", assessed as (
                insert into assessment_counts as c (year, unit, kind, days_late, facts)
                select {_YEAR_OF}, unit, kind, 0, count(*) from i where unit <> '' group by 1, 2, 3
                on conflict (year, unit, kind, days_late) do update set facts = c.facts + excluded.facts
            )""",
    )


async def measures_imposed(conn: Connection) -> None:
    """问责措施 of the batch's facts."""
    await _insert_counted(
        conn,
        "measures",
        f"""select event_id, payload ->> 'measure_id', payload ->> 'measure', payload -> 'target' ->> 'kind',
                   payload -> 'target' ->> 'unit', payload -> 'target' ->> 'name', payload -> 'target' ->> 'post',
                   payload ->> 'reason', {_CASE_IDS}, payload ->> 'imposed_by', occurred_at
              from {BATCH} where type = '{MeasureImposed.event_type()}'""",
    )


async def measures_revoked(conn: Connection) -> None:
    """撤销 of the batch's facts; the measures they revoke for the first time move to `revoked` in
    accountability_counts (the statement's other parts see the revocations as they were before it)."""
    await conn.execute(
        f"""with inserted as (
                insert into measure_revocations
                select event_id, payload ->> 'measure_id', payload ->> 'reason', occurred_at
                  from {BATCH} where type = '{MeasureRevoked.event_type()}'
                on conflict do nothing returning measure_id
            )
            insert into accountability_counts as c (year, unit, kind, items, revoked)
            select {_YEAR_OF}, m.unit, m.kind, 0, count(*) from measures m
             where m.measure_id in (select measure_id from inserted)
               and not exists (select 1 from measure_revocations r where r.measure_id = m.measure_id)
             group by 1, 2, 3
            on conflict (year, unit, kind) do update set revoked = c.revoked + excluded.revoked"""
    )


_YEAR_OF = "extract(year from occurred_at at time zone 'Asia/Shanghai')::int"


async def _insert_counted(conn: Connection, table: str, rows: str, also: str = "") -> None:
    """The batch's escalations or measures (each once, by its event; `rows` selects them from its facts), counted in
    accountability_counts in the same statement (and by `also`, a statement of the inserted `i`); a measure whose
    revocation came first is counted revoked."""
    revoked = (
        "count(*) filter (where exists (select 1 from measure_revocations r where r.measure_id = i.measure_id))"
        if table == "measures"
        else "0"
    )
    await conn.execute(
        f"""with i as (
                insert into {table} {rows}
                on conflict do nothing returning *
            ){also}
            insert into accountability_counts as c (year, unit, kind, items, revoked)
            select {_YEAR_OF}, unit, kind, count(*), {revoked} from i group by 1, 2, 3
            on conflict (year, unit, kind) do update
               set items = c.items + excluded.items, revoked = c.revoked + excluded.revoked"""
    )


# ---- the read side ----


@dataclass(frozen=True)
class Tally:
    """The figures of one group. Persons and 人次 are counts of measures or summonses (one person each)."""

    warnings: int = 0  # 通报预警 (units)
    summons: int = 0  # 约谈主要负责人 (人次)
    criticism_notices: int = 0  # 通报批评 (notices, from the ladder and as measures)
    criticism_notice_units: int = 0  # 通报批评 (distinct units)
    discipline_referrals: int = 0  # 移交纪委监委
    collective_summons: int = 0  # 集体约谈
    criticism_education: int = 0  # 批评教育 (persons)
    written_self_criticism: int = 0  # 书面检查 (persons)
    admonishment_talk: int = 0  # 诫勉谈话 (persons)
    reminder_talk: int = 0  # 约谈提醒 (persons)
    warning_talk: int = 0  # 提醒谈话 (persons)
    revoked_measures: int = 0  # 已撤销 (not counted above)


# Each field of Tally, as an aggregate over the items (kind, unit, revoked).
_TALLY_SQL: dict[str, str] = {
    "warnings": "count(*) filter (where kind = 'warning' and not revoked)",
    "summons": "count(*) filter (where kind = 'summons' and not revoked)",
    "criticism_notices": "count(*) filter (where kind = 'criticism_notice' and not revoked)",
    "criticism_notice_units": "count(distinct unit) filter (where kind = 'criticism_notice' and not revoked)",
    "discipline_referrals": "count(*) filter (where kind = 'discipline_referral' and not revoked)",
    **{
        kind.value: f"count(*) filter (where kind = '{kind.value}' and not revoked)"
        for kind in MeasureKind
        if kind is not MeasureKind.CRITICISM_NOTICE
    },
    "revoked_measures": "count(*) filter (where revoked)",
}
assert set(_TALLY_SQL) == {f.name for f in fields(Tally)}

# The same fields from accountability_counts (the tally now): the items not revoked of each kind, the units with a
# criticism notice not revoked, the revoked measures.
_COUNTS_SQL: dict[str, str] = {
    **{
        name: f"coalesce(sum(items - revoked) filter (where kind = '{kind}'), 0)"
        for name, kind in (
            ("warnings", "warning"),
            ("summons", "summons"),
            ("criticism_notices", MeasureKind.CRITICISM_NOTICE.value),
            ("discipline_referrals", "discipline_referral"),
        )
    },
    "criticism_notice_units": (
        f"count(distinct unit) filter (where kind = '{MeasureKind.CRITICISM_NOTICE.value}' and items > revoked)"
    ),
    **{
        kind.value: f"coalesce(sum(items - revoked) filter (where kind = '{kind.value}'), 0)"
        for kind in MeasureKind
        if kind is not MeasureKind.CRITICISM_NOTICE
    },
    "revoked_measures": "coalesce(sum(revoked), 0)",
}
assert set(_COUNTS_SQL) == set(_TALLY_SQL)

_KEY_SQL: dict[TallyGroupBy, str] = {
    TallyGroupBy.unit: "unit",
    TallyGroupBy.kind: "kind",
    TallyGroupBy.year: "extract(year from occurred_at at time zone 'Asia/Shanghai')::int::text",
}


def items_sql(
    p: Params,
    *,
    year: int | None,
    as_of: datetime | None,
    unit: str | None,
    kind: str | None,
    assigned_to: str | None = None,
) -> str:
    """Every escalation and measure in the year as it stood at `as_of`, with whether it was revoked by then.

    `assigned_to` is the caller's scope (shared.scope): a responsible unit's own escalations and the measures
    against it and its officials.
    """
    cutoff = p(as_of)
    revoked = (
        "exists (select 1 from measure_revocations r"
        f" where r.measure_id = m.measure_id and ({cutoff}::timestamptz is null or r.occurred_at <= {cutoff}))"
    )
    conditions = [f"({cutoff}::timestamptz is null or occurred_at <= {cutoff})"]
    if year is not None:
        conditions.append(f"extract(year from occurred_at at time zone 'Asia/Shanghai') = {p(year)}")
    if unit is not None:
        conditions.append(f"unit = {p(unit)}")
    if assigned_to is not None:
        conditions.append(f"unit = {p(assigned_to)}")
    if kind is not None:
        conditions.append(f"kind = {p(kind)}")
    return f"""
        select * from (
            select e.event_id, 'escalation' as source, e.kind, e.unit, null::text as target_kind,
                   null::text as person_name, null::text as person_post, null::text as measure_id,
                   null::text as reason, e.case_ids, e.summons_date, e.occurred_at, false as revoked
              from escalations e
            union all
            select m.event_id, 'measure', m.kind, m.unit, m.target_kind, m.person_name, m.person_post, m.measure_id,
                   m.reason, m.case_ids, null, m.occurred_at, {revoked}
              from measures m
        ) items
        where {where(conditions)}"""


async def tally(
    conn: Connection,
    group_by: TallyGroupBy | None,
    *,
    year: int | None,
    as_of: datetime | None,
    assigned_to: str | None = None,
) -> list[tuple[str, Tally]]:
    """(key, figures) per group; one row with key "" without grouping. Now: from accountability_counts."""
    p = Params()
    if as_of is None:
        key_sql = ("year::text" if group_by is TallyGroupBy.year else group_by.value) if group_by else "''"
        figures = ", ".join(f"{sql} as {name}" for name, sql in _COUNTS_SQL.items())
        conditions = [] if year is None else [f"year = {p(year)}"]
        if assigned_to is not None:
            conditions.append(f"unit = {p(assigned_to)}")
        rows = await conn.fetch(
            f"select {key_sql} as key, {figures} from accountability_counts where {where(conditions)}"
            " group by 1 order by 1",
            *p.values,
        )
    else:
        key_sql = _KEY_SQL[group_by] if group_by else "''"
        figures = ", ".join(f"{sql} as {name}" for name, sql in _TALLY_SQL.items())
        selected = items_sql(p, year=year, as_of=as_of, unit=None, kind=None, assigned_to=assigned_to)
        rows = await conn.fetch(
            f"select {key_sql} as key, {figures} from ({selected}) i group by 1 order by 1",
            *p.values,
        )
    if group_by is None and not rows:
        return [("", Tally())]
    return [(r["key"], Tally(**{name: r[name] for name in _TALLY_SQL})) for r in rows]


async def items(
    conn: Connection,
    *,
    year: int | None,
    as_of: datetime | None,
    unit: str | None,
    kind: str | None,
    include_revoked: bool,
    limit: int,
    offset: int,
    assigned_to: str | None = None,
    summaries: bool = True,
) -> tuple[int, list[asyncpg.Record]]:
    """A page of the escalations and measures behind a tally figure, in time order (read_indexes.sql: the two tables
    by time, merged), and how many there are: as of now from accountability_counts, as the tally itself
    (`summaries=False`: counted, what they are checked against)."""
    p = Params()
    selected = items_sql(p, year=year, as_of=as_of, unit=unit, kind=kind, assigned_to=assigned_to)
    revoked = "" if include_revoked else " and not revoked"
    if as_of is None and summaries:
        total = await _counted(
            conn, year=year, unit=unit, kind=kind, include_revoked=include_revoked, scope=assigned_to
        )
    else:
        total = await conn.fetchval(f"select count(*) from ({selected}{revoked}) counted", *p.values)
    rows: list[asyncpg.Record] = await conn.fetch(
        f"{selected}{revoked} order by occurred_at, event_id limit {p(limit)} offset {p(offset)}", *p.values
    )
    return total, rows


async def _counted(
    conn: Connection, *, year: int | None, unit: str | None, kind: str | None, include_revoked: bool, scope: str | None
) -> int:
    """How many escalations and measures (revoked ones too, or not) accountability_counts holds for these filters."""
    p = Params()
    conditions = [
        f"{column} = {p(value)}"
        for column, value in (("year", year), ("unit", unit), ("kind", kind))
        if value is not None
    ]
    if scope is not None:
        conditions.append(f"unit = {p(scope)}")
    counted = "items" if include_revoked else "items - revoked"
    total: int = await conn.fetchval(
        f"select coalesce(sum({counted}), 0)::bigint from accountability_counts where {where(conditions)}", *p.values
    )
    return total
