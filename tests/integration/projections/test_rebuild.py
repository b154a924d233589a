"""Rebuilding the read models from offset 0 while the service answers from the old ones, then switching."""

import asyncio
import json
import os
import uuid
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from bench.county import publish, simulate
from services.projections import consumers, generations
from services.projections import rebuild as rebuild_module
from services.projections.api import read_models
from services.projections.main import compose, create_app
from services.projections.rebuild import REBUILD_LOCK, RebuildRefused, rebuild
from services.projections.settings import ProjectionsSettings
from shared.consumer import dlq_topic
from shared.contracts.codes import Domain, Source
from shared.contracts.intake import IssueReported
from shared.db import create_pool
from shared.envelope import Envelope, to_record
from shared.service import start_platform
from tests.conftest import SettingsFactory
from tests.integration.projections.support import caught_up, eventually
from tests.support.kafka import read_topic
from tests.support.service import running

PAGES: tuple[tuple[str, dict[str, str]], ...] = (
    ("/v1/stats/closure-rates", {"group_by": "township"}),
    ("/v1/stats/closure-rates", {"group_by": "unit", "as_of": "2025-01-31"}),
    ("/v1/stats/accountability", {"group_by": "kind"}),
    ("/v1/stats/enforcement", {}),
    ("/v1/cases/overdue", {}),
    ("/v1/stats/assessment", {}),
    ("/v1/stats/assessment", {"as_of": "2025-12-31"}),
)
FIGURES = ("rows", "totals", "items", "repeat_offenders")


async def figures(client: httpx.AsyncClient) -> list[Any]:
    """What each page says, without the positions and generation that come with it."""
    out = []
    for path, params in PAGES:
        response = await client.get(path, params=params)
        assert response.status_code == 200, response.text
        out.append({k: v for k, v in response.json().items() if k in FIGURES})
    return out


async def test_a_rebuild_replays_every_topic_while_the_old_models_answer_then_switches(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    settings = make_settings(ProjectionsSettings)
    county = simulate(seed=8, issues=80)
    await publish(settings, county.envelopes)
    app = create_app(settings)
    async with running(app) as client:
        await caught_up(client, len(county.envelopes))
        before = await figures(client)
        answered: list[tuple[int, bool]] = []
        rebuilding = asyncio.Event()

        async def keep_asking() -> None:
            while not rebuilding.is_set():
                response = await client.get(PAGES[0][0], params=PAGES[0][1])
                body = response.json()
                answered.append((body["read_model"]["generation"], body["rows"] == before[0]["rows"]))
                await asyncio.sleep(0.02)

        asker = asyncio.create_task(keep_asking())
        replay = await rebuild(settings, grace_seconds=1.5)
        rebuilding.set()
        await asker

        assert replay.generation == 2 and replay.dropped_generations == [1]
        assert replay.events == len(county.envelopes) and replay.events_per_second > 0
        assert answered and all(same for _, same in answered), "an answer during the rebuild differed"
        assert answered[0][0] == 1, "the old generation answered while the new one was built"
        assert (await client.get("/v1/read-models")).json()["read_model"]["generation"] == 2
        assert await figures(client) == before

        pool = await create_pool(settings)
        try:
            schemas = {r["nspname"] for r in await pool.fetch("select nspname from pg_namespace")}
            statuses = {r["generation"]: r["status"] for r in await pool.fetch("select * from read_model_generations")}
            # Its tables had statistics before it answered (planned by them, not by guesses).
            unanalyzed = await pool.fetch(
                """select relname from pg_stat_user_tables
                    where schemaname = 'read_models_g2' and last_analyze is null"""
            )
        finally:
            await pool.close()
        assert [r["relname"] for r in unanalyzed] == []
        assert "read_models_g1" not in schemas and "read_models_g2" in schemas
        assert statuses == {1: "dropped", 2: "active"}

        # The service's consumer now continues the new generation from where the rebuild left its group.
        report = IssueReported(
            issue_id="after-rebuild",
            source=Source.MAILBOX,
            title="新问题",
            description="来信",
            township="城关镇",
            domain=Domain.WATER,
        )
        await publish(
            settings,
            [
                Envelope.wrap(
                    report, stream_id="after-rebuild", stream_version=1, actor="public", correlation_id="after-rebuild"
                )
            ],
        )
        await caught_up(client, len(county.envelopes) + 1, timeout=20)
        totals = (await client.get("/v1/stats/closure-rates")).json()
        assert totals["totals"]["total"] == len(county.issues) + 1
        assert totals["read_model"] == {"generation": 2, "consumer": "read-models-g2"}
        async with start_platform(settings) as platform:
            deps = compose(platform)
            try:
                positions = await read_models.positions(deps)  # the helper reads the rebuilt generation's offsets
            finally:
                await deps.log_ends.close()
        partitions = [p for topic in positions.values() for p in topic.values()]
        assert sum(p["applied_offset"] for p in partitions) == len(county.envelopes) + 1
        assert all(p["lag"] == 0 for p in partitions)


async def test_a_rebuild_keeps_each_event_once_however_often_the_topics_hold_it(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    """Records on the topics twice (the same event id) or another event at a stream's version already recorded: the
    rebuild keeps the first of each (the stream version's key kept through the load, facts.deduplicate for a repeated
    id), as the live consumer does (its inbox and the facts' keys), and derives the same figures."""
    settings = make_settings(ProjectionsSettings)
    county = simulate(seed=21, issues=30)
    again = county.envelopes[:25]
    at_a_recorded_version = [e.model_copy(update={"event_id": uuid.uuid4()}) for e in county.envelopes[25:35]]
    await publish(settings, county.envelopes + again + at_a_recorded_version)
    app = create_app(settings)
    async with running(app) as client:
        await caught_up(client, len(county.envelopes) + len(again) + len(at_a_recorded_version))
        before = await figures(client)
        # two loader processes of two consumers each: which one records a repeat changes nothing
        replay = await rebuild(settings, grace_seconds=0, loaders=2)
        assert replay.events == len(county.envelopes)
        assert await figures(client) == before
    pool = await create_pool(settings)
    try:
        schema = await pool.fetchval("select schema_name from read_model_generations where status = 'active'")
        recorded = {r["event_id"] for r in await pool.fetch(f'select event_id from "{schema}".facts')}
        keys = await pool.fetchval(
            "select count(*) from pg_constraint where conrelid = $1::regclass and contype in ('p', 'u')",
            f'"{schema}".facts',
        )
    finally:
        await pool.close()
    assert recorded == {e.event_id for e in county.envelopes}
    assert keys == 2  # the facts' keys made again from the unique indexes built beside the derivation


async def test_the_replay_rate_is_measured_in_events_per_second(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    """REPLAY_EVENTS=20000 measures it on a larger county; the default keeps the suite quick."""
    wanted = int(os.environ.get("REPLAY_EVENTS", "3000"))
    settings = make_settings(ProjectionsSettings)
    county = simulate(seed=13, issues=max(10, wanted // 10), span_days=1500)
    await publish(settings, county.envelopes)
    replay = await rebuild(settings, grace_seconds=0)
    print(
        f"\nreplayed {replay.events} events in {replay.seconds}s: {replay.events_per_second} events/s "
        f"({replay.replay_events_per_second} events/s after joining the group in {replay.first_event_after_seconds}s)"
    )
    assert replay.events == len(county.envelopes)
    assert replay.generation == 2 and replay.dropped_generations == [1]


async def test_a_rebuild_derives_each_line_once(
    make_settings: SettingsFactory, topics: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each line of DERIVED runs in one session of the derivation: the problems' lines once ran in two at once, each
    waiting on the other's locks (the read models the same, the derivation seconds longer)."""
    settings = make_settings(ProjectionsSettings)
    county = simulate(seed=17, issues=40, span_days=400)
    await publish(settings, county.envelopes)
    derived: list[consumers.Derive] = []
    lines_of = consumers._lines

    def listed(lines: list[consumers.Derive]) -> list[consumers.Step]:
        derived.extend(lines)
        return lines_of(lines)

    monkeypatch.setattr(consumers, "_lines", listed)
    replay = await rebuild(settings, grace_seconds=0)
    assert replay.events == len(county.envelopes)
    names = [line.write.__qualname__ for line in derived]
    assert "issues_reported" in names and "cases_opened" in names
    assert len(derived) == len({id(line) for line in derived}), names


async def test_a_rebuild_that_cannot_finish_leaves_the_old_models_active_and_drops_its_own(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    settings = make_settings(ProjectionsSettings)
    await publish(settings, simulate(seed=2, issues=10).envelopes)
    with pytest.raises(RebuildRefused, match="not caught up"):
        await rebuild(settings, give_up_after=0.0)
    pool = await create_pool(settings)
    try:
        statuses = {r["generation"]: r["status"] for r in await pool.fetch("select * from read_model_generations")}
        schemas = {r["nspname"] for r in await pool.fetch("select nspname from pg_namespace")}
        # while one rebuild runs, another is refused
        async with pool.acquire() as conn:
            await conn.execute("select pg_advisory_lock($1)", REBUILD_LOCK)
            with pytest.raises(RebuildRefused, match="另一个读模型重建正在进行"):
                await rebuild(settings)
            await conn.execute("select pg_advisory_unlock($1)", REBUILD_LOCK)
    finally:
        await pool.close()
    assert statuses == {1: "active", 2: "dropped"}
    assert "read_models_g1" in schemas and "read_models_g2" not in schemas


async def test_a_rebuild_whose_loader_process_dies_is_refused_and_stops_the_other_loaders(
    make_settings: SettingsFactory, topics: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(ProjectionsSettings)
    await publish(settings, simulate(seed=3, issues=10).envelopes)
    started: list[asyncio.subprocess.Process] = []
    start_loader = rebuild_module._start_loader

    async def a_loader_that_dies(*args: Any, **kwargs: Any) -> asyncio.subprocess.Process:
        process = await start_loader(*args, **kwargs)
        if not started:
            process.kill()
        started.append(process)
        return process

    monkeypatch.setattr(rebuild_module, "_start_loader", a_loader_that_dies)
    with pytest.raises(RebuildRefused, match="a loader of the rebuild exited with -9"):
        await rebuild(settings, loaders=2)
    assert len(started) == 2 and all(process.returncode is not None for process in started)
    pool = await create_pool(settings)
    try:
        statuses = {r["generation"]: r["status"] for r in await pool.fetch("select * from read_model_generations")}
    finally:
        await pool.close()
    assert statuses == {1: "active", 2: "dropped"}


async def test_after_an_upgrade_the_service_rebuilds_read_models_of_an_older_version_by_itself(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    settings = make_settings(ProjectionsSettings)
    county = simulate(seed=5, issues=30)
    await publish(settings, county.envelopes)
    async with running(create_app(settings)) as client:
        await caught_up(client, len(county.envelopes))
        before = await figures(client)

    # As an older release left them: another shape of tables, built by version 0.
    pool = await create_pool(settings)
    try:
        await pool.execute("update read_model_generations set shape = 'older', version = 0 where generation = 1")
    finally:
        await pool.close()

    async with running(create_app(settings)) as client:
        refused = await client.get(PAGES[0][0], params=PAGES[0][1])
        assert refused.status_code == 503, refused.text
        assert refused.headers["retry-after"] == "30"
        assert refused.json()["error"] == {
            "code": "read_models_rebuilding",
            "message": "统计数据正在按新版本重新生成，请稍后再试",
        }
        # How far it has come answers throughout.
        assert (await client.get("/v1/read-models")).status_code == 200

        async def generation() -> int:
            return int((await client.get("/v1/read-models")).json()["read_model"]["generation"])

        await eventually(generation, lambda number: number == 2, "the rebuilt generation switched in", timeout=60)
        await caught_up(client, len(county.envelopes))
        assert await figures(client) == before


async def test_read_models_of_a_newer_version_are_left_to_the_newer_instance(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    """A rolling upgrade: the older instance answers 503 and does not rebuild the newer one's tables back."""
    settings = make_settings(ProjectionsSettings)
    await publish(settings, simulate(seed=6, issues=5).envelopes)
    async with running(create_app(settings)) as client:
        await client.get("/v1/read-models")
    pool = await create_pool(settings)
    try:
        await pool.execute(
            "update read_model_generations set shape = 'newer', version = $1 where generation = 1",
            generations.VERSION + 1,
        )
        async with running(create_app(settings)) as client:
            refused = await client.get(PAGES[0][0], params=PAGES[0][1])
            assert refused.status_code == 503, refused.text
            assert refused.json()["error"]["message"] == "统计服务正在升级，请稍后再试"
            # The job looks once a second; three looks later nothing has been built.
            await asyncio.sleep(3.5)
            rows = await pool.fetch("select generation, status from read_model_generations order by generation")
        assert [tuple(r) for r in rows] == [(1, "active")]
    finally:
        await pool.close()


async def test_a_rebuild_checks_every_record_against_its_contract_and_sends_the_ones_that_break_it_to_the_dlq(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    """The rebuild's fast path (raw records checked in one call per batch, recorded from their bytes) leaves a batch
    with a bad record to the envelope way, which records the good ones and sends each bad one to the DLQ."""
    settings = make_settings(ProjectionsSettings)
    county = simulate(seed=17, issues=12)
    reported = next(e for e in county.envelopes if isinstance(e.payload, IssueReported))
    key, value, headers = to_record(reported, source="/test")

    def changed(**changes: bytes) -> list[tuple[str, bytes]]:
        """The report's headers with these changed, under a new event id."""
        return [(name, changes.get(name, raw)) for name, raw in headers if name != "ce_id"]

    no_title = json.dumps({**json.loads(value), "title": ""}).encode()
    bad = [
        (no_title, changed()),  # breaks the contract: an empty title
        (value, changed(ce_time=b"2025-03-01T08:00:00")),  # a moment without its offset
        (value, changed(ce_type=b"Closed")),  # a type intake does not publish
    ]
    await publish(settings, county.envelopes[:40])
    producer = AIOKafkaProducer(**settings.broker.client_options())
    await producer.start()
    try:
        for bad_value, bad_headers in bad:
            unique = [(n, r) for n, r in bad_headers if n != "ce_id"] + [("ce_id", str(uuid.uuid4()).encode())]
            await producer.send_and_wait(settings.topic("intake.events"), value=bad_value, key=key, headers=unique)
    finally:
        await producer.stop()
    await publish(settings, county.envelopes[40:])

    replay = await rebuild(settings, grace_seconds=0)

    assert replay.events == len(county.envelopes)  # the bad ones dead-lettered, not applied
    letters = await read_topic(settings.broker, dlq_topic(settings.topic("intake.events")))
    reasons = sorted(dict(letter.headers)["dlq_reason"].decode() for letter in letters)
    assert len(reasons) == 3, reasons
    assert any("title" in reason for reason in reasons)
    assert any("timezone" in reason for reason in reasons)
    assert any("Closed" in reason for reason in reasons)
    pool = await create_pool(settings)
    try:
        async with pool.acquire() as conn:
            schema = await conn.fetchval("select schema_name from read_model_generations where status = 'active'")
            recorded = await conn.fetchval(f'select count(*) from "{schema}".facts')
            issues = await conn.fetchval(f'select count(*) from "{schema}".issues')
    finally:
        await pool.close()
    assert recorded == len(county.envelopes)
    assert issues == len(county.issues)
