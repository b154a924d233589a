"""Enforcement figures (执法统计) by year: cases filed, fines issued and paid, persons detained, referrals.

Money stays integer fen until it is shown (`shared.contracts.money.fen_to_yuan`); the API gives yuan as
exact decimal strings.
A figure belongs to the year (Asia/Shanghai) of the event that makes it: a fine issued in
December and paid in January counts as issued in one year and paid in the next.
"""

import re
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from services.projections.read_tables.facts import BATCH
from services.projections.read_tables.sql import Params, where
from shared.contracts.enforcement import (
    CriminalMeasuresTaken,
    DetentionOrdered,
    EnforcementCaseClosed,
    EnforcementCaseOpened,
    PenaltyBasis,
    PenaltyIssued,
    PenaltyPaid,
    ReferredForProsecution,
)
from shared.db import Connection

# ---- the write side ----


Action = DetentionOrdered | CriminalMeasuresTaken | ReferredForProsecution | EnforcementCaseClosed

ACTION_KINDS: dict[type[Action], str] = {
    DetentionOrdered: "detention",
    CriminalMeasuresTaken: "criminal_measures",
    ReferredForProsecution: "referral",
    EnforcementCaseClosed: "closed",
}


# Each table's rows from the batch's facts (`facts.BATCH`) of its events.
_ROWS: dict[str, str] = {
    "enforcement_cases": f"""select event_id, stream_id, payload -> 'enterprise' ->> 'name',
        payload -> 'enterprise' ->> 'credit_code', payload ->> 'violation', payload ->> 'issue_id', occurred_at
        from {BATCH} where type = '{EnforcementCaseOpened.event_type()}'""",
    "penalties": f"""select event_id, stream_id, payload ->> 'penalty_id', (payload ->> 'amount_fen')::bigint,
        payload ->> 'basis', payload ->> 'decision_no', (payload ->> 'days')::integer, occurred_at
        from {BATCH} where type = '{PenaltyIssued.event_type()}'""",
    "payments": f"""select event_id, stream_id, payload ->> 'penalty_id', (payload ->> 'amount_fen')::bigint,
        (payload ->> 'paid_on')::date, occurred_at
        from {BATCH} where type = '{PenaltyPaid.event_type()}'""",
    # 行政拘留, 刑事强制措施, 移送起诉 (with the persons, in their order) and 结案
    "enforcement_actions": f"""select event_id, stream_id,
        case type {" ".join(f"when '{cls.event_type()}' then '{kind}'" for cls, kind in ACTION_KINDS.items())} end,
        coalesce(jsonb_array_length(payload -> 'persons'), 0),
        array(select p ->> 'name' from jsonb_array_elements(coalesce(payload -> 'persons', '[]')) with ordinality
                                  as x(p, n) order by n),
        occurred_at
        from {BATCH} where type in ({", ".join(f"'{cls.event_type()}'" for cls in ACTION_KINDS)})""",
}


async def derive(conn: Connection, table: str) -> None:
    """A table's rows of the batch's facts (each once, by its event), and what they add to their (case, year) in
    enforcement_years: one statement, the table's part of the figures (`_PARTS`) over the rows it inserted."""
    columns = _PART_COLUMNS[table]
    added = ", ".join(
        f"{c} = greatest(y.{c}, excluded.{c})" if c == "cases_filed" else f"{c} = y.{c} + excluded.{c}" for c in columns
    )
    await conn.execute(
        f"""with {table} as (
                insert into {table} {_ROWS[table]}
                on conflict do nothing returning *
            )
            insert into enforcement_years as y (case_id, year, {", ".join(columns)})
            {_PART_OF[table].format(case="case_id", year=_YEAR, cond="true")}
            on conflict (year, case_id) do update set {added}"""
    )


# ---- the read side ----


@dataclass(frozen=True)
class Figures:
    cases_filed: int = 0  # 立案查处
    penalties: int = 0  # 行政处罚决定 (fines and daily rounds)
    fines_issued_fen: int = 0  # 处罚金额
    fines_paid_fen: int = 0  # 已缴纳
    daily_penalty_rounds: int = 0  # 按日连续处罚 rounds
    daily_penalty_fen: int = 0
    detention_orders: int = 0
    persons_detained: int = 0  # 行政拘留 (persons)
    criminal_measures: int = 0
    persons_criminal_measures: int = 0  # 采取刑事强制措施 (persons)
    referrals: int = 0
    persons_referred: int = 0  # 移送起诉 (persons)
    cases_closed: int = 0  # 结案


_YEAR = "extract(year from occurred_at at time zone 'Asia/Shanghai')::int"

# Each table's contribution to the figures, per case and year.
_PARTS = (
    "select {case} as case_id, {year} as year, count(distinct case_id) as cases_filed"
    " from enforcement_cases where {cond} group by 1, 2",
    "select {case} as case_id, {year} as year, count(*) as penalties, sum(amount_fen) as fines_issued_fen,"
    f" count(*) filter (where basis = '{PenaltyBasis.DAILY_CONTINUOUS.value}') as daily_penalty_rounds,"
    f" coalesce(sum(amount_fen) filter (where basis = '{PenaltyBasis.DAILY_CONTINUOUS.value}'), 0)"
    " as daily_penalty_fen from penalties where {cond} group by 1, 2",
    "select {case} as case_id, {year} as year, sum(amount_fen) as fines_paid_fen"
    " from payments where {cond} group by 1, 2",
    "select {case} as case_id, {year} as year,"
    " count(*) filter (where kind = 'detention') as detention_orders,"
    " coalesce(sum(persons) filter (where kind = 'detention'), 0) as persons_detained,"
    " count(*) filter (where kind = 'criminal_measures') as criminal_measures,"
    " coalesce(sum(persons) filter (where kind = 'criminal_measures'), 0) as persons_criminal_measures,"
    " count(*) filter (where kind = 'referral') as referrals,"
    " coalesce(sum(persons) filter (where kind = 'referral'), 0) as persons_referred,"
    " count(*) filter (where kind = 'closed') as cases_closed"
    " from enforcement_actions where {cond} group by 1, 2",
)


async def per_case_year(
    conn: Connection, *, year: int | None, as_of: datetime | None, case_ids: list[str] | None = None
) -> dict[tuple[str, int], Figures]:
    """The figures of each (enforcement case, year) that has any."""
    p = Params()
    if as_of is None:  # now: the sums kept on write
        rows = await conn.fetch(
            f"select * from enforcement_years where {_now_conditions(p, year=year, case_ids=case_ids)}", *p.values
        )
        return {(r["case_id"], r["year"]): _figures(r) for r in rows}
    cond = _conditions(p, year=year, as_of=as_of, case_ids=case_ids)
    merged: dict[tuple[str, int], dict[str, int]] = {}
    for part in _PARTS:
        for row in await conn.fetch(part.format(case="case_id", year=_YEAR, cond=cond), *p.values):
            figures = merged.setdefault((row["case_id"], row["year"]), {})
            figures.update({k: int(v) for k, v in row.items() if k not in ("case_id", "year")})
    return {key: Figures(**values) for key, values in merged.items()}


async def per_year(conn: Connection, *, year: int | None, as_of: datetime | None) -> dict[int, Figures]:
    """The figures of each year that has any: what `per_case_year` gives, added up per year in the database.

    The same sums (a case filed in a year counts once in it, as it does once per case and year), without a row
    per case to read and add here.
    """
    p = Params()
    if as_of is None:  # now: the sums kept on write
        sums = ", ".join(f"sum({name})::bigint as {name}" for name in Figures.__dataclass_fields__)
        rows = await conn.fetch(
            f"""select year, {sums} from enforcement_years
                 where {_now_conditions(p, year=year, case_ids=None)} group by year""",
            *p.values,
        )
        return {r["year"]: _figures(r) for r in rows}
    cond = _conditions(p, year=year, as_of=as_of, case_ids=None)
    merged: dict[int, dict[str, int]] = {}
    for part in _PARTS:
        for row in await conn.fetch(part.format(case="''", year=_YEAR, cond=cond), *p.values):
            merged.setdefault(row["year"], {}).update(
                {k: int(v) for k, v in row.items() if k not in ("case_id", "year")}
            )
    return {key: Figures(**values) for key, values in merged.items()}


# The tables the parts above read: a (case, year) has figures if any of them has a row for it.
_TABLES = ("enforcement_cases", "penalties", "payments", "enforcement_actions")
_PART_OF = dict(zip(_TABLES, _PARTS, strict=True))
# The figures each table's part gives (the names after "as" in its select list).
_PART_COLUMNS = {
    table: tuple(name for name in re.findall(r" as (\w+)", part) if name not in ("case_id", "year"))
    for table, part in _PART_OF.items()
}


def _figures(row: asyncpg.Record) -> Figures:
    return Figures(**{name: int(row[name]) for name in Figures.__dataclass_fields__})


def _now_conditions(p: Params, *, year: int | None, case_ids: list[str] | None) -> str:
    """The conditions on enforcement_years (the figures now)."""
    conditions = []
    if year is not None:
        conditions.append(f"year = {p(year)}")
    if case_ids is not None:
        conditions.append(f"case_id = any({p(case_ids)}::text[])")
    return where(conditions)


def _conditions(p: Params, *, year: int | None, as_of: datetime | None, case_ids: list[str] | None) -> str:
    conditions = []
    if as_of is not None:
        conditions.append(f"occurred_at <= {p(as_of)}")
    if year is not None:
        conditions.append(f"{_YEAR} = {p(year)}")
    if case_ids is not None:
        conditions.append(f"case_id = any({p(case_ids)}::text[])")
    return where(conditions)


async def case_years(
    conn: Connection,
    *,
    year: int | None,
    as_of: datetime | None,
    case_ids: list[str] | None,
    limit: int,
    offset: int,
) -> tuple[int, list[tuple[str, int]]]:
    """A page of the (enforcement case, year) pairs that have figures, by year and case; and how many there are."""
    p = Params()
    if as_of is None:  # now: a row per (case, year) kept on write
        cond = _now_conditions(p, year=year, case_ids=case_ids)
        total_now: int = await conn.fetchval(f"select count(*) from enforcement_years where {cond}", *p.values)
        rows = await conn.fetch(
            f"""select case_id, year from enforcement_years where {cond}
                 order by year, case_id limit {p(limit)} offset {p(offset)}""",
            *p.values,
        )
        return total_now, [(r["case_id"], r["year"]) for r in rows]
    cond = _conditions(p, year=year, as_of=as_of, case_ids=case_ids)
    keys = " union ".join(f"select case_id, {_YEAR} as year from {table} where {cond}" for table in _TABLES)
    total: int = await conn.fetchval(f"select count(*) from ({keys}) k", *p.values)
    rows = await conn.fetch(f"{keys} order by year, case_id limit {p(limit)} offset {p(offset)}", *p.values)
    return total, [(r["case_id"], r["year"]) for r in rows]


def add(figures: list[Figures]) -> Figures:
    return Figures(**{name: sum(getattr(f, name) for f in figures) for name in Figures.__dataclass_fields__})


async def repeat_offenders(conn: Connection, *, year: int | None, as_of: datetime | None) -> list[asyncpg.Record]:
    """屡查屡犯: enterprises with two or more cases filed (in the year, if one is given)."""
    p = Params()
    conditions = []
    if as_of is not None:
        conditions.append(f"occurred_at <= {p(as_of)}")
    if year is not None:
        conditions.append(f"{_YEAR} = {p(year)}")
    rows: list[asyncpg.Record] = await conn.fetch(
        f"""select credit_code, min(enterprise_name) as enterprise_name, count(distinct case_id) as cases,
                   array_agg(distinct case_id order by case_id) as case_ids
              from enforcement_cases where {where(conditions)}
             group by credit_code having count(distinct case_id) >= 2
             order by cases desc, credit_code""",
        *p.values,
    )
    return rows


async def case_details(conn: Connection, case_ids: list[str]) -> dict[str, asyncpg.Record]:
    """What the filing said of each case: the enterprise and the issue it came from."""
    rows = await conn.fetch(
        """select distinct on (case_id) case_id, enterprise_name, credit_code, violation, issue_id, occurred_at
             from enforcement_cases where case_id = any($1::text[]) order by case_id, occurred_at, event_id""",
        case_ids,
    )
    return {r["case_id"]: r for r in rows}
