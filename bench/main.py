"""`python -m bench`: measure the running stack and its baselines, print the table, write the JSON."""

import argparse
import asyncio
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench import http_figures, steps
from bench.config import FULL, ROOT, SERVICES, SMOKE, BenchConfig
from bench.report import Report, Spec
from shared.logging import configure_logging
from shared.stack_keys import use_stack_keys

DEFAULT_PORTS = {"intake": 8001, "cases": 8002, "enforcement": 8003, "accountability": 8004, "projections": 8005}

SPECS: list[Spec] = [
    Spec("intake.fixed.accepted_per_s", "受理：定量负载下每秒受理", "件/s", "pgbench.fixed.tps"),
    Spec("intake.fixed.p50_ms", "受理：定量负载 p50", "ms", "pgbench.fixed.p50_ms"),
    Spec("intake.fixed.p99_ms", "受理：定量负载 p99", "ms", "pgbench.fixed.p99_ms"),
    Spec("intake.saturation.accepted_per_s", "受理：饱和时每秒受理", "件/s", "pgbench.saturation.tps"),
    Spec(
        "intake.saturation.accepted_per_s", "受理：饱和时每秒受理（对 Kafka）", "件/s", "kafka.producer.records_per_s"
    ),
    Spec("intake.saturation.p50_ms", "受理：饱和时 p50", "ms", "pgbench.saturation.p50_ms"),
    Spec("intake.saturation.p99_ms", "受理：饱和时 p99", "ms", "pgbench.saturation.p99_ms"),
    Spec("e2e.p50_ms", "端到端：202→计入统计 p50", "ms", "kafka.producer_steady.p50_ms"),
    Spec("e2e.p99_ms", "端到端：202→计入统计 p99", "ms", "kafka.producer_steady.p99_ms"),
    Spec("loop.per_s", "闭环：受理→交办→申请销号→销号 每秒", "个/s", "pgbench.loop.per_s"),
    Spec("loop.p50_ms", "闭环：单个闭环 p50", "ms", "pgbench.loop.p50_ms"),
    Spec("loop.p99_ms", "闭环：单个闭环 p99", "ms", "pgbench.loop.p99_ms"),
    Spec("store.single.events_per_s", "事件库：单事件追加 每秒", "事件/s", "pgbench.store.tps"),
    Spec("store.single.events_per_s", "事件库：单事件追加（对 eventsourcing）", "事件/s", "eventsourcing.single"),
    Spec("store.batch.events_per_s", "事件库：10 个一批追加 每秒", "事件/s", "eventsourcing.batch"),
    Spec("replay.events_per_s", "统计：全部历史重放 每秒", "事件/s", "kafka.consumer.msgs_per_s"),
    *(Spec(f"memory.{s}.peak_mib", f"内存：{s} 峰值 RSS", "MiB", "python.bare.peak_mib") for s in SERVICES),
]

Step = Callable[[BenchConfig, Report], Awaitable[None]]


def plan(config: BenchConfig) -> list[tuple[str, Step]]:
    batch = f"基准测试-{config.run}"
    return [
        ("intake", lambda c, r: http_figures.intake_fixed(c, r, batch)),
        ("intake", lambda c, r: http_figures.intake_saturation(c, r, batch)),
        ("e2e", lambda c, r: http_figures.end_to_end(c, r, f"{batch}-e2e")),
        ("loop", lambda c, r: http_figures.closed_case_loop(c, r, batch)),
        ("store", steps.event_store),
        ("pgbench", steps.pgbench_baselines),
        ("kafka", steps.kafka_producer_baselines),
        ("replay", steps.projections_replay),
        ("memory", steps.peak_memory),
    ]


async def run(config: BenchConfig) -> Report:
    report = Report(
        config={
            "urls": config.urls,
            "kafka_bootstrap_servers": config.kafka_bootstrap_servers,
            "topic_prefix": config.topic_prefix,
            "run": config.run,
            "smoke": config.smoke,
            "sizes": config.sizes.__dict__,
        }
    )
    for name, step in plan(config):
        if name in config.skip:
            continue
        started = time.monotonic()
        print(f"bench: {name} …", file=sys.stderr, flush=True)
        try:
            await step(config, report)
        except Exception as exc:  # one failed measurement must not hide the others
            report.errors.append(f"{name}: {exc!r}"[:600])
        print(f"bench: {name} done in {time.monotonic() - started:.1f}s", file=sys.stderr, flush=True)
    return report


def parse(argv: list[str] | None = None) -> BenchConfig:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="基准测试：运行中的系统及其基线（Kafka、pgbench、eventsourcing）"
    )
    for service, port in DEFAULT_PORTS.items():
        parser.add_argument(f"--{service}-url", default=f"http://127.0.0.1:{port}", help=f"base URL of {service}")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:55432/postgres"),
        help="the stack's PostgreSQL server; scratch databases are made there",
    )
    parser.add_argument(
        "--kafka-bootstrap-servers", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    )
    parser.add_argument(
        "--topic-prefix", default=os.environ.get("TOPIC_PREFIX", ""), help="TOPIC_PREFIX of the stack's services"
    )
    parser.add_argument(
        "--projections-database",
        default=os.environ.get("PROJECTIONS_DATABASE", "projections"),
        help="the live projections' database, whose read models the replay's must equal",
    )
    parser.add_argument(
        "--run", default=None, help="names this run's batch, scratch databases and topics (default: random)"
    )
    parser.add_argument("--pids-dir", type=Path, default=ROOT / ".run" / "pids")
    parser.add_argument("--out", type=Path, default=ROOT / ".run" / "bench" / "latest.json")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="a tiny run of every measurement, in seconds: checks the harness, not the speed",
    )
    parser.add_argument(
        "--skip", action="append", default=[], choices=sorted({name for name, _ in plan(BenchConfig(urls={}))})
    )
    args = parser.parse_args(argv)
    return BenchConfig(
        urls={s: getattr(args, f"{s}_url") for s in DEFAULT_PORTS},
        database_url=args.database_url,
        kafka_bootstrap_servers=args.kafka_bootstrap_servers,
        topic_prefix=args.topic_prefix,
        projections_database=args.projections_database,
        run=args.run or f"bench{uuid.uuid4().hex[:8]}",
        pids_dir=args.pids_dir,
        out=args.out,
        sizes=SMOKE if args.smoke else FULL,
        smoke=args.smoke,
        skip=frozenset(args.skip),
    )


def main(argv: list[str] | None = None) -> None:
    use_stack_keys()  # the broker's admin sign-in: the environment, else .run/secrets.env
    config = parse(argv)
    configure_logging("WARNING", json=False)  # the table is the output; the platform's info logs are noise here
    report = asyncio.run(run(config))
    report.write(config.out, SPECS)
    print(report.table(SPECS))
    print(f"\nJSON: {config.out}")
    sys.exit(1 if report.errors else 0)
