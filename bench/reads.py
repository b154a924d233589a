"""Reads as the history grows: every query the dashboard makes, its drill-downs, as-of figures and the work report.

`measure_reads` takes the stack as it is (whatever history it holds) and sends each query `requests` times, one
after another, signed in as a county leader; p99 per query, beside the projections' `/healthz` measured the same
way (the HTTP floor of the same process). Called once per history size (`--history-sizes`): the figures of a size
carry its label. The queries are those of services/projections/dashboard/static/dashboard.js; the drill-downs are
taken from the answers, as the dashboard takes them (a figure's `cases` link, a row's `items`, a case's timeline).
"""

import asyncio
import importlib
import importlib.util
import inspect
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bench.config import BenchConfig
from bench.report import Report, Spec
from bench.stats import ms, percentile

# name → (what it is, path); the dashboard's own queries
DASHBOARD = {
    "rates_source": ("完成率（按来源）", "/v1/stats/closure-rates?group_by=source"),
    "rates_township": ("完成率（按乡镇）", "/v1/stats/closure-rates?group_by=township"),
    "trend": ("完成趋势（按月）", "/v1/stats/closure-trend?interval=month"),
    "first_case": ("最早一件", "/v1/stats/closure-rates/cases?figure=all&limit=1"),
    "overdue": ("超期清单 前 30", "/v1/cases/overdue?limit=30"),
    "accountability": ("问责统计（按单位）", "/v1/stats/accountability?group_by=unit"),
    "enforcement": ("执法统计", "/v1/stats/enforcement"),
    "work_summary": ("工作汇报", "/v1/reports/work-summary"),
    "assessment": ("绩效考核（排名）", "/v1/stats/assessment"),
}
# drill-downs and as-of figures: name → label (their paths are found in the answers above, or built from a date)
DRILLS = {
    "as_of": "截至一月前的完成率",
    "drill_closed": "下钻：已销号的案件",
    "drill_overdue_all": "下钻：全部超期",
    "drill_accountability": "下钻：问责记录",
    "drill_enforcement": "下钻：执法案件",
    "timeline": "下钻：一件问题的时间线",
    "assessment_as_of": "截至一月前的绩效考核",
    "drill_assessment": "下钻：一个单位的考核明细",
}
NAMES = {**{k: v[0] for k, v in DASHBOARD.items()}, **DRILLS}
# The drill-downs that are lists: the dashboard opens each a page at a time (dashboard.js, PAGE_SIZE), where the API's
# own default page (1,000) is for exports and scripts.
PAGED = ("drill_closed", "drill_overdue_all", "drill_accountability", "drill_enforcement")
PAGE_SIZE = 100
HISTORY_SKIPPED = "bench.history 不存在（或没有 ensure(config, cases=…)）：只测当前历史"


def keys(label: str = "") -> list[str]:
    prefix = f"reads.{label}." if label else "reads."
    return [f"{prefix}{name}.p99_ms" for name in NAMES]


def specs(label: str = "") -> list[Spec]:
    """The table's rows for one history size (`label`, e.g. "2000"), each beside /healthz of the same size."""
    prefix = f"reads.{label}." if label else "reads."
    size = f"（{label} 件历史）" if label else ""
    return [
        Spec(f"{prefix}{name}.p99_ms", f"查询{size}：{title} p99", "ms", f"{prefix}healthz.p99_ms", "< 100 ms")
        for name, title in NAMES.items()
    ]


def _drills(answers: dict[str, Any]) -> dict[str, str]:
    """The drill-down paths the dashboard would open from these answers."""
    month_ago = httpx.QueryParams({"as_of": (datetime.now(UTC) - timedelta(days=30)).isoformat()})
    paths = {
        "as_of": f"/v1/stats/closure-rates?{month_ago}",
        "assessment_as_of": f"/v1/stats/assessment?{month_ago}",
        "drill_overdue_all": "/v1/cases/overdue",
        "drill_accountability": "/v1/stats/accountability/items",
        "drill_enforcement": "/v1/stats/enforcement/cases",
    }
    totals = answers.get("rates_source", {}).get("totals", {})
    if isinstance(totals.get("cases"), dict) and totals["cases"].get("closed"):
        paths["drill_closed"] = totals["cases"]["closed"]
    rows = answers.get("accountability", {}).get("rows") or []
    if rows and rows[0].get("items"):
        paths["drill_accountability"] = rows[0]["items"]
    units = answers.get("assessment", {}).get("rows") or []
    if units:
        paths["drill_assessment"] = units[0]["items"]
    items = answers.get("first_case", {}).get("items") or []
    if items:
        paths["timeline"] = f"/v1/cases/{items[0]['issue_id']}/timeline"
    return paths


async def _p99(client: httpx.AsyncClient, url: str, auth: httpx.Auth | None, requests: int) -> tuple[float, Any]:
    """Seconds of the p99 over `requests` sequential GETs, and the last answer's JSON."""
    latencies = []
    body: Any = None
    for _ in range(requests):
        started = time.monotonic()
        response = await client.get(url, auth=auth)
        latencies.append(time.monotonic() - started)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url}: {response.status_code} {response.text[:200]}")
        body = response.json()
    return percentile(latencies, 99) or 0.0, body


async def measure_reads(config: BenchConfig, report: Report, *, requests: int, label: str = "") -> None:
    """p99 of every dashboard query, drill-down, as-of figure and the work report, on the stack as it is now."""
    base = config.url("projections")
    prefix = f"reads.{label}." if label else "reads."
    auth = config.tokens.reader
    answers: dict[str, Any] = {}
    async with httpx.AsyncClient(timeout=httpx.Timeout(60.0)) as client:
        floor, _ = await _p99(client, f"{base}/healthz", None, requests)
        report.baseline(f"{prefix}healthz.p99_ms", "统计服务 /healthz p99", ms(floor))
        for name, (_, path) in DASHBOARD.items():
            p99, answers[name] = await _p99(client, f"{base}{path}", auth, requests)
            report.measure(f"{prefix}{name}.p99_ms", ms(p99), f"GET {path}, {requests} in a row")
        drills = _drills(answers)
        for name in DRILLS:
            drill = drills.get(name)
            if drill is None:
                report.skip([f"{prefix}{name}.p99_ms"], "当前历史中没有可下钻的数据")
                continue
            if name in PAGED:  # as the dashboard opens a list: a page of PAGE_SIZE (its showList)
                drill = str(httpx.URL(drill).copy_merge_params({"limit": PAGE_SIZE, "offset": 0}))
            p99, _ = await _p99(client, f"{base}{drill}", auth, requests)
            note = f"GET {drill.split('?')[0]}, {requests} in a row" + (
                f", a page of {PAGE_SIZE} as the dashboard opens it" if name in PAGED else ""
            )
            report.measure(f"{prefix}{name}.p99_ms", ms(p99), note)
    cases = answers.get("rates_source", {}).get("totals", {}).get("total")
    report.raw.setdefault("reads", {})[label or "current"] = {"cases_in_history": cases, "requests_each": requests}


def history_module() -> Any | None:
    """bench.history (the replay's history maker), if it exists and has `ensure(config, cases=…)`."""
    if importlib.util.find_spec("bench.history") is None:
        return None
    module = importlib.import_module("bench.history")
    return module if callable(getattr(module, "ensure", None)) else None


async def reads_at_sizes(config: BenchConfig, report: Report) -> None:
    """For each history size: `bench.history.ensure(config, cases=size)` grows the stack's history (idempotent:
    it makes only what is missing), then the reads are measured at that size."""
    module = history_module()
    if module is None:
        report.skip([k for size in config.history_sizes for k in keys(str(size))], HISTORY_SKIPPED)
        return
    for size in sorted(config.history_sizes):
        made = module.ensure(config, cases=size)
        if inspect.isawaitable(made):
            await made
        # The history is on the topics now; the live read models apply it first (else the reads would be timed
        # against projections busy folding 200,000 events, and against read models still growing).
        waited = await read_models_caught_up(config)
        report.raw.setdefault("reads_waited_s", {})[str(size)] = round(waited, 1)
        await measure_reads(config, report, requests=config.sizes.read_requests, label=str(size))


async def read_models_caught_up(config: BenchConfig, timeout: float = 1800.0) -> float:
    """Seconds until the projections' read models lag on no partition (`GET /v1/read-models`)."""
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=httpx.Timeout(30.0)) as client:
        while True:
            response = await client.get(f"{config.url('projections')}/v1/read-models", auth=config.tokens.reader)
            response.raise_for_status()
            positions = response.json()["positions"]
            if all(p["lag"] == 0 for topic in positions.values() for p in topic.values()):
                return time.monotonic() - started
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"the read models still lag after {timeout:.0f}s")
            await asyncio.sleep(1.0)
