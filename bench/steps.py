"""The measurements that are not HTTP load: event store, replay, memory, and every baseline."""

import asyncio
import contextlib
import os
import tempfile
import uuid
from dataclasses import asdict
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient

from bench import audit, baselines, history, memory, replay, settle, store
from bench.config import SERVICES, BenchConfig
from bench.procs import CpuSpent, CpuWindow, stack_processes
from bench.report import Report
from bench.scratch import scratch_database
from shared.broker import Broker
from shared.envelope import Envelope, to_record
from shared.settings import ServiceSettings, dsn_for
from shared.topics import EVENT_TOPICS, ensure_topics

# The durable commits of one closed loop: IssueReported, CaseOpened, Assigned, ClosureRequested, Closed.
COMMITS_PER_LOOP = 5


def record_size() -> int:
    """Bytes of one IssueReported record on Kafka: key, JSON value and the CloudEvents headers."""
    event = store.sample_event(0)
    envelope = Envelope.wrap(
        event, stream_id=event.issue_id, stream_version=1, actor="public", correlation_id=str(uuid.uuid4())
    )
    key, value, headers = to_record(envelope, source="/county/intake")
    return len(key) + len(value) + sum(len(k) + len(v) for k, v in headers)


# The event store's one-event append and pgbench's one-row insert, each measured this many times, alternately.
STORE_ROUNDS = 2


def _us_per(spent: CpuSpent, events: int) -> dict[str, float]:
    return {name: round(1e6 * seconds / events, 1) for name, seconds in spent.seconds.items()}


def _mean_us(rounds: list[dict[str, float]]) -> str:
    names = sorted({name for spent in rounds for name in spent})
    return ", ".join(f"{name} {sum(r.get(name, 0.0) for r in rounds) / len(rounds):.0f}" for name in names)


async def event_store(config: BenchConfig, report: Report) -> None:
    """Ours against pgbench (4 clients each) alternately in the same minutes, once the services' consumers have
    applied everything the steps before left them (they would otherwise share the cores and the database)."""
    sizes = config.sizes
    settled = await settle.consumers_caught_up(config)
    payload = store.payload_bytes(store.sample_event(0)).decode()
    singles: list[store.Appends] = []
    inserts: list[baselines.PgbenchRun] = []
    with tempfile.TemporaryDirectory(prefix="bench-store-") as folder:
        async with (
            scratch_database(config.database_url, f"{config.run}_store") as dsn,
            scratch_database(config.database_url, f"{config.run}_store_pgbench") as pgbench_dsn,
        ):
            script = await asyncio.to_thread(baselines.prepare_pgbench, pgbench_dsn, payload, Path(folder))
            # PostgreSQL's CPU (its backends) and the bench's (our client's thread, or pgbench, its child) per append
            watched = {"postgresql": pg} if (pg := stack_processes(config).get("postgresql")) else {}
            watched["bench"] = (os.getpid(),)
            cpu: dict[str, list[dict[str, float]]] = {"ours": [], "pgbench": []}
            for _ in range(STORE_ROUNDS):
                window = CpuWindow(watched).start()
                singles.append(
                    await asyncio.to_thread(
                        store.measure, dsn, events=sizes.store_events, clients=sizes.store_clients, batch=1
                    )
                )
                cpu["ours"].append(_us_per(window.stop(), sizes.store_events))
                window = CpuWindow(watched).start()
                inserts.append(
                    await asyncio.to_thread(
                        baselines.pgbench,
                        pgbench_dsn,
                        script,
                        clients=sizes.store_clients,
                        transactions=sizes.store_events,
                    )
                )
                cpu["pgbench"].append(_us_per(window.stop(), sizes.store_events))
            batched = await asyncio.to_thread(
                store.measure, dsn, events=sizes.store_events, clients=sizes.store_clients, batch=10
            )
            single = sum(a.events_per_s for a in singles) / len(singles)
            note = (
                f"{sizes.store_events} events, {sizes.store_clients} connections, each append a new stream; mean of "
                f"{STORE_ROUNDS} runs alternating with pgbench's; the client (uvloop, as the services) "
                f"{sum(a.client_cpu_us for a in singles) / len(singles):.0f} µs of CPU per append; CPU per append "
                f"(µs) ours {_mean_us(cpu['ours'])}, per pgbench insert {_mean_us(cpu['pgbench'])}"
            )
            report.measure("store.single.events_per_s", single, note)
            report.measure("store.batch.events_per_s", batched.events_per_s, "batches of 10 events")
            report.baseline(
                "pgbench.store.tps",
                f"pgbench 单行插入 {sizes.store_clients} 客户端 tps",
                sum(run.tps for run in inserts) / len(inserts),
                "alternating with the event store's appends, same minutes",
            )
            report.raw["store"] = {
                "settled_s": round(settled, 1),
                "single_events_per_s": [round(a.events_per_s) for a in singles],
                "single_client_cpu_us": [round(a.client_cpu_us) for a in singles],
                "batch_client_cpu_us": round(batched.client_cpu_us),
                "pgbench": [run.summary for run in inserts],
                "cpu_us_per_append": cpu,
            }
            es_single = await asyncio.to_thread(
                store.eventsourcing_recorder, dsn, events=sizes.store_events, clients=sizes.store_clients, batch=1
            )
            es_batched = await asyncio.to_thread(
                store.eventsourcing_recorder, dsn, events=sizes.store_events, clients=sizes.store_clients, batch=10
            )
            report.baseline(
                "eventsourcing.single",
                "eventsourcing 记录器 单事件/s",
                es_single,
                "PostgresApplicationRecorder.insert_events, same events and threads as connections",
            )
            report.baseline("eventsourcing.batch", "eventsourcing 记录器 10 个一批 事件/s", es_batched)


async def pgbench_baselines(config: BenchConfig, report: Report) -> None:
    sizes = config.sizes
    payload = store.payload_bytes(store.sample_event(0)).decode()
    with tempfile.TemporaryDirectory(prefix="bench-pgbench-") as folder:
        async with scratch_database(config.database_url, f"{config.run}_pgbench") as dsn:
            script = await asyncio.to_thread(baselines.prepare_pgbench, dsn, payload, Path(folder))
            fixed = await asyncio.to_thread(
                baselines.pgbench, dsn, script, clients=4, seconds=sizes.fixed_seconds, rate=sizes.fixed_rate
            )
            saturated = await asyncio.to_thread(
                baselines.pgbench, dsn, script, clients=sizes.saturation_clients, seconds=sizes.saturation_seconds
            )
            # The store's baseline is measured beside its appends (event_store) when that step runs.
            stored = (
                None
                if "pgbench.store.tps" in report.baselines
                else await asyncio.to_thread(
                    baselines.pgbench, dsn, script, clients=sizes.store_clients, transactions=sizes.store_events
                )
            )
            looped = await asyncio.to_thread(
                baselines.pgbench, dsn, script, clients=sizes.loop_clients, transactions=sizes.store_events
            )
    report.raw["pgbench"] = {
        "fixed": fixed.summary,
        "saturation": saturated.summary,
        **({"store": stored.summary} if stored is not None else {}),
        "loop": looped.summary,
    }
    rate_label = f"pgbench 单行插入 -R {sizes.fixed_rate:g}"
    report.baseline(
        "pgbench.fixed.tps",
        f"{rate_label} tps",
        fixed.tps,
        "one-row insert per transaction, the same JSON as an event, same server",
    )
    report.baseline("pgbench.fixed.p50_ms", f"{rate_label} p50", fixed.p50_ms)
    report.baseline("pgbench.fixed.p99_ms", f"{rate_label} p99", fixed.p99_ms)
    sat_label = f"pgbench 单行插入 {sizes.saturation_clients} 客户端"
    report.baseline("pgbench.saturation.tps", f"{sat_label} tps", saturated.tps)
    report.baseline("pgbench.saturation.p50_ms", f"{sat_label} p50", saturated.p50_ms)
    report.baseline("pgbench.saturation.p99_ms", f"{sat_label} p99", saturated.p99_ms)
    store_label = f"pgbench 单行插入 {sizes.store_clients} 客户端"
    if stored is not None:
        report.baseline("pgbench.store.tps", f"{store_label} tps", stored.tps)
    loop_label = f"pgbench 单行插入 {sizes.loop_clients} 客户端"
    report.baseline(
        "pgbench.loop.per_s",
        f"{loop_label} tps ÷ {COMMITS_PER_LOOP}",
        looped.tps / COMMITS_PER_LOOP,
        f"a loop needs {COMMITS_PER_LOOP} durable commits; as many clients as the loop's",
    )
    if looped.p50_ms is not None and looped.p99_ms is not None:
        report.baseline(
            "pgbench.loop.p50_ms", f"{loop_label} p50 × {COMMITS_PER_LOOP}", looped.p50_ms * COMMITS_PER_LOOP
        )
        report.baseline(
            "pgbench.loop.p99_ms", f"{loop_label} p99 × {COMMITS_PER_LOOP}", looped.p99_ms * COMMITS_PER_LOOP
        )


async def kafka_producer_baselines(config: BenchConfig, report: Report) -> None:
    sizes = config.sizes
    settings = ServiceSettings(kafka_bootstrap_servers=config.kafka_bootstrap_servers)
    topic = f"{config.topic_prefix}{config.run}.producer-perf"
    size = record_size()
    await ensure_topics(settings, [topic])
    try:
        full = await asyncio.to_thread(
            baselines.producer_performance,
            config.broker,
            topic,
            records=sizes.producer_records,
            size=size,
            throughput=-1,
        )
        steady = await asyncio.to_thread(
            baselines.producer_performance,
            config.broker,
            topic,
            records=max(10, int(sizes.e2e_rate * sizes.e2e_seconds)),
            size=size,
            throughput=sizes.e2e_rate,
        )
    finally:
        await _delete_topic(config.broker, topic)
    report.raw["producer_performance"] = {"full": full.line, "steady": steady.line}
    report.baseline(
        "kafka.producer.records_per_s",
        "Kafka ProducerPerformance 记录/s",
        full.records_per_s,
        f"{size}-byte records, acks=all, idempotent, linger 5 ms; {sizes.producer_records} records",
    )
    report.baseline(
        "kafka.producer_steady.p50_ms", f"Kafka ProducerPerformance {sizes.e2e_rate:g}/s p50", steady.p50_ms
    )
    report.baseline(
        "kafka.producer_steady.p99_ms", f"Kafka ProducerPerformance {sizes.e2e_rate:g}/s p99", steady.p99_ms
    )


async def _delete_topic(broker: Broker, topic: str) -> None:
    admin = AIOKafkaAdminClient(**broker.client_options())
    await admin.start()
    try:
        with contextlib.suppress(Exception):
            await admin.delete_topics([topic])
    finally:
        await admin.close()


# same_read_models' verdict, as the replay's note says it
_VERDICT = {True: "equal", False: "NOT equal", None: "not compared"}


async def projections_replay(config: BenchConfig, report: Report) -> None:
    topics = [f"{config.topic_prefix}{name}" for name in EVENT_TOPICS if not name.startswith("province")]
    if config.sizes.history_events:
        base = history.settings_for(config.database_url, config.kafka_bootstrap_servers, config.topic_prefix)
        made = await history.make_history(base, config.sizes.history_events)
        report.raw["history"] = asdict(made)
    # The services react to a history just made (accountability escalates its missed deadlines for minutes): the
    # rebuild must read the topics once they have stopped growing, or the live models move on past it.
    report.raw["replay_settled_s"] = round(await settle.consumers_caught_up(config), 1)
    sizes = await replay.topic_sizes(config.broker, topics)
    async with scratch_database(config.database_url, f"{config.run}_replay") as dsn:
        name = dsn.rsplit("/", 1)[1]
        result = await asyncio.to_thread(
            replay.rebuild_into, config.database_url, name, config.kafka_bootstrap_servers, config.topic_prefix
        )
        same = await replay.same_read_models(dsn_for(config.database_url, config.projections_database), dsn)
    report.raw["rebuild"] = result
    report.raw["rebuilt_equals_live"] = same
    if same["equal"] is False:
        report.errors.append(f"replay: the rebuilt read models differ from the live ones in {same['differ']}")
    elif same["equal"] is None and "live_events" in same:  # a live database, but at another point of the topics
        report.errors.append(f"replay: not compared with the live read models: {same['why']}")
    report.measure(
        "replay.events_per_s",
        result["replay_events_per_second"] or result["events_per_second"],
        f"{result['events']} events of the whole history replayed into a scratch database in {result['seconds']}s "
        f"({result['events_per_second']}/s counting the {result['first_event_after_seconds']}s group join); "
        f"rebuilt read models {_VERDICT[same['equal']]} to the live ones",
    )
    if sum(sizes.values()):
        rate, lines = await asyncio.to_thread(replay.consumer_performance_of, config.broker, sizes)
        report.raw["consumer_performance"] = {"topics": sizes, "lines": lines}
        report.baseline(
            "kafka.consumer.msgs_per_s",
            "Kafka ConsumerPerformance 消息/s",
            rate,
            f"fetch rate over the same {len(lines)} topics ({sum(sizes.values())} records)",
        )


async def peak_memory(config: BenchConfig, report: Report) -> None:
    for service in SERVICES:
        if service not in config.urls:
            continue
        # with several instances, the largest: each is a process of its own with its own limit
        pids = memory.service_pids(service, config.url(service), config.pids_dir)
        peaks = [kib for pid in pids if (kib := memory.peak_rss_kib(pid)) is not None]
        if not peaks:
            report.errors.append(f"memory.{service}: no running process found (pid file or port)")
            continue
        report.measure(f"memory.{service}.peak_mib", max(peaks) / 1024)
        report.raw.setdefault("pids", {})[service] = list(pids)
    bare = await asyncio.to_thread(baselines.bare_python_peak_kib)
    report.baseline("python.bare.peak_mib", "空 Python 进程（导入同样的库）", bare / 1024)


AUDIT_ROUNDS = 2


async def audit_cost(config: BenchConfig, report: Report) -> None:
    """What the hash chain costs an append (issue 16): single appends without it (the store before issue 16), with it,
    and with the audit log too, alternately in scratch databases; and `make verify` (chains, then the tree) over a
    store of `audit_events` events."""
    sizes = config.sizes
    await settle.consumers_caught_up(config)
    runs = await audit.append_rates(config.database_url, sizes.store_events, AUDIT_ROUNDS, sizes.store_clients)

    def mean(label: str, field: str) -> float:
        return float(sum(getattr(run, field) for run in runs[label])) / len(runs[label])

    note = f"{sizes.store_events} single appends, {sizes.store_clients} connections, {AUDIT_ROUNDS} alternating rounds"
    report.baseline(
        "audit.no_chain.events_per_s", "事件库：无哈希链的单事件追加 每秒", mean("no_chain", "events_per_s"), note
    )
    report.baseline("audit.no_chain.p99_ms", "事件库：无哈希链的单事件追加 p99", mean("no_chain", "p99_ms"), note)
    report.measure("audit.chain.events_per_s", mean("chain", "events_per_s"), note)
    report.measure("audit.chain.p99_ms", mean("chain", "p99_ms"), note)
    report.measure("audit.chain_and_log.events_per_s", mean("chain_and_log", "events_per_s"), note)
    report.measure("audit.chain_and_log.p99_ms", mean("chain_and_log", "p99_ms"), note)
    verified = await audit.verify_chains(config.database_url, sizes.audit_events)
    report.measure(
        "audit.verify_s_per_100k",
        verified["verify_s_per_100k"],
        f"{sizes.audit_events:,} events: chains {verified['verify_chains_s']:.2f} s,"
        f" tree {verified['verify_tree_s']:.2f} s",
    )
    report.raw["audit"] = {
        label: [{k: round(v, 2) for k, v in run.__dict__.items()} for run in appended]
        for label, appended in runs.items()
    } | {"verify": {k: round(v, 2) for k, v in verified.items()}}
