"""`python -m bench`: measure the running stack and its baselines, print the table, write the JSON."""

import argparse
import asyncio
import dataclasses
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench import http_figures, open_loop, procs, reads, saturation, steps
from bench.config import FULL, ROOT, SERVICES, SMOKE, BenchConfig
from bench.report import Report, Spec
from shared.logging import configure_logging
from shared.stack_keys import use_stack_keys


def first_instance_ports() -> dict[str, int]:
    """Each service's first instance's own port, as infra/ports.sh computes it (from infra/services.sh's table and
    SERVICES_PORT_BASE): the bench measures a service itself, not the balancer in front of it (point
    --<service>-url at the service's own port for that)."""
    listed = subprocess.run(
        [
            "bash",
            "-c",
            'source infra/ports.sh && load_services_table && for n in "${STACK_NAMES[@]}"; do '
            'echo "$n $(instance_port "$n" 1)"; done',
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {name: int(port) for name, port in (line.split() for line in listed.splitlines())}


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
    Spec(
        "cpu.total_ms_per_report",
        "每件 CPU：全部进程合计（wrk 饱和）",
        "ms",
        "bare.cpu_ms_per_request",
        "≤ 4 ms",
    ),
    # HAProxy's figure (cpu.balancer…) only when the load goes through it (--intake-url at the balancer's port): shown
    # under its key, not a figure every run gives
    *(Spec(f"cpu.{name}.ms_per_report", f"每件 CPU：{name}", "ms", may_be_zero=True) for name in procs.WATCHED),
    Spec(
        "intake.alone.accepted_per_s", "受理单独（下游暂停）：wrk 饱和每秒受理", "件/s", "bare.accepted_per_s", "≥ 40 %"
    ),
    Spec("intake.alone.p50_ms", "受理单独：p50", "ms", "bare.p50_ms"),
    Spec("intake.alone.p99_ms", "受理单独：p99", "ms", "bare.p99_ms"),
    Spec("intake.alone.cpu_ms_per_report", "受理单独：每件 CPU（intake）", "ms", "bare.cpu_ms_per_request"),
    Spec("intake.alone.catch_up_s", "受理单独之后：下游追平用时", "s"),
    Spec("open.accepted_per_s", "持续开环（vegeta）：每秒受理", "件/s", "open.offered_per_s", "= 提供的负载"),
    Spec("open.p50_ms", "持续开环：受理 p50", "ms"),
    Spec("open.p99_ms", "持续开环：受理 p99", "ms", bar="< 100 ms"),
    Spec("open.e2e_p50_ms", "持续开环：受理→计入统计 p50", "ms"),
    Spec("open.e2e_p99_ms", "持续开环：受理→计入统计 p99", "ms", bar="< 1000 ms"),
    *reads.specs(),
    Spec("e2e.p50_ms", "端到端：202→计入统计 p50", "ms", "kafka.producer_steady.p50_ms"),
    Spec("e2e.p99_ms", "端到端：202→计入统计 p99", "ms", "kafka.producer_steady.p99_ms"),
    Spec("loop.per_s", "闭环：受理→交办→申请销号→销号 每秒", "个/s", "pgbench.loop.per_s"),
    Spec("loop.p50_ms", "闭环：单个闭环 p50", "ms", "pgbench.loop.p50_ms"),
    Spec("loop.p99_ms", "闭环：单个闭环 p99", "ms", "pgbench.loop.p99_ms"),
    Spec("loop.cpu.total_ms_per_loop", "闭环：每个闭环 CPU（全部进程合计）", "ms", bar="< 20 ms"),
    Spec("loop.cpu.bench_ms_per_loop", "闭环：每个闭环 CPU：基准测试客户端自身（不计入合计）", "ms"),
    *(
        Spec(f"loop.cpu.{name}.ms_per_loop", f"闭环：每个闭环 CPU：{name}", "ms", may_be_zero=True)
        for name in procs.WATCHED
    ),
    Spec("store.single.events_per_s", "事件库：单事件追加 每秒", "事件/s", "pgbench.store.tps"),
    Spec("store.single.events_per_s", "事件库：单事件追加（对 eventsourcing）", "事件/s", "eventsourcing.single"),
    Spec("store.batch.events_per_s", "事件库：10 个一批追加 每秒", "事件/s", "eventsourcing.batch"),
    Spec("audit.chain.events_per_s", "事件库：带哈希链的单事件追加 每秒", "事件/s", "audit.no_chain.events_per_s"),
    Spec("audit.chain.p99_ms", "事件库：带哈希链的单事件追加 p99", "ms", "audit.no_chain.p99_ms"),
    Spec(
        "audit.chain_and_log.events_per_s",
        "事件库：哈希链＋审计日志 单事件追加 每秒",
        "事件/s",
        "audit.no_chain.events_per_s",
    ),
    Spec("audit.chain_and_log.p99_ms", "事件库：哈希链＋审计日志 单事件追加 p99", "ms", "audit.no_chain.p99_ms"),
    Spec("audit.verify_s_per_100k", "make verify：每 10 万事件用时（链＋树）", "s"),
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
        # The reads first at the history the short loads left (a few thousand cases), then at the sizes asked for.
        ("reads", lambda c, r: reads.measure_reads(c, r, requests=c.sizes.read_requests)),
        ("cpu", lambda c, r: saturation.cpu_per_report(c, r, f"{batch}-cpu")),
        ("alone", lambda c, r: saturation.intake_alone(c, r, f"{batch}-alone")),
        ("open", lambda c, r: open_loop.sustained(c, r, f"{batch}-open")),
        ("history", reads.reads_at_sizes),
        ("store", steps.event_store),
        ("audit", steps.audit_cost),
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
            "history_sizes": list(config.history_sizes),
        }
    )
    for name, step in plan(config):
        if name in config.skip or (name == "history" and not config.history_sizes):
            continue
        started = time.monotonic()
        print(f"bench: {name} …", file=sys.stderr, flush=True)
        try:
            await step(config, report)
        except Exception as exc:  # one failed measurement must not hide the others
            report.errors.append(f"{name}: {exc!r}"[:600])
        print(f"bench: {name} done in {time.monotonic() - started:.1f}s", file=sys.stderr, flush=True)
    return report


# loopclient is given the users' access tokens once, and they live 5 minutes (make up's realm).
MAX_LOOP_SECONDS = 240


def parse(argv: list[str] | None = None) -> BenchConfig:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="基准测试：运行中的系统及其基线（Kafka、pgbench、eventsourcing）"
    )
    for service, port in first_instance_ports().items():
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
        "--cases-database",
        default=os.environ.get("CASES_DATABASE", "cases"),
        help="the live cases' database, where the loop's openings are read (the case step's split)",
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
    parser.add_argument("--open-rate", type=float, help="reports/s vegeta offers in the sustained open loop (500)")
    parser.add_argument("--open-seconds", type=float, help="how long it offers them (60)")
    parser.add_argument("--loop-clients", type=int, help="clients of the closed loop, each back to back (8; smoke 2)")
    parser.add_argument(
        "--loop-seconds",
        type=float,
        help=f"how long the closed loop runs (20; at most {MAX_LOOP_SECONDS:g}: its clients' tokens live 5 minutes)",
    )
    parser.add_argument("--loop-warmup-seconds", type=float, help="how long it runs first, not measured (5; smoke 0)")
    parser.add_argument("--read-requests", type=int, help="requests of each dashboard query for its p99 (100; smoke 5)")
    parser.add_argument(
        "--history-sizes",
        type=_sizes,
        default=(),
        help="e.g. 20000: grow the history to each size (bench.history.ensure) and measure the reads there "
        "(default 20000 cases, the replay's history; none with --smoke)",
    )
    steps_named = sorted({name for name, _ in plan(BenchConfig(urls={}))})
    parser.add_argument("--skip", action="append", default=[], choices=steps_named)
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        choices=steps_named,
        help="run only these steps, e.g. --only reads: the dashboard's reads on the stack as it is now",
    )
    args = parser.parse_args(argv)
    sizes = SMOKE if args.smoke else FULL
    overrides = {
        "open_rate": args.open_rate,
        "open_seconds": args.open_seconds,
        "loop_clients": args.loop_clients,
        "loop_seconds": args.loop_seconds,
        "loop_warmup_seconds": args.loop_warmup_seconds,
        "read_requests": args.read_requests,
    }
    sizes = dataclasses.replace(sizes, **{k: v for k, v in overrides.items() if v is not None})
    if sizes.loop_seconds + sizes.loop_warmup_seconds > MAX_LOOP_SECONDS:
        parser.error(f"--loop-seconds with the warm-up: at most {MAX_LOOP_SECONDS:g} (the tokens live 5 minutes)")
    return BenchConfig(
        urls={s: getattr(args, f"{s}_url") for s in SERVICES},
        database_url=args.database_url,
        kafka_bootstrap_servers=args.kafka_bootstrap_servers,
        topic_prefix=args.topic_prefix,
        projections_database=args.projections_database,
        cases_database=args.cases_database,
        run=args.run or f"bench{uuid.uuid4().hex[:8]}",
        pids_dir=args.pids_dir,
        out=args.out,
        sizes=sizes,
        smoke=args.smoke,
        skip=frozenset(args.skip) | (frozenset(steps_named) - set(args.only) if args.only else frozenset()),
        history_sizes=args.history_sizes or (() if args.smoke else (20_000,)),
    )


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: comma-separated numbers of cases, e.g. 2000,20000") from None
    if not sizes or min(sizes) <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: at least one positive number of cases")
    return sizes


def main(argv: list[str] | None = None) -> None:
    use_stack_keys()  # the broker's admin sign-in: the environment, else .run/secrets.env
    config = parse(argv)
    configure_logging("WARNING", json=False)  # the table is the output; the platform's info logs are noise here
    report = asyncio.run(run(config))
    specs = [*SPECS, *(spec for size in config.history_sizes for spec in reads.specs(str(size)))]
    report.write(config.out, specs)
    print(report.table(specs))
    print(f"\nJSON: {config.out}")
    sys.exit(1 if report.errors else 0)
