"""`python -m drill`: faults one at a time under a steady load, each followed by the checks."""

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from aiokafka.errors import KafkaError

from bench.replay import ReplayFailed
from bench.tokens import SignInFailed, Tokens, signed_in_now
from drill import checks, observe
from drill.faults import CLUSTER_FAULTS, Fault, Recovery, all_faults
from drill.instances import carried, parse_scale, plan_ports
from drill.load import SteadyLoad, longest_gap
from drill.stack import ROOT, SERVICES, Stack, StackConfig, StackError
from shared.logging import configure_logging
from shared.settings import dsn_for
from shared.stack_keys import use_stack_keys
from shared.topics import EVENT_TOPICS


@dataclass(frozen=True)
class Plan:
    rate: float  # reports offered per second
    warmup: float  # seconds of load before each fault
    after: float  # seconds of load after recovery, before the checks
    kafka_outage: float
    settle: float  # how long the checks wait for the system to catch up before they report
    rebuild_after_each: bool
    faults: tuple[str, ...]
    # `settle` after a fault of the brokers: the relays' catch-up after one took 100-180 s on the loaded 2-core machine
    broker_settle: float = 240
    # how long a killed instance stays dead when its service has others (drill/faults.py, kill_and_restart): its
    # group's coordinator notices after the session's 10 s, the others rejoin on their next heartbeat (3 s), and
    # commit what they took over within a second
    instance_down: float = 20


FULL = Plan(
    rate=10,
    warmup=8,
    after=3,
    kafka_outage=20,
    settle=90,
    rebuild_after_each=True,
    faults=(*(f"kill:{s}" for s in SERVICES), "kafka", "postgres", "tamper"),
)
# The version `make test` runs: two kills, a short broker outage and a database restart; the
# comparison with a fresh rebuild only at the end.
SHORT = Plan(
    rate=4,
    warmup=2,
    after=0.5,
    kafka_outage=5,
    settle=90,  # an upper bound, waited out only when something is still missing: 45 s was short beside other tests
    rebuild_after_each=False,
    faults=("kill:intake", "kill:cases", "kafka", "postgres"),
)


@dataclass
class Stage:
    name: str
    label: str
    ready_after_s: float | None = None
    ready_by_instance: dict[str, float] = field(default_factory=dict)  # seconds until each instance was ready
    killed: str | None = None  # the instance a kill -9 hit
    # while it was dead (its service has others): how long, what the others answered, published and applied, and
    # its consumer groups' partitions with new records that the others committed (drill/instances.py)
    carried: dict[str, Any] | None = None
    longest_gap_s: float | None = None
    check_s: float = 0.0
    findings: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    rebuild: dict[str, Any] | None = None
    deadline_delay: dict[str, Any] | None = None
    # From the fault until its checks: the longest time without an event published (by any relay) and without one
    # applied (by any consumer), how soon after the brokers were started again one was published, the most reports
    # waiting in intake's outbox.
    stalls: dict[str, float | int | None] | None = None
    notes: list[str] = field(
        default_factory=list
    )  # what the fault itself reports (the tamper fault: what verify named)

    @property
    def passed(self) -> bool:
        return not self.findings


class Drill:
    def __init__(self, stack: Stack, plan: Plan, tokens: Tokens) -> None:
        self.stack = stack
        self.plan = plan
        self.batch = f"演练-{stack.config.run}"
        # the development users of the Keycloak at OIDC_ISSUER (default make up's), which the drill's services trust
        self.tokens = tokens
        self.load = SteadyLoad({s: stack.config.urls(s) for s in SERVICES}, self.batch, plan.rate, self.tokens)
        self.stages: list[Stage] = []
        self.rebuild_groups = stack.done_groups

    async def observe_and_check(self, client: httpx.AsyncClient) -> tuple[list[checks.Finding], checks.Tally]:
        config, ledger = self.stack.config, self.load.ledger
        tally = checks.Tally()
        try:
            names = ["intake.events", "cases.events", "accountability.events"]
            dlqs = [config.topic(f"{t}.dlq") for t in EVENT_TOPICS]
            topics = await observe.read_topics(config.broker, [config.topic(n) for n in names] + dlqs)
            intake, cases, accountability = (topics[config.topic(n)] for n in names)
            dead = [r for t in dlqs for r in topics[t]]
            listed, total, positions = await observe.projections_listing(
                client, config.url("projections"), self.batch, self.tokens.reader
            )
            histories = await observe.histories(
                client, config.url("cases"), sorted(set(ledger.accepted.values())), self.tokens.reader
            )
            lags = await observe.group_lags(config.broker, config.topic_prefix, self.rebuild_groups)
        except (httpx.HTTPError, TimeoutError, OSError, KafkaError) as exc:
            return [checks.Finding("observe", "lag", f"could not read the stack yet: {exc!r}")], tally
        findings = [
            *checks.caught_up(positions),
            *checks.consumers_caught_up(lags, tally),
            *checks.dead_letters(dead, tally),
            *checks.reports_in_projections(ledger.accepted, listed, total, tally),
            *checks.reports_on_topic(ledger.accepted, intake, tally),
            *checks.case_streams(histories, cases, tally),
            *checks.deadlines(ledger.late, ledger.on_time, histories, cases, accountability, tally),
        ]
        return findings, tally

    async def verify(self, stage: Stage, *, rebuild: bool) -> None:
        """Waits (up to `settle`) until the checks pass; what still fails then is reported."""
        started = time.monotonic()
        settle = self.plan.broker_settle if stage.name in ("kafka", *CLUSTER_FAULTS) else self.plan.settle
        left = await self.load.drain(timeout=settle)
        # the checks get their own `settle` after the drain: on a loaded machine the drain alone took most of it, and a
        # case assigned late in it (a retried assignment's deadline is up to a minute ahead) was checked before its
        # deadline had passed
        checking = time.monotonic()
        async with httpx.AsyncClient(timeout=30) as client:
            while True:
                findings, tally = await self.observe_and_check(client)
                if not findings or time.monotonic() - checking > settle:
                    break
                await asyncio.sleep(0.5)
            not_ready = [i.name for i in self.stack.config.instances() if not await self.stack.ready(i, client)]
        if left:
            findings.append(checks.Finding("load", "lag", f"{left} client workflows still running after {settle:.0f}s"))
        if not_ready:
            findings.append(checks.Finding("readiness", "not_ready", f"not ready: {', '.join(not_ready)}"))
        ledger = self.load.ledger
        for kind, items in (("unanswered", ledger.gave_up), ("refused", ledger.refused)):
            if items:
                findings.append(checks.Finding("load", kind, f"{len(items)} requests, e.g. {items[:2]}"))
        ledger.gave_up.clear()
        ledger.refused.clear()
        if rebuild:
            stage.deadline_delay = await self.deadline_delay()
        if rebuild and not findings:
            try:
                comparison = await observe.compare_with_rebuild(self.stack.config, stage.name.replace(":", "_"))
            except ReplayFailed as exc:
                findings.append(checks.Finding("read models", "mismatch", f"the fresh rebuild failed: {exc}"))
            else:
                findings += comparison.findings
                self.rebuild_groups |= comparison.groups
                stage.rebuild = {"replayed_events": comparison.replayed_events, "seconds": round(comparison.seconds, 1)}
        stage.findings = [str(f) for f in findings]
        stage.counts = {**tally.counts, "client_retries": ledger.retries}
        stage.check_s = round(time.monotonic() - started, 1)

    async def deadline_delay(self) -> dict[str, Any] | None:
        """From the cases instances' /metrics (each since it last started): how long after a deadline its miss was
        written."""
        name = "deadline_poller_delay_seconds"
        delay: dict[str, float] = {}
        try:
            async with httpx.AsyncClient(timeout=10) as client:
                config = self.stack.config
                for url in config.urls("cases"):
                    got = await observe.metric_samples(client, url, name, token=config.metrics_token)
                    delay = {k: delay.get(k, 0.0) + got.get(k, 0.0) for k in {*delay, *got}}
        except httpx.HTTPError:
            return None
        count = delay.get(f"{name}_count", 0.0)
        return {"observed": int(count), "mean_s": round(delay.get(f"{name}_sum", 0.0) / count, 2) if count else None}

    async def run_fault(self, fault: Fault) -> Stage:
        stage = Stage(fault.name, fault.label)
        await asyncio.sleep(self.plan.warmup)
        config = self.stack.config
        progress = observe.Progress()
        watch = asyncio.create_task(
            observe.watch_progress(
                config.urls(),
                config.metrics_token,
                dsn_for(config.database_url, config.database("intake")),
                progress,
            )
        )
        self.stack.brokers_started_at = self.stack.brokers_up_at = None
        began = time.monotonic()
        try:
            recovery = await fault.inject(self.stack)
        except StackError as exc:
            stage.findings.append(str(checks.Finding("readiness", "not_ready", str(exc))))
            return stage
        finally:
            await asyncio.sleep(self.plan.after)
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch
        self.load.pause()
        ended = time.monotonic()
        self.recovered(stage, recovery, progress)
        stage.longest_gap_s = round(self.load.ledger.longest_gap(began, ended), 1)
        stage.stalls = stalls(progress, began, ended, self.stack.brokers_started_at, self.stack.brokers_up_at)
        await self.verify(stage, rebuild=self.plan.rebuild_after_each)
        stage.findings += [str(f) for f in fault.findings]
        stage.notes += fault.notes
        self.load.resume()
        return stage

    def recovered(self, stage: Stage, recovery: Recovery, progress: observe.Progress) -> None:
        """The readiness figures, and for an instance killed beside others, what they did while it was dead."""
        stage.ready_by_instance = dict(sorted(recovery.ready.items()))
        stage.ready_after_s = max(recovery.ready.values())
        stage.killed = recovery.killed
        if recovery.killed and recovery.killed_at is not None and recovery.back_at is not None:
            service = recovery.killed.rsplit("-", 1)[0]
            others = [i.url for i in self.stack.config.instances(service) if i.name != recovery.killed]
            if others:
                answered, samples = self.load.ledger.answered, progress.samples
                stage.carried = carried(others, answered, samples, recovery.killed_at, recovery.back_at)
                stage.carried.update(recovery.taken_over)

    async def run(self, faults: list[Fault]) -> None:
        await self.load.start()
        try:
            for fault in faults:
                print(f"drill: {fault.label} …", file=sys.stderr, flush=True)
                stage = await self.run_fault(fault)
                self.stages.append(stage)
                print(render_stage(stage), flush=True)
                if stage.ready_after_s is None:
                    break  # the stack did not come back: the later faults would say nothing
            await asyncio.sleep(self.plan.warmup)
            self.load.pause()
            final = Stage("final", "结束时")
            await self.verify(final, rebuild=True)
            self.stages.append(final)
            print(render_stage(final), flush=True)
        finally:
            await self.load.close()


def stalls(
    progress: observe.Progress, began: float, ended: float, restarted: float | None = None, up: float | None = None
) -> dict[str, Any]:
    """The stall figures of a stage; `restarted` and `up`: when its brokers were started again, and were all up."""
    resumed = next((t for t in progress.published_at if restarted is not None and t >= restarted), None)
    return {
        "published_s": round(longest_gap(progress.published_at, began, ended), 1),
        "consumed_s": round(longest_gap(progress.consumed_at, began, ended), 1),
        "published_after_restart_s": None if resumed is None or restarted is None else round(resumed - restarted, 1),
        "brokers_start_s": None if restarted is None or up is None else round(up - restarted, 1),
        "most_in_outbox": progress.most_in_outbox,
    }


def render_stage(stage: Stage) -> str:
    ready = "—" if stage.ready_after_s is None else f"{stage.ready_after_s:.1f}s"
    gap = "—" if stage.longest_gap_s is None else f"{stage.longest_gap_s:.1f}s"
    c = stage.counts
    lines = [
        f"[{'通过' if stage.passed else '失败'}] {stage.label}：服务全部就绪用时 {ready}，受理最长中断 {gap}；"
        f"已受理 {c.get('reports_accepted', 0)} 件，统计中 {c.get('issues_in_projections', 0)} 件；"
        f"案件事件 {c.get('case_events_in_store', 0)} 个（主题上 {c.get('case_events_on_topic', 0)} 个，"
        f"重投副本 {sum(v for k, v in c.items() if k.endswith('_redelivered_copies'))} 个）；"
        f"超期 {c.get('deadlines_missed', 0)} 次，问责 {c.get('escalations', 0)} 次；检查用时 {stage.check_s:.1f}s"
    ]
    if stage.stalls:
        s = stage.stalls
        after = s["published_after_restart_s"]
        lines.append(
            f"    发布最长停顿 {s['published_s']}s，消费最长停顿 {s['consumed_s']}s"
            + (
                ""
                if after is None
                else f"，Kafka 启动命令发出后 {after}s 恢复发布（节点启动用时 {s['brokers_start_s']}s）"
            )
            + f"；intake 发件箱最多积压 {s['most_in_outbox']} 条"
        )
    if stage.carried:
        k = stage.carried
        lines.append(
            f"    kill -9 {stage.killed}：其余实例独自承担 {k['down_s']}s，"
            f"期间应答请求 {k['answered_by_the_others']} 个、"
            f"发布事件 {k['published_by_the_others']} 个、消费事件 {k['consumed_by_the_others']} 个；"
            + (
                f"有新记录的分区 {k['partitions_with_new_records']} 个，"
                f"其中 {k['committed_by_the_others']} 个由其余实例提交"
                if "partitions_with_new_records" in k
                else "Kafka 未及时答复消费组位点，分区接管未测得"
            )
        )
    if len(stage.ready_by_instance) > len(SERVICES):
        each = "，".join(f"{name} {seconds:.1f}s" for name, seconds in stage.ready_by_instance.items())
        lines.append(f"    各实例就绪用时：{each}")
    if stage.rebuild:
        replayed, seconds = stage.rebuild["replayed_events"], stage.rebuild["seconds"]
        lines.append(f"    读模型与从主题重建的结果一致（重放 {replayed} 个事件，{seconds}s）")
    if stage.deadline_delay and stage.deadline_delay["observed"]:
        lines.append(
            f"    超期判定：cases 本次启动后记录 {stage.deadline_delay['observed']} 次 DeadlineMissed，"
            f"平均在时限过后 {stage.deadline_delay['mean_s']}s 写入（deadline_poller_delay_seconds）"
        )
    lines += [f"    {note}" for note in stage.notes]
    lines += [f"    {f}" for f in stage.findings]
    return "\n".join(lines)


def summary(stages: list[Stage]) -> str:
    failed = [s for s in stages if not s.passed]
    if not failed:
        return f"演练通过：{len(stages)} 个阶段的检查均无丢失、无重复。"
    kinds = sorted({f.split("] ", 1)[1].split(":", 1)[0] for s in failed for f in s.findings})
    return f"演练失败：{len(failed)} 个阶段发现问题（{', '.join(kinds)}）：{', '.join(s.label for s in failed)}"


def parse(argv: list[str] | None) -> tuple[StackConfig, Plan, argparse.Namespace]:
    parser = argparse.ArgumentParser(prog="python -m drill", description="故障演练：逐个制造故障，检查无丢失、无重复")
    parser.add_argument("--short", action="store_true", help="the short version make test runs (about two minutes)")
    parser.add_argument("--kafka-port", type=int, default=19092)
    parser.add_argument("--kafka-controller-port", type=int, default=19093, help="one node only")
    parser.add_argument(
        "--kafka-nodes",
        type=int,
        choices=(1, 3),
        default=int(os.environ.get("KAFKA_NODES") or 1),
        help=f"3: a cluster (KAFKA_NODES), with the faults {', '.join(CLUSTER_FAULTS)}",
    )
    parser.add_argument("--pg-port", type=int, default=55433)
    parser.add_argument(
        "--base-port",
        type=int,
        default=18001,
        help="intake on this port, the other four services on the next ones; a service's instances (--scale) on "
        "base + 10 × its number + i, as infra/ports.sh places make up's (intake's 2: base + 11, base + 12)",
    )
    parser.add_argument(
        "--scale",
        default=os.environ.get("SCALE", ""),
        help='instances per service, as make up takes them (SCALE): "intake=2 cases=2" (1-9; one for a service not '
        "named); a kill -9 then kills the first of them and leaves it dead for a while",
    )
    parser.add_argument("--rate", type=float, help="reports offered per second")
    parser.add_argument("--kafka-outage", type=float, help="seconds the broker stays stopped")
    parser.add_argument("--faults", help=f"comma-separated, from: {', '.join((*FULL.faults, *CLUSTER_FAULTS))}")
    parser.add_argument("--run", help="topic and database prefix of this drill (default: random)")
    parser.add_argument("--keep-infra", action="store_true", help="leave the drill's Kafka and PostgreSQL running")
    parser.add_argument("--keep-data", action="store_true", help="keep the drill's databases and topics")
    parser.add_argument("--out", type=Path, default=ROOT / ".run" / "drill" / "latest.json")
    args = parser.parse_args(argv)
    plan = SHORT if args.short else FULL
    overrides: dict[str, Any] = {}
    if args.kafka_nodes == 3:
        # on a cluster, its own faults before the whole broker's outage
        at = plan.faults.index("kafka")
        overrides["faults"] = (*plan.faults[:at], *CLUSTER_FAULTS, *plan.faults[at:])
    if args.rate:
        overrides["rate"] = args.rate
    if args.kafka_outage is not None:
        overrides["kafka_outage"] = args.kafka_outage
    if args.faults:
        wanted = tuple(f.strip() for f in args.faults.split(",") if f.strip())
        unknown = [f for f in wanted if f not in (*FULL.faults, *CLUSTER_FAULTS)]
        if unknown:
            parser.error(f"unknown faults: {unknown}")
        if args.kafka_nodes != 3 and set(wanted) & set(CLUSTER_FAULTS):
            parser.error(f"{', '.join(CLUSTER_FAULTS)} need a cluster: --kafka-nodes 3 (or KAFKA_NODES=3)")
        overrides["faults"] = wanted
    plan = Plan(**{**asdict(plan), **overrides})
    try:
        instances = parse_scale(args.scale, SERVICES)
    except ValueError as exc:
        parser.error(f"--scale (SCALE): {exc}")
    config = StackConfig(
        run=args.run or f"drill{uuid.uuid4().hex[:8]}",
        kafka_port=args.kafka_port,
        kafka_controller_port=args.kafka_controller_port,
        kafka_nodes=args.kafka_nodes,
        pg_port=args.pg_port,
        ports=plan_ports(args.base_port, instances),
    )
    return config, plan, args


async def run(config: StackConfig, plan: Plan, args: argparse.Namespace, tokens: Tokens) -> list[Stage]:
    by_name = {f.name: f for f in all_faults(plan.kafka_outage, plan.instance_down)}
    stack = Stack(config)
    started = time.monotonic()
    print(
        f"drill: starting Kafka on {config.bootstrap}, PostgreSQL on {config.pg_port}, "
        "services on " + ", ".join(f"{s} {'/'.join(map(str, config.ports[s]))}" for s in SERVICES) + "…",
        file=sys.stderr,
        flush=True,
    )
    drill = Drill(stack, plan, tokens)
    try:
        await stack.start()
        print(
            f"drill: stack ready in {time.monotonic() - started:.1f}s; {plan.rate:g} reports/s",
            file=sys.stderr,
            flush=True,
        )
        await drill.run([by_name[name] for name in plan.faults])
    except StackError as exc:
        drill.stages.append(Stage("start", "启动", findings=[str(checks.Finding("readiness", "not_ready", str(exc)))]))
    finally:
        await stack.stop(keep_data=args.keep_data, keep_infra=args.keep_infra)
    return drill.stages


def main(argv: list[str] | None = None) -> None:
    config, plan, args = parse(argv)
    # The drill's services use this install's keys (the environment's, else .run/secrets.env, generated there the
    # first time as `make up` does): never a key written in the repository. They trust the Keycloak at OIDC_ISSUER
    # (default make up's, 8180; the drill starts none of its own and never stops it), where its tools sign in.
    use_stack_keys(create=True)
    configure_logging("WARNING", json=False)  # the table is the output; the platform's info logs are noise here
    try:
        signed = signed_in_now()
    except SignInFailed as exc:
        sys.exit(f"drill: {exc}")
    started = time.monotonic()
    stages = asyncio.run(run(config, plan, args, signed))
    verdict = summary(stages)
    print(verdict)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "run": config.run,
                "plan": asdict(plan),
                "seconds": round(time.monotonic() - started, 1),
                "passed": all(s.passed for s in stages),
                "verdict": verdict,
                "stages": [asdict(s) for s in stages],
            },
            ensure_ascii=False,
            indent=2,
        ),
        encoding="utf-8",
    )
    print(f"JSON: {args.out}")
    sys.exit(0 if stages and all(s.passed for s in stages) else 1)
