"""Each issue's responsible unit (责任单位) for cases assigned before intake recorded it.

Intake learns a case's unit from cases.events (province_outbound.track) since migration 003; an issue whose case was
assigned before had none, so its unit's token read its report as 404. On start, if any issue has a case past 待交办
without a unit, this job reads cases.events whole, outside any consumer group (nothing is committed, nothing reaches
the province again), and fills in the unit of each such case's last 交办 or 重新交办. It writes only where no unit is
recorded: whatever the live consumer recorded came from an event at least as new.
"""

import asyncio
import contextlib

import structlog

from services.intake.deps import Deps
from shared.contracts.cases import Assigned, Reassigned
from shared.contracts.codes import CaseStatus
from shared.envelope import from_record
from shared.topics import read_to_end

log = structlog.get_logger()

RETRY_SECONDS = 5.0


async def fill_case_units(deps: Deps) -> int:
    """Fills the missing units it can; returns how many issues got one."""
    missing = await deps.pool.fetchval(
        "select count(*) from issue_index where case_unit is null and case_status is not null and case_status <> $1",
        CaseStatus.REPORTED.value,
    )
    if not missing:
        return 0
    units: dict[str, str] = {}
    # In partition order, which is each case's stream order: the last assignment wins.
    for record in await read_to_end(deps.settings.broker, [deps.settings.topic("cases.events")]):
        envelope = from_record(record.value, list(record.headers or ()))
        if isinstance(envelope.payload, Assigned | Reassigned):
            units[envelope.stream_id] = envelope.payload.unit
    filled = await deps.pool.fetchval(
        """with filled as (
             update issue_index set case_unit = u.unit
               from unnest($1::text[], $2::text[]) as u(issue_id, unit)
              where issue_index.issue_id = u.issue_id and issue_index.case_unit is null
             returning 1)
           select count(*) from filled""",
        list(units),
        list(units.values()),
    )
    log.info("case_units_filled", missing=missing, filled=filled)
    return int(filled)


async def backfill_case_units(deps: Deps, stopping: asyncio.Event) -> None:
    """The start-up job: fills the units once (retrying while the broker or database is away), then stays idle."""
    while not stopping.is_set():
        try:
            await fill_case_units(deps)
            break
        except Exception as exc:  # retried: a report's unit must not stay missing because the broker was late
            log.warning("case_units_fill_failed", error=repr(exc), retry_in=RETRY_SECONDS)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), RETRY_SECONDS)
    await stopping.wait()
