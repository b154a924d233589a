"""What the drill reads back from the stack: the topics, the case histories, the projections."""

import asyncio
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from bench.replay import rebuild_into
from drill.checks import Finding, Record, Stored
from drill.stack import StackConfig
from shared.broker import Broker
from shared.settings import dsn_for
from shared.topics import read_to_end

READ_MODELS_DDL = Path(__file__).resolve().parents[1] / "services" / "projections" / "read_models.sql"


async def read_topics(broker: Broker, topics: list[str], *, timeout: float = 30.0) -> dict[str, list[Record]]:
    """Every record now on the topics, up to the log ends taken at the start."""
    out: dict[str, list[Record]] = {t: [] for t in topics}
    for r in await read_to_end(broker, topics, within=timeout):
        out[r.topic].append(_record(r))
    return out


async def group_ids(broker: Broker, prefix: str) -> set[str]:
    admin = AIOKafkaAdminClient(**broker.client_options())
    await admin.start()
    try:
        return {str(g[0]) for g in await admin.list_consumer_groups() if str(g[0]).startswith(prefix)}
    finally:
        await admin.close()


async def group_offsets(broker: Broker, prefix: str, ignore: set[str]) -> dict[str, dict[str, tuple[int, int]]]:
    """For each consumer group whose name starts with `prefix` (less `ignore`): per partition it committed,
    "topic[p]" → (committed offset, log end)."""
    groups = sorted(await group_ids(broker, prefix) - ignore)
    admin = AIOKafkaAdminClient(**broker.client_options())
    await admin.start()
    consumer = AIOKafkaConsumer(**broker.client_options(), enable_auto_commit=False)
    await consumer.start()
    try:
        # every group's commits asked at once, then the log ends of them all in one request per broker
        commits = dict(zip(groups, await asyncio.gather(*map(admin.list_consumer_group_offsets, groups)), strict=True))
        partitions = {tp for committed in commits.values() for tp in committed}
        ends = await consumer.end_offsets(list(partitions)) if partitions else {}
        return {
            group: {f"{tp.topic}[{tp.partition}]": (meta.offset, ends[tp]) for tp, meta in committed.items()}
            for group, committed in commits.items()
            if committed
        }
    finally:
        await consumer.stop()
        await admin.close()


async def group_lags(broker: Broker, prefix: str, ignore: set[str]) -> dict[str, dict[str, int]]:
    """For each consumer group of the drill's services: records behind the log end, per partition it committed."""
    offsets = await group_offsets(broker, prefix, ignore)
    return {group: {p: end - at for p, (at, end) in parts.items()} for group, parts in offsets.items()}


def _record(r: Any) -> Record:
    headers = {k: v.decode("utf-8", errors="replace") for k, v in (r.headers or ())}
    try:
        payload = json.loads(r.value) if r.value else {}
    except ValueError:
        payload = {}
    return Record(
        topic=r.topic,
        partition=r.partition,
        offset=r.offset,
        event_id=headers.get("ce_id", f"undecodable@{r.partition}:{r.offset}"),
        type=headers.get("ce_type", "?"),
        stream_id=headers.get("ce_subject", r.key.decode() if r.key else "?"),
        stream_version=int(headers.get("ce_streamversion", "0") or 0),
        payload=payload if isinstance(payload, dict) else {},
    )


async def histories(
    client: httpx.AsyncClient, cases_url: str, case_ids: list[str], auth: httpx.Auth
) -> dict[str, list[Stored] | None]:
    """Each case's history as the cases service answers it; None for a case it does not know."""
    gate = asyncio.Semaphore(16)

    async def one(case_id: str) -> tuple[str, list[Stored] | None]:
        async with gate:
            response = await client.get(f"{cases_url}/v1/cases/{case_id}/history", auth=auth)
        if response.status_code == 404:
            return case_id, None
        response.raise_for_status()
        return case_id, [Stored(e["event_id"], e["version"], e["type"]) for e in response.json()["events"]]

    return dict(await asyncio.gather(*(one(c) for c in case_ids)))


async def projections_listing(
    client: httpx.AsyncClient, url: str, batch: str, auth: httpx.Auth
) -> tuple[list[str], int | None, dict[str, Any]]:
    """The issue ids the projections list for the batch (every page), their closure-rate total, and the positions."""
    listed: list[str] = []
    offset = 0
    while True:
        response = await client.get(
            f"{url}/v1/stats/closure-rates/cases",
            params={"batch": batch, "figure": "all", "limit": 1000, "offset": offset},
            auth=auth,
        )
        response.raise_for_status()
        page = response.json()
        listed += [item["issue_id"] for item in page["items"]]
        offset += len(page["items"])
        if not page["items"] or offset >= page["total"]:
            break
    rates = await client.get(f"{url}/v1/stats/closure-rates", params={"group_by": "batch", "batch": batch}, auth=auth)
    rates.raise_for_status()
    body = rates.json()
    total = sum(int(row["total"]) for row in body["rows"])
    return listed, total, body["positions"]


async def metric_samples(
    client: httpx.AsyncClient, url: str, name: str, *, token: str, also: tuple[str, ...] = ()
) -> dict[str, float]:
    """The samples of one metric family (and those named in `also`) on a service's /metrics (read with its
    METRICS_TOKEN), summed over labels (`_count`, `_sum`, `_total`, …)."""
    from prometheus_client.parser import text_string_to_metric_families

    response = await client.get(f"{url}/metrics", headers={"Authorization": f"Bearer {token}"})
    response.raise_for_status()
    totals: dict[str, float] = {}
    for family in text_string_to_metric_families(only_families(response.text, (name, *also))):
        if family.name == name or family.name in also:
            for sample in family.samples:
                totals[sample.name] = totals.get(sample.name, 0.0) + sample.value
    return totals


def only_families(text: str, names: tuple[str, ...]) -> str:
    """The lines of the families `names` in a Prometheus exposition (their samples, HELP and TYPE): the parser then
    reads a few lines instead of every family (the watcher reads ten instances' /metrics four times a second)."""
    return "\n".join(
        line for line in text.splitlines() if line.removeprefix("# HELP ").removeprefix("# TYPE ").startswith(names)
    )


@dataclass
class Progress:
    """While a fault runs: when the events the relays published and those the consumers applied (summed over the
    services' /metrics) moved, and the most rows intake's outbox held at once (reports accepted, not yet published)."""

    published_at: list[float] = field(default_factory=list)
    consumed_at: list[float] = field(default_factory=list)
    most_in_outbox: int = 0
    # each instance's (moment, events published, events applied) as its /metrics answered: what the others did
    # while one was dead (drill/instances.py, carried)
    samples: dict[str, list[tuple[float, float, float]]] = field(default_factory=dict)


async def watch_progress(urls: list[str], token: str, outbox_dsn: str, progress: Progress, every: float = 0.25) -> None:
    """Samples every `every` seconds until cancelled. A moment counts as progress when a counter of any service that
    answered moved since that service last answered (a busy or killed service is left out of that round; a killed
    one's counters start again from zero, which counts as a move)."""
    last: dict[tuple[str, str], float] = {}
    conn: asyncpg.Connection | None = None
    async with httpx.AsyncClient(timeout=2) as client:
        try:
            while True:
                moved: set[str] = set()
                # every instance at once: one that is slow to answer does not hold the others' samples back
                answers = await asyncio.gather(
                    *(
                        metric_samples(client, url, "events_published", token=token, also=("events_consumed",))
                        for url in urls
                    ),
                    return_exceptions=True,
                )
                for url, got in zip(urls, answers, strict=True):
                    if isinstance(got, httpx.HTTPError):
                        continue
                    if isinstance(got, BaseException):
                        raise got
                    progress.samples.setdefault(url, []).append(
                        (
                            time.monotonic(),
                            got.get("events_published_total", 0.0),
                            got.get("events_consumed_total", 0.0),
                        )
                    )
                    for name in ("events_published_total", "events_consumed_total"):
                        value = got.get(name, 0.0)
                        if (url, name) in last and value != last[url, name]:
                            moved.add(name)
                        last[url, name] = value
                now = time.monotonic()
                if "events_published_total" in moved:
                    progress.published_at.append(now)
                if "events_consumed_total" in moved:
                    progress.consumed_at.append(now)
                try:
                    conn = conn if conn is not None and not conn.is_closed() else await asyncpg.connect(outbox_dsn)
                    progress.most_in_outbox = max(progress.most_in_outbox, await conn.fetchval(OUTBOX_ROWS))
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                    conn = None
                await asyncio.sleep(every)
        finally:
            if conn is not None:
                await conn.close()


OUTBOX_ROWS = "select count(*) from outbox"


def read_model_tables() -> list[str]:
    text = READ_MODELS_DDL.read_text(encoding="utf-8")
    return [line.split()[2] for line in text.splitlines() if line.lower().startswith("create table ")]


async def _table_rows(dsn: str) -> dict[str, list[str]]:
    conn = await asyncpg.connect(dsn)
    try:
        schema = await conn.fetchval("select schema_name from read_model_generations where status = 'active'")
        if schema is None:
            return {}
        rows: dict[str, list[str]] = {}
        for table in read_model_tables():
            values = await conn.fetch(f'select to_jsonb(t)::text as row from "{schema}"."{table}" t')
            rows[table] = sorted(v["row"] for v in values)
        return rows
    finally:
        await conn.close()


@dataclass(frozen=True)
class RebuildComparison:
    findings: list[Finding]
    replayed_events: int
    seconds: float
    groups: set[str]  # the consumer groups the rebuild made: done with, they fall behind and are not checked


async def compare_with_rebuild(stack: StackConfig, name: str) -> RebuildComparison:
    """Rebuilds the read models from the topics into a scratch database and compares every table."""
    fresh = f"{stack.run}_fresh_{name}"
    admin = await asyncpg.connect(dsn_for(stack.database_url, "postgres"))
    try:
        await admin.execute(f'drop database if exists "{fresh}" with (force)')
        groups_before = await group_ids(stack.broker, stack.topic_prefix)
        started = time.monotonic()
        # as the drill's admin, whose password is the install's (its broker was formatted with it), whatever
        # KAFKA_PASSWORD the drill's own environment holds (a test session's, under pytest)
        result = await asyncio.to_thread(
            rebuild_into,
            stack.database_url,
            fresh,
            stack.bootstrap,
            stack.topic_prefix,
            timeout=300,
            signed_in_as=stack.broker,
        )
        seconds = time.monotonic() - started
        made = await group_ids(stack.broker, stack.topic_prefix) - groups_before
        live = await _table_rows(dsn_for(stack.database_url, stack.database("projections")))
        rebuilt = await _table_rows(dsn_for(stack.database_url, fresh))
    finally:
        await admin.execute(f'drop database if exists "{fresh}" with (force)')
        await admin.close()
    findings = []
    for table in read_model_tables():
        a, b = live.get(table, []), rebuilt.get(table, [])
        if a != b:
            only_live = len(set(a) - set(b)) + max(0, len(a) - len(set(a)))
            only_fresh = len(set(b) - set(a)) + max(0, len(b) - len(set(b)))
            findings.append(
                Finding(
                    "read models",
                    "mismatch",
                    f"table {table}: {len(a)} rows live, {len(b)} rebuilt; "
                    f"{only_live} only live, {only_fresh} only rebuilt",
                )
            )
    return RebuildComparison(findings, int(result.get("events", 0)), seconds, made)
