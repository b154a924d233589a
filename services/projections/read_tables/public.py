"""信息公开: the public read model, what anyone may read of the county's cases without signing in.

Only public fields ever leave here: the case's title (masked of personal numbers by intake), source, batch,
township, domain, responsible unit, deadline and status; once closed, the rectification result; in 公示, the notice's
period and the summary written for the public. Never a report's description, a reporter, a photo or its metadata,
the 五定's leader, nor a case withheld from the public (`public_cases.confidential`).

`public_cases` is folded from the facts of each touched case's stream (a line of consumers.DERIVED), whatever the order
of arrival: the latest 申请销号 summary, the latest 公示 (NoticeStarted), the latest MarkedConfidential.
"""

from dataclasses import dataclass
from typing import Any

from services.projections.read_tables.facts import BATCH
from services.projections.read_tables.sql import Params, where
from shared.contracts.codes import CaseStatus
from shared.db import Connection

# The event types the public row is folded from. NoticeStarted (公示开始: payload starts, ends, summary) and
# MarkedConfidential (不予公开: payload confidential, default true, and reason) are cases' events of the closure
# procedure (issue 17 item 1): named here as agreed, so their facts are folded as soon as the topic carries them.
RESULT = "ClosureRequested"
NOTICE_STARTED = "NoticeStarted"
MARKED_CONFIDENTIAL = "MarkedConfidential"
TYPES = (RESULT, NOTICE_STARTED, MARKED_CONFIDENTIAL)

# Bounded paging: a fixed page size, and no page beyond what a person leafs through.
PAGE_SIZE = 20
MAX_PAGE = 500
# 公示 lasts days (the closure policy's), so a county has tens at once; the list is bounded all the same.
MAX_NOTICES = 500

_FOLD = f"""
    insert into public_cases (issue_id, result_summary, notice_starts_at, notice_ends_at, notice_summary, confidential)
    select f.stream_id,
           (array_agg(f.payload ->> 'summary' order by f.stream_version desc)
                filter (where f.type = '{RESULT}'))[1],
           (array_agg((f.payload ->> 'starts')::timestamptz order by f.stream_version desc)
                filter (where f.type = '{NOTICE_STARTED}'))[1],
           (array_agg((f.payload ->> 'ends')::timestamptz order by f.stream_version desc)
                filter (where f.type = '{NOTICE_STARTED}'))[1],
           (array_agg(f.payload ->> 'summary' order by f.stream_version desc)
                filter (where f.type = '{NOTICE_STARTED}'))[1],
           coalesce((array_agg(coalesce((f.payload ->> 'confidential')::boolean, true) order by f.stream_version desc)
                filter (where f.type = '{MARKED_CONFIDENTIAL}'))[1], false)
      from facts f
     where f.topic = 'cases' and f.type = any($1::text[])
       and f.stream_id in (select stream_id from {BATCH} where topic = 'cases' and type = any($1::text[]))
     group by f.stream_id
    on conflict (issue_id) do update
       set result_summary = excluded.result_summary, notice_starts_at = excluded.notice_starts_at,
           notice_ends_at = excluded.notice_ends_at, notice_summary = excluded.notice_summary,
           confidential = excluded.confidential"""


async def derive(conn: Connection) -> None:
    """The public rows of the cases whose facts of TYPES are in the batch, folded again from all their facts."""
    await conn.execute(_FOLD, list(TYPES))


@dataclass(frozen=True)
class ProblemFilters:
    """Which problems the public list shows: one source, one batch ("" = without batch), or all."""

    source: str | None = None
    batch: str | None = None


# What may be published of a case: a case (opened by the county: it has a state history) not withheld.
_PUBLISHED = "i.first_state_at is not null and not coalesce(p.confidential, false)"
_COLUMNS = """i.issue_id, i.title, i.source, i.batch, i.township, i.domain, i.unit, i.deadline, i.status, i.closed_at,
              case when i.status = 'closed' then coalesce(p.notice_summary, p.result_summary) end as result_summary"""


def _conditions(filters: ProblemFilters, params: Params) -> list[str]:
    conditions = [_PUBLISHED]
    if filters.source is not None:
        conditions.append(f"i.source = {params(filters.source)}")
    if filters.batch is not None:
        conditions.append("i.batch is null" if filters.batch == "" else f"i.batch = {params(filters.batch)}")
    return conditions


async def problems(conn: Connection, filters: ProblemFilters, page: int) -> tuple[int, list[Any]]:
    """The page's problems (the latest reported first) and how many there are in all."""
    params = Params()
    conditions = where(_conditions(filters, params))
    total: int = await conn.fetchval(
        f"select count(*) from issues i left join public_cases p using (issue_id) where {conditions}", *params.values
    )
    rows = await conn.fetch(
        f"""select {_COLUMNS} from issues i left join public_cases p using (issue_id)
             where {conditions} order by i.reported_at desc, i.issue_id
             limit {params(PAGE_SIZE)} offset {params((page - 1) * PAGE_SIZE)}""",
        *params.values,
    )
    return total, rows


async def facets(conn: Connection) -> tuple[list[Any], list[Any]]:
    """The sources and batches the public list can be filtered by, each with its number of published problems."""
    sources = await conn.fetch(
        f"""select i.source as key, count(*) as total from issues i left join public_cases p using (issue_id)
             where {_PUBLISHED} group by i.source order by i.source"""
    )
    batches = await conn.fetch(
        f"""select i.batch as key, count(*) as total from issues i left join public_cases p using (issue_id)
             where {_PUBLISHED} and i.batch is not null group by i.batch order by i.batch"""
    )
    return sources, batches


async def notices(conn: Connection) -> list[Any]:
    """The cases in 公示 now (status in_notice), the notice ending soonest first."""
    return await conn.fetch(
        f"""select {_COLUMNS}, p.notice_starts_at, p.notice_ends_at, p.notice_summary
              from issues i left join public_cases p using (issue_id)
             where {_PUBLISHED} and i.status = $1
             order by p.notice_ends_at nulls last, i.issue_id
             limit {MAX_NOTICES}""",
        CaseStatus.IN_NOTICE.value,
    )
