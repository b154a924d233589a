"""Escalation on the real broker and database: cases events in, escalations on accountability.events out."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from services.accountability.deps import Deps
from services.accountability.policy import PolicyError
from services.accountability.settings import AccountabilitySettings
from shared.clock import SHANGHAI
from shared.contracts.accountability import Escalation, SummonsIssued
from shared.eventstore import ConcurrencyConflict
from tests.conftest import SettingsFactory
from tests.integration.accountability.helpers import (
    cases_envelope,
    count,
    eventually,
    missed,
    produce,
    record,
    rejected,
    reopened,
    started,
)
from tests.support.events import payload
from tests.support.kafka import read_events, wait_for_events

UNIT = "城关镇人民政府"
OTHER_UNIT = "河西乡人民政府"


@pytest.fixture
async def settings(make_settings: SettingsFactory, topics: list[str]) -> AccountabilitySettings:
    settings: AccountabilitySettings = make_settings(AccountabilitySettings)
    return settings


@pytest.fixture
async def service(settings: AccountabilitySettings) -> AsyncIterator[tuple[Deps, httpx.AsyncClient]]:
    async with started(settings) as running_service:
        yield running_service


async def applied_records(deps: Deps) -> int:
    """How many records of the cases topic the escalation consumer has committed, over all partitions."""
    return int(await deps.pool.fetchval('select coalesce(sum("offset"), 0) from consumer_positions'))


async def test_a_missed_deadline_in_cases_produces_a_warning_on_accountability_events(
    settings: AccountabilitySettings, service: tuple[Deps, httpx.AsyncClient]
) -> None:
    miss = cases_envelope(missed(UNIT), case_id="case-1", version=4)
    await produce(settings, [record(miss)])

    [warning] = await wait_for_events(settings.broker, settings.own_topic, 1, timeout=30)
    assert warning.type == "WarningIssued"
    assert warning.stream_id == f"unit:{UNIT}"
    assert warning.payload.model_dump() == {
        "unit": UNIT,
        "case_ids": ["case-1"],
        "trigger_event_ids": [str(miss.event_id)],
        "level": 1.0,
    }
    assert (warning.causation_id, warning.correlation_id) == (str(miss.event_id), "case-1")


async def test_a_second_missed_deadline_produces_a_summons_with_its_date(
    settings: AccountabilitySettings, service: tuple[Deps, httpx.AsyncClient]
) -> None:
    deps, _ = service
    first = cases_envelope(missed(UNIT), case_id="case-1", version=4)
    second = cases_envelope(missed(UNIT, missed_count=2), case_id="case-1", version=6)
    await produce(settings, [record(first), record(second)])

    events = await wait_for_events(settings.broker, settings.own_topic, 2, timeout=30)
    assert [e.type for e in events] == ["WarningIssued", "SummonsIssued"]
    summons = events[1].payload
    assert isinstance(summons, SummonsIssued)
    assert summons.trigger_event_ids == [str(second.event_id)] and summons.level == 2.0
    expected = deps.policy.summons_date(second.occurred_at.astimezone(SHANGHAI).date())
    assert summons.summons_date == expected
    assert (summons.summons_date - second.occurred_at.astimezone(SHANGHAI).date()).days >= 5


async def test_the_same_deadline_missed_delivered_again_changes_nothing(
    settings: AccountabilitySettings, service: tuple[Deps, httpx.AsyncClient]
) -> None:
    deps, client = service
    first = cases_envelope(missed(UNIT), case_id="case-1", version=4)
    second = cases_envelope(missed(UNIT, missed_count=2), case_id="case-1", version=6)
    # The first one twice in a row, then again after the second: one partition (key = case id), in this order.
    await produce(settings, [record(first), record(first), record(second)])
    await wait_for_events(settings.broker, settings.own_topic, 2, timeout=30)
    await produce(settings, [record(first)])

    async def all_applied() -> bool:
        return await applied_records(deps) == 4

    await eventually(all_applied, "the consumer applied all four records")
    pool = deps.pool
    assert await pool.fetchval("select count(*) from events where stream_id = $1", f"unit:{UNIT}") == 2
    assert await pool.fetchval("select count(*) from ladder_steps") == 2

    async def outbox_empty() -> bool:
        return int(await pool.fetchval("select count(*) from outbox")) == 0

    await eventually(outbox_empty, "the relay published everything")
    events = await read_events(settings.broker, settings.own_topic)
    assert [e.type for e in events] == ["WarningIssued", "SummonsIssued"]
    ladders = (await client.get(f"/v1/units/{UNIT}/record")).json()["ladders"]
    assert ladders == [{"case_id": "case-1", "level": 2.0, "steps": 2, "last_step_at": ladders[0]["last_step_at"]}]


async def test_rejected_verifications_and_reopenings_from_cases_count_on_the_ladder(
    settings: AccountabilitySettings, service: tuple[Deps, httpx.AsyncClient]
) -> None:
    one = cases_envelope(rejected(UNIT), case_id="case-9", version=5)
    two = cases_envelope(rejected(UNIT), case_id="case-9", version=8)
    back = cases_envelope(reopened(UNIT), case_id="case-9", version=12)
    await produce(settings, [record(one), record(two), record(back)])

    events = await wait_for_events(settings.broker, settings.own_topic, 2, timeout=30)
    assert [(e.type, payload(e, Escalation).trigger_event_ids, payload(e, Escalation).level) for e in events] == [
        ("WarningIssued", [str(one.event_id), str(two.event_id)], 1.0),
        ("SummonsIssued", [str(back.event_id)], 2.0),
    ]


async def test_the_count_is_kept_per_unit_and_case(service: tuple[Deps, httpx.AsyncClient]) -> None:
    deps, _ = service
    triggers = [
        cases_envelope(missed(UNIT), case_id="case-1", version=3),
        cases_envelope(missed(UNIT), case_id="case-2", version=3),
        # case-1 handed to another unit, which misses its own deadline: that unit starts at the bottom
        cases_envelope(missed(OTHER_UNIT), case_id="case-1", version=9),
    ]
    async with deps.pool.acquire() as conn:
        caused = [await count(conn, deps, t) for t in triggers]
    assert [[e.type for e in c] for c in caused] == [["WarningIssued"]] * 3
    assert [c[0].stream_id for c in caused] == [f"unit:{UNIT}", f"unit:{UNIT}", f"unit:{OTHER_UNIT}"]


async def test_the_handler_counts_a_trigger_once_even_without_the_inbox(
    service: tuple[Deps, httpx.AsyncClient],
) -> None:
    deps, _ = service
    miss = cases_envelope(missed(UNIT), case_id="case-1", version=4)
    async with deps.pool.acquire() as conn:
        assert [e.type for e in await count(conn, deps, miss)] == ["WarningIssued"]
        assert await count(conn, deps, miss) == []
        assert await conn.fetchval("select count(*) from events") == 1


async def test_an_escalation_of_one_unit_does_not_wait_for_another_units(
    service: tuple[Deps, httpx.AsyncClient],
) -> None:
    deps, _ = service
    async with deps.pool.acquire() as busy, deps.pool.acquire() as other:
        open_transaction = busy.transaction()
        await open_transaction.start()
        try:
            held = cases_envelope(missed(UNIT), case_id="c-1", version=2)
            await count(busy, deps, held)
            # The first unit's escalation holds its locks, uncommitted; the second unit goes on regardless.
            done = await asyncio.wait_for(
                count(other, deps, cases_envelope(missed(OTHER_UNIT), case_id="c-2", version=2)),
                timeout=3,
            )
            assert [e.stream_id for e in done] == [f"unit:{OTHER_UNIT}"]
        finally:
            await open_transaction.rollback()


async def test_two_cases_of_one_unit_escalating_at_once_conflict_and_the_retry_succeeds(
    service: tuple[Deps, httpx.AsyncClient],
) -> None:
    deps, _ = service
    first = cases_envelope(missed(UNIT), case_id="case-1", version=2)
    second = cases_envelope(missed(UNIT), case_id="case-2", version=2)
    async with deps.pool.acquire() as a, deps.pool.acquire() as b:
        transaction = a.transaction()
        await transaction.start()
        await count(a, deps, first)
        racing = asyncio.create_task(count(b, deps, second))
        await asyncio.sleep(0.3)
        await transaction.commit()
        # Both appended version 1 of the unit's stream: the later one is told, and the runner retries it.
        with pytest.raises(ConcurrencyConflict):
            await racing
        retried = await count(b, deps, second)
    assert [(e.type, e.stream_version, payload(e, Escalation).case_ids) for e in retried] == [
        ("WarningIssued", 2, ["case-2"])
    ]


async def test_a_broken_policy_file_stops_the_service_at_start(
    make_settings: SettingsFactory, topics: list[str], tmp_path: Path
) -> None:
    broken = tmp_path / "county-policy.toml"
    broken.write_text("[weights]\ndeadline_mised = 1\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="deadline_mised"):
        async with started(make_settings(AccountabilitySettings, accountability_policy=broken)):
            pass
