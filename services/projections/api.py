"""Routes of projections: the figures leaders and the province read."""

from enum import StrEnum
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from shared.contracts.codes import DOMAIN_LABELS, SOURCE_LABELS, Domain, Source
from shared.service import Platform, PlatformDep

router = APIRouter(prefix="/v1/stats", tags=["stats"])


class GroupBy(StrEnum):
    source = "source"
    township = "township"
    domain = "domain"
    batch = "batch"


class RateRow(BaseModel):
    key: str
    label: str
    total: int
    closed: int
    rate: float


class ClosureRates(BaseModel):
    group_by: GroupBy
    rows: list[RateRow]
    positions: dict[str, Any]


def _label(group_by: GroupBy, key: str) -> str:
    if group_by is GroupBy.source and key in Source._value2member_map_:
        return SOURCE_LABELS[Source(key)]
    if group_by is GroupBy.domain and key in Domain._value2member_map_:
        return DOMAIN_LABELS[Domain(key)]
    return key or "（未填写）"


async def positions(platform: Platform) -> dict[str, Any]:
    """Up to which offset each partition is applied, and how far the log has gone beyond it."""
    async with platform.pool.acquire() as conn:
        rows = await conn.fetch('select consumer, topic, partition, "offset" from consumer_positions')
    ends: dict[tuple[str, int], int] = {}
    for consumer in platform.consumers:
        ends.update(await consumer.end_offsets())
    out: dict[str, Any] = {}
    for r in rows:
        end = ends.get((r["topic"], r["partition"]))
        out.setdefault(r["topic"], {})[str(r["partition"])] = {
            "applied_offset": r["offset"],
            "end_offset": end,
            "lag": None if end is None else max(end - r["offset"], 0),
        }
    return out


@router.get("/closure-rates", response_model=ClosureRates)
async def closure_rates(platform: PlatformDep, group_by: GroupBy = GroupBy.source) -> ClosureRates:
    column = group_by.value  # an enum member, never user text, goes into the SQL
    async with platform.pool.acquire() as conn:
        rows = await conn.fetch(
            f"""select coalesce({column}, '') as key, count(*) as total, count(closed_at) as closed
                  from pj_issues group by 1 order by 2 desc, 1"""
        )
    return ClosureRates(
        group_by=group_by,
        rows=[
            RateRow(
                key=r["key"],
                label=_label(group_by, r["key"]),
                total=r["total"],
                closed=r["closed"],
                rate=round(r["closed"] / r["total"], 4) if r["total"] else 0.0,
            )
            for r in rows
        ],
        positions=await positions(platform),
    )
