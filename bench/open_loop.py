"""The whole pipeline sustained: vegeta offers reports at a fixed rate (open loop) with every service running.

Figures: accepted reports/s beside the rate offered, the 202's p50/p99 as vegeta measured them, and each
report's time from its 202 to its count in the projections (the polling method of the end-to-end figure,
`Counted`, on wall time: vegeta records when it sent each request). Every watched process's CPU over the
offered load names the one that reaches its ceiling first.
"""

import os
import time
from collections import Counter

from bench import generators
from bench.config import BenchConfig
from bench.http_figures import Counted
from bench.pg_counts import PgCounts
from bench.procs import CpuWindow, stack_processes
from bench.reads import read_models_caught_up
from bench.report import Report
from bench.stats import ms, percentile, percentile_by_window

WINDOW_SECONDS = 10.0  # the 202's p99 of each such span of the load, in the JSON: where in the run its tail is

NO_VEGETA = f"vegeta 未构建：{generators.VEGETA_INSTALL}"
KEYS = ["open.accepted_per_s", "open.p50_ms", "open.p99_ms", "open.e2e_p50_ms", "open.e2e_p99_ms"]


async def sustained(config: BenchConfig, report: Report, batch: str) -> None:
    offered, seconds = config.sizes.open_rate, config.sizes.open_seconds
    if generators.vegeta_binary() is None:
        report.skip(KEYS, NO_VEGETA)
        return
    processes = stack_processes(config)
    token = await config.tokens.operator.atoken()
    settle = 30.0 if config.smoke else 120.0
    # Counted polls every report's count (a few rows of changes kept on write) rather than the batch's (a scan of the
    # batch's cases, 25,000 by the end: more PostgreSQL per poll than the load's own work); it starts once the count
    # stands still (the earlier steps' reports all counted), and the batch's own count is checked once at the end.
    await read_models_caught_up(config, timeout=settle)
    database = await PgCounts(config).start()
    # Polled every 50 ms, not the 20 of the 10/s figure: each poll is a request the projections and PostgreSQL answer
    # on the two cores the load shares (bench/README.md, eleventh session); the figure errs late, never early.
    async with Counted(config, batch, clock=time.time, every_report=True, interval=0.05) as counted:
        window = CpuWindow(processes).start()
        # the bench's own process and its children: vegeta (reaped when it exits) and the polling of `Counted`
        itself = CpuWindow({"bench": os.getpid()}).start()
        hits = await generators.vegeta(
            f"{config.url('intake')}/v1/reports", token=token, batch=batch, rate=offered, seconds=seconds
        )
        spent, bench_spent = window.stop(), itself.stop()
        accepted_at = sorted(h.done_at for h in hits if h.code == 202)
        postgresql = await database.stop(len(accepted_at))
        await counted.until(len(accepted_at), settle)
    # more than the 202s when vegeta gave up (30 s) on a request intake was already writing; fewer is a loss
    if (own := await counted.batch_count()) < len(accepted_at):
        report.errors.append(f"open loop: the batch counts {own} reports, {len(accepted_at)} were accepted")
    if not accepted_at:
        codes = sorted({h.code for h in hits})
        raise RuntimeError(f"vegeta got no 202 from intake (status codes {codes})")
    delays, missing = counted.delays(accepted_at)
    latencies = [h.latency for h in hits if h.code == 202]
    span = max(h.done_at for h in hits) - min(h.sent_at for h in hits)
    refused = Counter(h.code for h in hits if h.code != 202)
    by_status = f" (by status, 0 = no answer within 30 s: {dict(refused.most_common())})" if refused else ""
    cores = ", ".join(
        f"{name} {spent.cores(name):.2f}" for name in sorted(spent.seconds, key=lambda n: -spent.cores(n))
    )
    note = (
        f"vegeta offered {offered:g}/s for {seconds:g}s: {len(hits)} sent, {len(accepted_at)} accepted, "
        f"{refused.total()} not{by_status}; "
        f"{spent.saturation()}; cores busy: {cores}; the bench itself (vegeta, the polling) "
        f"{bench_spent.cores('bench'):.2f}"
    )
    report.measure("open.accepted_per_s", len(accepted_at) / span if span > 0 else None, note)
    report.baseline("open.offered_per_s", "vegeta 提供的负载 /s", offered)
    report.measure("open.p50_ms", ms(percentile(latencies, 50)))
    report.measure("open.p99_ms", ms(percentile(latencies, 99)))
    e2e_note = (
        "the k-th 202 matched with the moment the count of every report, less the count before the load, reached k "
        f"(polled every 50 ms; the batch's own count checked at the end: {own})"
    )
    if own > len(accepted_at):
        e2e_note += (
            f"; {own - len(accepted_at)} reports written whose 202 vegeta did not wait for (30 s): matched by rank, "
            "the 202s then meet counts up to that many reports early (under overload the figure reads low)"
        )
    if missing:
        e2e_note += f"; {missing} reports not counted within {settle:g}s"
        report.errors.append(f"open loop: {missing} accepted reports not counted within {settle:g}s")
    report.measure("open.e2e_p50_ms", ms(percentile(delays, 50)), e2e_note)
    report.measure("open.e2e_p99_ms", ms(percentile(delays, 99)))
    per_report = 1000 / max(len(accepted_at), 1)
    report.raw["open_loop"] = {
        **spent.as_json(),
        "bench_cores": round(bench_spent.cores("bench"), 3),
        "not_accepted_by_status": dict(refused),
        "cpu_ms_per_report": {k: round(v * per_report, 3) for k, v in spent.seconds.items()},
        f"p99_ms_by_{WINDOW_SECONDS:g}s_sent": [
            ms(p99)
            for p99 in percentile_by_window([(h.sent_at, h.latency) for h in hits if h.code == 202], 99, WINDOW_SECONDS)
        ],
        "postgresql": postgresql,
    }
