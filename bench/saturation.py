"""Intake at saturation under wrk: the CPU a report costs across every process, and intake alone beside bare FastAPI.

- `cpu_per_report`: wrk posts reports to intake with the whole stack running; every watched process's CPU time
  (bench/procs.py) is counted from the first request until the projections have counted every accepted report,
  so the downstream work a report causes is in the figure even when it lags behind intake; divided by the reports.
- `intake_alone`: the downstream services (cases, enforcement, accountability, projections) are paused with SIGSTOP
  (a stopped process keeps its sockets and state, so SIGCONT resumes it where it was; the stack's scripts have no
  per-service stop), intake takes wrk at saturation, then `bench/bare.py` takes the same wrk in the same minute;
  then the services continue and the bench waits until the projections count every report intake accepted.
"""

import contextlib
import os
import signal
import time
from collections.abc import Iterator

from bench import generators
from bench.config import BenchConfig
from bench.http_figures import Counted
from bench.pg_counts import PgCounts
from bench.procs import DOWNSTREAM, WATCHED, CpuWindow, Pids, stack_processes
from bench.report import Report

CPU_KEYS = ["cpu.total_ms_per_report", *(f"cpu.{name}.ms_per_report" for name in WATCHED)]
ALONE_KEYS = [
    "intake.alone.accepted_per_s",
    "intake.alone.p50_ms",
    "intake.alone.p99_ms",
    "intake.alone.cpu_ms_per_report",
    "intake.alone.catch_up_s",
]
NO_WRK = "wrk 未安装（apt-get install wrk）"


def _catch_up_seconds(config: BenchConfig) -> float:
    return 30.0 if config.smoke else 300.0


@contextlib.contextmanager
def paused(processes: dict[str, Pids]) -> Iterator[None]:
    """SIGSTOP the processes (every instance), and SIGCONT them however the block ends."""
    stopped = []
    try:
        for pid in (pid for pids in processes.values() for pid in pids):
            os.kill(pid, signal.SIGSTOP)
            stopped.append(pid)
        yield
    finally:
        for pid in stopped:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


async def cpu_per_report(config: BenchConfig, report: Report, batch: str) -> None:
    if generators.wrk_binary() is None:
        report.skip(CPU_KEYS, NO_WRK)
        return
    sizes = config.sizes
    processes = stack_processes(config)
    missing = [name for name in WATCHED if name not in processes]
    if missing:
        report.errors.append(f"cpu: no process found for {', '.join(missing)} (pid file or listening port)")
    token = await config.tokens.operator.atoken()
    database = await PgCounts(config).start()
    window = CpuWindow(processes).start()
    run = await generators.wrk(
        f"{config.url('intake')}/v1/reports",
        token=token,
        batch=batch,
        seconds=sizes.saturation_seconds,
        connections=sizes.saturation_clients,
    )
    # Watched only once wrk is done, every 100 ms: polled every 20 ms during the load, the closure rates' query was a
    # large part of what PostgreSQL and the projections spent (the bench's own probe, not the reports' cost).
    async with Counted(config, batch, interval=0.1) as counted:
        caught_up = await counted.until(run.accepted, _catch_up_seconds(config))
    spent = window.stop()
    postgresql = await database.stop(run.accepted)
    report.raw["cpu"] = {
        **spent.as_json(),
        "wrk": run.summary,
        "accepted": run.accepted,
        "accepted_per_s": round(run.accepted_per_s, 1),
        "postgresql": postgresql,
    }
    if not run.accepted:
        report.errors.append(f"cpu: wrk got no 202 ({run.summary})")
        return
    note = (
        f"wrk {sizes.saturation_clients} connections for {sizes.saturation_seconds:g}s at saturation: {run.accepted} "
        f"accepted ({run.accepted_per_s:.0f}/s), {run.others} not; CPU counted over {spent.wall:.1f}s, until the "
        f"projections counted them{'' if caught_up else ' (they did not all: the window ended at the timeout)'}; "
        f"shares: {spent.shares()}; {spent.saturation()}; Keycloak, the bench and wrk not counted"
    )
    report.measure("cpu.total_ms_per_report", 1000 * spent.total / run.accepted, note)
    for name, seconds in spent.seconds.items():
        report.measure(f"cpu.{name}.ms_per_report", 1000 * seconds / run.accepted)
    if not caught_up:
        report.errors.append(f"cpu: the projections did not count all {run.accepted} reports of {batch}")


async def intake_alone(config: BenchConfig, report: Report, batch: str) -> None:
    if generators.wrk_binary() is None:
        report.skip([*ALONE_KEYS, "bare.accepted_per_s"], NO_WRK)
        return
    sizes = config.sizes
    processes = stack_processes(config)
    downstream = {name: pid for name, pid in processes.items() if name in DOWNSTREAM}
    if "intake" not in processes or len(downstream) < len(DOWNSTREAM):
        raise RuntimeError(f"intake alone needs every service's process; found {sorted(processes)}")
    token = await config.tokens.operator.atoken()
    seconds, connections = sizes.saturation_seconds, sizes.saturation_clients
    with paused(downstream):
        front = {name: pids for name, pids in processes.items() if name in ("intake", "balancer")}
        window = CpuWindow(front).start()
        ours = await generators.wrk(
            f"{config.url('intake')}/v1/reports", token=token, batch=batch, seconds=seconds, connections=connections
        )
        ours_cpu = window.stop()
        async with generators.bare_server() as (url, pid):
            window = CpuWindow({"bare": pid}).start()
            bare = await generators.wrk(url, token=token, batch=batch, seconds=seconds, connections=connections)
            bare_cpu = window.stop()
    resumed = time.monotonic()
    async with Counted(config, batch) as counted:
        caught_up = await counted.until(ours.accepted, _catch_up_seconds(config))
    catch_up = time.monotonic() - resumed
    report.raw["intake_alone"] = {"intake": ours.summary, "bare": bare.summary, "paused": sorted(downstream)}
    instances = len(processes["intake"])
    note = (
        f"cases, enforcement, accountability, projections paused (SIGSTOP); wrk {connections} connections "
        f"for {seconds:g}s; {ours.accepted} accepted, {ours.others} not"
        f"{f'; {instances} intake instances' if instances > 1 else ''}"
    )
    if "balancer" in ours_cpu.seconds:
        balancer_ms = 1000 * ours_cpu.seconds["balancer"] / max(ours.accepted, 1)
        note += f"; through the balancer, its CPU {balancer_ms:.3f} ms per report (not in intake's figure)"
    report.raw["intake_alone_cpu"] = ours_cpu.as_json()
    report.measure("intake.alone.accepted_per_s", ours.accepted_per_s, note)
    report.measure("intake.alone.p50_ms", ours.p50_ms)
    report.measure("intake.alone.p99_ms", ours.p99_ms)
    report.measure("intake.alone.cpu_ms_per_report", 1000 * ours_cpu.seconds["intake"] / max(ours.accepted, 1))
    counted_note = (
        f"after SIGCONT the projections counted all {ours.accepted}"
        if caught_up
        else f"the projections counted {len(counted.seen)} of {ours.accepted} within {_catch_up_seconds(config):g}s"
    )
    report.measure("intake.alone.catch_up_s", catch_up, counted_note)
    requests = bare.accepted + bare.others
    report.baseline(
        "bare.accepted_per_s",
        "bench/bare.py 同一 wrk req/s",
        bare.accepted_per_s,
        "FastAPI validating the same body (ReportIn), one uvicorn worker, no middleware, token or database",
    )
    report.baseline("bare.p50_ms", "bench/bare.py p50", bare.p50_ms)
    report.baseline("bare.p99_ms", "bench/bare.py p99", bare.p99_ms)
    report.baseline("bare.cpu_ms_per_request", "bench/bare.py 每请求 CPU", 1000 * bare_cpu.seconds["bare"] / requests)
    if not caught_up:
        report.errors.append(f"intake alone: {counted_note}")
