"""The tables that serve lists and enterprise records; the event streams remain the truth."""

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from services.enforcement.domain import EnforcementCase
from shared.clock import SHANGHAI
from shared.contracts.enforcement import EnforcementCaseClosed, EnforcementCaseOpened
from shared.db import Connection
from shared.envelope import Envelope


async def save_case(conn: Connection, case: EnforcementCase | None, version: int, appended: Sequence[Envelope]) -> None:
    """Writes the case's list row after `appended`, in the caller's transaction."""
    if case is None or not appended:
        return
    for envelope in appended:
        if isinstance(envelope.payload, EnforcementCaseOpened):
            await conn.execute(
                """insert into enforcement_cases (case_id, credit_code, enterprise_name, issue_id, status,
                                                  opened_at, opened_year, version)
                   values ($1, $2, $3, $4, 'open', $5, $6, $7)""",
                case.opened.case_id,
                case.opened.enterprise.credit_code,
                case.opened.enterprise.name,
                case.opened.issue_id,
                envelope.occurred_at,
                envelope.occurred_at.astimezone(SHANGHAI).year,
                version,
            )
        if isinstance(envelope.payload, EnforcementCaseClosed):
            await conn.execute(
                "update enforcement_cases set status = 'closed', closed_at = $2 where case_id = $1",
                case.opened.case_id,
                envelope.occurred_at,
            )
    totals = case.totals
    await conn.execute(
        """update enforcement_cases
              set penalty_fen = $2, paid_fen = $3, daily_rounds = $4, detained_persons = $5,
                  criminal_persons = $6, referred_persons = $7, version = $8
            where case_id = $1""",
        case.opened.case_id,
        totals.penalty_fen,
        totals.paid_fen,
        totals.daily_rounds,
        totals.detained_persons,
        totals.criminal_persons,
        totals.referred_persons,
        version,
    )


@dataclass(frozen=True)
class CaseFilter:
    """`enterprise` matches a credit code exactly or a part of the enterprise's name."""

    enterprise: str | None = None
    year: int | None = None
    status: str | None = None
    limit: int = 50
    offset: int = 0


_LIST_COLUMNS = """c.*, r.status as rectification_status"""
_FROM = "enforcement_cases c left join rectification_cases r on r.issue_id = c.issue_id"


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def list_cases(conn: Connection, f: CaseFilter) -> tuple[list[asyncpg.Record], int]:
    where = """($1::text is null or c.credit_code = upper($1) or c.enterprise_name ilike $2)
               and ($3::int is null or c.opened_year = $3)
               and ($4::text is null or c.status = $4)"""
    args = (f.enterprise, _like_pattern(f.enterprise or ""), f.year, f.status)
    total = await conn.fetchval(f"select count(*) from {_FROM} where {where}", *args)
    rows = await conn.fetch(
        f"""select {_LIST_COLUMNS} from {_FROM} where {where}
             order by c.opened_at desc, c.case_id limit $5 offset $6""",
        *args,
        f.limit,
        f.offset,
    )
    return list(rows), int(total)


async def enterprise_cases(conn: Connection, code: str) -> list[asyncpg.Record]:
    """Every case against the enterprise with this credit code, oldest first."""
    rows = await conn.fetch(
        f"select {_LIST_COLUMNS} from {_FROM} where c.credit_code = $1 order by c.opened_at, c.case_id", code
    )
    return list(rows)


async def rectification_status(conn: Connection, issue_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        "select status, stream_version, event_type, occurred_at from rectification_cases where issue_id = $1",
        issue_id,
    )
    return row
