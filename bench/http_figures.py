"""The figures measured through the public HTTP APIs of the running stack.

- intake: accepted reports (202) per second at a fixed offered load and at saturation, p50/p99;
- end to end: from a report's 202 to its count in the projections' closure rates, p50/p99;
- the closed loop: report → case opened → assign (交办) → request closure (申请销号) → verify (销号).
"""

import asyncio
import base64
import os
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import asyncpg
import httpx

from bench import generators, samples
from bench.config import BenchConfig
from bench.load import Outcome, closed_loop, open_loop
from bench.procs import WATCHED, CpuWindow, stack_processes
from bench.report import Report
from bench.stats import ms, percentile, rate
from bench.tokens import Tokens
from shared.settings import dsn_for

TIMEOUT = httpx.Timeout(30.0)
# How long one read of a case not yet opened waits for its opening before cases answers 404.
CASE_WAIT_SECONDS = 5
# The closed loop's steps, each timed on its own (raw JSON `loop_steps`: p50/p99 in ms).
LOOP_STEPS = ("report", "case", "assign", "evidence", "request_closure", "verify")
# The case step cut at the moment cases' consumer decided the opening (its CaseOpened's occurred_at, wall clock):
# before it the relay, the broker and the consumer's fetch; after it the consumer's transaction, the NOTIFY and the
# held read answering (raw JSON `loop_case_split`).
CASE_SPLIT = ("to_opened", "opened_to_visible")


def _client(clients: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=TIMEOUT, limits=httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    )


async def post_report(client: httpx.AsyncClient, url: str, body: dict[str, Any], auth: httpx.Auth) -> tuple[bool, Any]:
    response = await client.post(f"{url}/v1/reports", json=body, auth=auth)
    if response.status_code == 202:
        return True, (response.json()["issue_id"], time.monotonic())
    return False, f"{response.status_code} {response.text[:200]}"


def _accepted(outcomes: list[Outcome]) -> list[Outcome]:
    return [o for o in outcomes if o.ok]


def _latencies(outcomes: list[Outcome]) -> list[float]:
    return [o.latency for o in outcomes if o.ok]


async def intake_fixed(config: BenchConfig, report: Report, batch: str) -> None:
    sizes = config.sizes
    url = config.url("intake")
    async with _client(256) as client:
        outcomes, skipped = await open_loop(
            sizes.fixed_rate,
            sizes.fixed_seconds,
            lambda n: post_report(client, url, samples.report(batch, n), config.tokens.operator),
        )
    accepted = _accepted(outcomes)
    elapsed = max((o.done for o in outcomes), default=0) - min((o.due for o in outcomes), default=0)
    lat = _latencies(outcomes)
    failed = len(outcomes) - len(accepted) + skipped
    note = f"offered {sizes.fixed_rate:g}/s for {sizes.fixed_seconds:g}s; {failed} not accepted"
    report.measure("intake.fixed.accepted_per_s", rate(len(accepted), elapsed), note)
    report.measure("intake.fixed.p50_ms", ms(percentile(lat, 50)))
    report.measure("intake.fixed.p99_ms", ms(percentile(lat, 99)))


async def intake_saturation(config: BenchConfig, report: Report, batch: str) -> None:
    sizes = config.sizes
    url = config.url("intake")
    offset = 10_000_000  # external references of this figure do not meet those of the fixed load
    async with _client(sizes.saturation_clients) as client:
        outcomes, elapsed = await closed_loop(
            sizes.saturation_clients,
            sizes.saturation_seconds,
            lambda n: post_report(client, url, samples.report(batch, offset + n), config.tokens.operator),
        )
    accepted = _accepted(outcomes)
    lat = _latencies(outcomes)
    refused = len(outcomes) - len(accepted)
    note = f"{sizes.saturation_clients} clients back to back for {sizes.saturation_seconds:g}s; {refused} not accepted"
    report.measure("intake.saturation.accepted_per_s", rate(len(accepted), elapsed), note)
    report.measure("intake.saturation.p50_ms", ms(percentile(lat, 50)))
    report.measure("intake.saturation.p99_ms", ms(percentile(lat, 99)))


async def _counted(client: httpx.AsyncClient, url: str, batch: str | None, tokens: Tokens) -> int:
    """The batch's reports counted in the closure rates; `batch=None`: every report (by source, in all)."""
    params = {"group_by": "batch", "batch": batch} if batch is not None else {"group_by": "source"}
    response = await client.get(f"{url}/v1/stats/closure-rates", params=params, auth=tokens.reader)
    response.raise_for_status()
    return sum(int(row["total"]) for row in response.json()["rows"])


class Counted:
    """Watches a batch's count in the projections' closure rates, polled every `interval` (20 ms: the resolution).

    `seen[k]` is when the count first exceeded k, on `clock` (monotonic by default; wall time to match the send
    times an external generator records). The k-th accepted report is matched with `seen[k]`: matching by rank
    assumes the projections count reports about in the order they were accepted; reports travel on three
    partitions, so two close ones may swap, which moves single samples but not the distribution.

    `every_report=True` polls the figures of every report instead (by source, in all: answered from the changes kept
    on write, a few rows however many reports), less the count at the first poll: the batch's own figure scans the
    batch's cases, which at tens of thousands of them costs PostgreSQL and the projections more per poll than the
    load itself. It counts only the batch's reports when nothing else reports meanwhile (the open loop's stack), and
    the caller checks the batch's own count once at the end (`batch_count`).
    """

    def __init__(
        self,
        config: BenchConfig,
        batch: str,
        clock: Callable[[], float] = time.monotonic,
        *,
        interval: float = 0.02,
        every_report: bool = False,
    ) -> None:
        self.url, self.batch, self.tokens, self.clock = config.url("projections"), batch, config.tokens, clock
        self.interval = interval
        self.every_report = every_report
        self._before = 0  # every report's count before the load (every_report)
        self.seen: list[float] = []
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> "Counted":
        if self.every_report:  # before the load starts, however soon the watch's first poll runs
            async with _client(1) as client:
                self._before = await _counted(client, self.url, None, self.tokens)
        self._task = asyncio.create_task(self._watch())
        return self

    async def __aexit__(self, *_: object) -> None:
        self._stop.set()
        if self._task:
            await self._task

    async def _watch(self) -> None:
        async with _client(2) as client:
            probe = None if self.every_report else self.batch
            while not self._stop.is_set():
                try:
                    count = await _counted(client, self.url, probe, self.tokens) - self._before
                except httpx.HTTPError:
                    count = len(self.seen)
                now = self.clock()
                while len(self.seen) < count:
                    self.seen.append(now)
                await asyncio.sleep(self.interval)

    async def until(self, count: int, timeout: float) -> bool:
        """Waits until the batch's count reaches `count`; False if it did not within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while len(self.seen) < count:
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.05)
        return True

    async def batch_count(self) -> int:
        """The batch's own count in the closure rates, now."""
        async with _client(1) as client:
            return await _counted(client, self.url, self.batch, self.tokens)

    def delays(self, accepted_at: list[float]) -> tuple[list[float], int]:
        """Each accepted report's time to be counted (`accepted_at` sorted, on `clock`), and how many were not."""
        delays = [self.seen[k] - t for k, t in enumerate(accepted_at) if k < len(self.seen)]
        return delays, len(accepted_at) - len(delays)


async def end_to_end(config: BenchConfig, report: Report, batch: str, *, settle_seconds: float = 30.0) -> None:
    """Each 202 is matched, in order, with the moment the batch's count in the closure rates reached it (`Counted`)."""
    sizes = config.sizes
    intake = config.url("intake")
    async with _client(64) as client, Counted(config, batch) as counted:
        outcomes, _ = await open_loop(
            sizes.e2e_rate,
            sizes.e2e_seconds,
            lambda n: post_report(client, intake, samples.report(batch, n), config.tokens.operator),
        )
        accepted_at = sorted(o.value[1] for o in outcomes if o.ok)
        await counted.until(len(accepted_at), settle_seconds)
    delays, missing = counted.delays(accepted_at)
    note = f"offered {sizes.e2e_rate:g}/s for {sizes.e2e_seconds:g}s; stats polled every 20 ms"
    if missing:
        note += f"; {missing} reports not counted within {settle_seconds:g}s"
    report.measure("e2e.p50_ms", ms(percentile(delays, 50)), note)
    report.measure("e2e.p99_ms", ms(percentile(delays, 99)))


async def _until_case(client: httpx.AsyncClient, url: str, case_id: str, tokens: Tokens, timeout: float = 30.0) -> None:
    """Reads the case, which cases holds back until it is opened (`?wait=`, services/cases/openings.py)."""
    deadline = time.monotonic() + timeout
    wait = {"wait": CASE_WAIT_SECONDS}
    while (await client.get(f"{url}/v1/cases/{case_id}", params=wait, auth=tokens.reader)).status_code != 200:
        if time.monotonic() > deadline:
            raise TimeoutError(f"case {case_id} not opened within {timeout:g}s")
        await asyncio.sleep(0.02)


# What the closed loop may send at most: more reports than loops its clients can finish in the time, up to a bound
# that keeps the run loopclient reads well under its limit (256 MiB; a report is about 300 bytes).
LOOPS_PER_SECOND_CEILING = 500
MAX_LOOP_REPORTS = 200_000
NO_LOOP_CLIENT = f"loopclient 未构建：{generators.LOOP_CLIENT_INSTALL}"
LOOP_KEYS = [
    "loop.per_s",
    "loop.p50_ms",
    "loop.p99_ms",
    "loop.cpu.total_ms_per_loop",
    "loop.cpu.bench_ms_per_loop",
    *(f"loop.cpu.{name}.ms_per_loop" for name in WATCHED),
]


def loop_run(
    intake: str,
    cases: str,
    tokens: dict[str, str],
    batch: str,
    *,
    clients: int,
    seconds: float,
    offset: int = 20_000_000,
) -> dict[str, Any]:
    """The closed loop as loopclient takes it (bench/loopclient/main.go `run`), its bodies made here as the rest of
    the bench makes them (bench/samples.py, the reports numbered from `offset`); `tokens`: the operator's, the
    office's, the unit's and the reader's."""
    (file_name, content, content_type) = samples.EVIDENCE_FILE["file"]
    return {
        "clients": clients,
        "seconds": seconds,
        "intake_url": intake,
        "cases_url": cases,
        "tokens": tokens,
        "reports": [
            samples.report(batch, offset + n)
            for n in range(min(MAX_LOOP_REPORTS, max(1, round(seconds * LOOPS_PER_SECOND_CEILING))))
        ],
        "assignment": samples.assignment(timedelta(days=30)),
        "closure_request": samples.CLOSURE_REQUEST,
        "verification": samples.VERIFICATION,
        "evidence": {
            "file_name": file_name,
            "content_type": content_type,
            "content": base64.b64encode(content).decode(),
        },
        "case_wait_seconds": CASE_WAIT_SECONDS,
        "case_timeout_seconds": 30,
    }


async def _tokens(tokens: Tokens) -> dict[str, str]:
    """Each user's access token, fresh for longer than a run (they live 5 minutes)."""
    return {
        "operator": await tokens.operator.atoken(),
        "office": await tokens.office.atoken(),
        "unit": await tokens.unit.atoken(),
        "reader": await tokens.reader.atoken(),
    }


async def closed_case_loop(config: BenchConfig, report: Report, batch: str) -> None:
    if generators.loop_client_binary() is None:
        report.skip(LOOP_KEYS, NO_LOOP_CLIENT)
        return
    sizes = config.sizes
    tokens = await _tokens(config.tokens)
    if sizes.loop_warmup_seconds:
        # Not measured: on a fresh stack the first seconds run slower (Kafka's JIT, the young tables' first plans).
        warmup = loop_run(
            config.url("intake"),
            config.url("cases"),
            tokens,
            batch,
            clients=sizes.loop_clients,
            seconds=sizes.loop_warmup_seconds,
            offset=30_000_000,
        )
        await generators.loop_client(warmup)
    run = loop_run(
        config.url("intake"), config.url("cases"), tokens, batch, clients=sizes.loop_clients, seconds=sizes.loop_seconds
    )
    window = CpuWindow(stack_processes(config)).start()
    itself = CpuWindow({"bench": os.getpid()}).start()  # with its children: loopclient, once reaped
    done = await generators.loop_client(run)
    spent, bench_spent = window.stop(), itself.stop()
    lat = [sum(loop["steps_ms"]) / 1000 for loop in done.loops]
    note = (
        f"{sizes.loop_clients} clients (loopclient, Go); report, wait for the case, assign, upload evidence, "
        "request closure, verify"
    )
    if done.failures:
        note += f"; {done.failures} failed, first: {done.first_failures[0]}"
    if done.exhausted:
        report.errors.append(f"loop: the clients sent all {len(run['reports'])} reports before the time was up")
    report.measure("loop.per_s", rate(len(done.loops), done.seconds), note)
    report.measure("loop.p50_ms", ms(percentile(lat, 50)))
    report.measure("loop.p99_ms", ms(percentile(lat, 99)))
    loops = max(len(done.loops), 1)
    report.measure("loop.cpu.total_ms_per_loop", 1000 * spent.total / loops, spent.saturation())
    for name, seconds in spent.seconds.items():
        report.measure(f"loop.cpu.{name}.ms_per_loop", 1000 * seconds / loops)
    report.measure(
        "loop.cpu.bench_ms_per_loop",
        1000 * bench_spent.seconds["bench"] / loops,
        f"the load generator (loopclient, {1000 * done.cpu_seconds / loops:.2f} ms) and the bench's own process, on "
        "the same cores, not counted in the total",
    )
    report.raw["loop_cpu"] = spent.as_json()
    report.raw["loop_steps"] = {
        step: _p50_p99([loop["steps_ms"][i] / 1000 for loop in done.loops]) for i, step in enumerate(LOOP_STEPS)
    }
    walls = {loop["case_id"]: (loop["accepted_wall"], loop["visible_wall"]) for loop in done.loops}
    split = await _case_split(config, walls)
    report.raw["loop_case_split"] = {part: _p50_p99(times) for part, times in split.items()}


def _p50_p99(times: list[float]) -> dict[str, float | None]:
    return {"p50_ms": ms(percentile(times, 50)), "p99_ms": ms(percentile(times, 99))}


async def _case_split(config: BenchConfig, walls: dict[str, tuple[float, float]]) -> dict[str, list[float]]:
    """The case step of each loop cut where cases' consumer decided the opening (CASE_SPLIT)."""
    conn = await asyncpg.connect(dsn_for(config.database_url, config.cases_database))
    try:
        rows = await conn.fetch(
            "select stream_id, occurred_at from events where stream_version = 1 and stream_id = any($1::text[])",
            list(walls),
        )
    finally:
        await conn.close()
    split: dict[str, list[float]] = {part: [] for part in CASE_SPLIT}
    for row in rows:
        accepted, visible = walls[row["stream_id"]]
        opened = row["occurred_at"].timestamp()
        split["to_opened"].append(opened - accepted)
        split["opened_to_visible"].append(visible - opened)
    return split
