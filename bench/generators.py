"""The external load generators (not Python, so they do not share the bench's interpreter): wrk, vegeta, loopclient.

- wrk (Debian's `wrk`) posts reports at saturation with `bench/wrk/report.lua`;
- vegeta (Go; `make bench` builds it once into .cache/go/bin) offers a fixed rate of reports, open loop,
  from a targets file of distinct bodies, and records each request's send time, latency and status;
- loopclient (Go, `bench/loopclient/main.go`; `make bench` and `make test` build it into .cache/go/bin) runs the
  closed loop's clients, each taking a report through 交办, 佐证材料, 申请销号 and 销号, with the bodies given here;
- `bare_server` runs `bench/bare.py` (FastAPI validating the same body, nothing stored): wrk's baseline.
"""

import asyncio
import base64
import contextlib
import json
import os
import re
import shutil
import socket
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bench import samples
from bench.config import ROOT

WRK_SCRIPT = ROOT / "bench" / "wrk" / "report.lua"
VEGETA = ROOT / ".cache" / "go" / "bin" / "vegeta"
VEGETA_INSTALL = "make bench (go install github.com/tsenart/vegeta/v12@latest into .cache/go)"
LOOP_CLIENT = ROOT / ".cache" / "go" / "bin" / "loopclient"
LOOP_CLIENT_INSTALL = "make bench (go build bench/loopclient into .cache/go/bin)"


class GeneratorFailed(RuntimeError):
    """A load generator failed or printed something we could not read."""


def wrk_binary() -> str | None:
    return shutil.which("wrk")


def vegeta_binary() -> str | None:
    return str(VEGETA) if VEGETA.is_file() else shutil.which("vegeta")


def loop_client_binary() -> str | None:
    return str(LOOP_CLIENT) if LOOP_CLIENT.is_file() else None


async def _run(
    args: list[str], *, env: dict[str, str] | None = None, timeout: float, stdin: bytes | None = None
) -> str:
    proc = await asyncio.create_subprocess_exec(
        *args,
        env=env,
        stdin=asyncio.subprocess.PIPE if stdin is not None else None,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(stdin), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise GeneratorFailed(f"{Path(args[0]).name} did not finish within {timeout:g}s") from None
    if proc.returncode != 0:
        raise GeneratorFailed(f"{Path(args[0]).name} exited {proc.returncode}: {(err or out).decode()[-400:]}")
    return out.decode()


@dataclass(frozen=True)
class WrkRun:
    accepted: int  # answers 202
    others: int  # any other answer
    seconds: float
    p50_ms: float
    p99_ms: float
    summary: str

    @property
    def accepted_per_s(self) -> float:
        return self.accepted / self.seconds if self.seconds > 0 else 0.0


def _figure(pattern: str, out: str) -> float:
    match = re.search(pattern, out, re.MULTILINE)
    if not match:
        raise GeneratorFailed(f"no {pattern!r} in wrk's output: {out[-400:]}")
    return float(match[1])


async def wrk(url: str, *, token: str, batch: str, seconds: float, connections: int) -> WrkRun:
    """wrk with bench/wrk/report.lua: two threads, `connections` connections, for `seconds` seconds."""
    binary = wrk_binary()
    if binary is None:
        raise GeneratorFailed("wrk is not installed (apt-get install wrk)")
    args = [binary, "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", "-s", str(WRK_SCRIPT), url]
    out = await _run(args, env={**os.environ, "TOKEN": token, "BATCH": batch}, timeout=seconds + 60)
    return WrkRun(
        accepted=int(_figure(r"^accepted (\d+)", out)),
        others=int(_figure(r"^accepted \d+ others (\d+)", out)),
        seconds=_figure(r"seconds ([\d.]+)$", out),
        p50_ms=_figure(r"^p50 ([\d.]+) ms", out),
        p99_ms=_figure(r"^p99 ([\d.]+) ms", out),
        summary=" ".join(line for line in out.splitlines() if line.startswith(("p50", "p99", "rps", "accepted"))),
    )


@dataclass(frozen=True)
class LoopRun:
    """What loopclient printed: each finished loop (`case_id`, `started` seconds into the run, `steps_ms` in the order
    of http_figures.LOOP_STEPS, `accepted_wall` and `visible_wall`: the wall clock of the report's 202 and of the
    case's first 200), the failures, the run's seconds and the client's own CPU seconds."""

    loops: list[dict[str, Any]]
    failures: int
    first_failures: list[str]
    seconds: float
    cpu_seconds: float
    exhausted: bool


async def loop_client(run: dict[str, Any]) -> LoopRun:
    """loopclient with `run` (its fields: bench/loopclient/main.go `run`) on its standard input."""
    binary = loop_client_binary()
    if binary is None:
        raise GeneratorFailed(f"loopclient is not built ({LOOP_CLIENT_INSTALL})")
    out = await _run([binary], stdin=json.dumps(run).encode(), timeout=run["seconds"] + 90)
    try:
        printed = json.loads(out)
        return LoopRun(
            loops=printed["loops"],
            failures=printed["failures"],
            first_failures=printed["first_failures"],
            seconds=printed["seconds"],
            cpu_seconds=printed["cpu_seconds"],
            exhausted=printed["exhausted"],
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise GeneratorFailed(f"loopclient printed what the bench cannot read ({exc!r}): {out[-400:]}") from None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def bare_server() -> AsyncIterator[tuple[str, int]]:
    """`python -m bench.bare` on a free port; yields its report URL and pid, stops it afterwards."""
    port = _free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.bare", "--port", str(port), cwd=ROOT, stdout=asyncio.subprocess.DEVNULL
    )
    try:
        for _ in range(200):
            with contextlib.suppress(OSError):
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            await asyncio.sleep(0.05)
        else:
            raise GeneratorFailed("bench.bare did not listen within 10s")
        yield f"http://127.0.0.1:{port}/v1/reports", proc.pid
    finally:
        proc.terminate()
        await proc.wait()


@dataclass(frozen=True)
class Hit:
    """One request vegeta sent: when (wall clock), how long it took, the status (0: no answer)."""

    sent_at: float
    latency: float
    code: int

    @property
    def done_at(self) -> float:
        return self.sent_at + self.latency


def vegeta_targets(path: Path, url: str, token: str, batch: str, count: int) -> None:
    """`count` targets in vegeta's JSON format, each a distinct report (its own 交办编号), base64 bodies."""
    header = {"Content-Type": ["application/json"], "Authorization": [f"Bearer {token}"]}
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            body = json.dumps(samples.report(batch, n), ensure_ascii=False).encode()
            target = {"method": "POST", "url": url, "body": base64.b64encode(body).decode(), "header": header}
            out.write(json.dumps(target) + "\n")


async def vegeta(url: str, *, token: str, batch: str, rate: float, seconds: float) -> list[Hit]:
    """vegeta attack at `rate` reports/s for `seconds` (open loop: it sends on schedule, however slow the answers)."""
    binary = vegeta_binary()
    if binary is None:
        raise GeneratorFailed(f"vegeta is not built: {VEGETA_INSTALL}")
    with tempfile.TemporaryDirectory(prefix="bench-vegeta-") as tmp:
        targets, results = Path(tmp) / "targets.json", Path(tmp) / "results.bin"
        count = int(rate * seconds * 1.05) + 10  # a few spare: vegeta cycles through the file, a repeat is a retry
        await asyncio.to_thread(vegeta_targets, targets, url, token, batch, count)
        await _run(
            [
                binary,
                "attack",
                "-format=json",
                f"-targets={targets}",
                f"-rate={rate:g}/1s",
                f"-duration={seconds:g}s",
                "-timeout=30s",
                "-max-body=0",  # the figures need each answer's code and time, not its body
                f"-output={results}",
            ],
            timeout=seconds + 90,
        )
        encoded = await _run([binary, "encode", "--to", "json", str(results)], timeout=120)
    hits = []
    for line in encoded.splitlines():
        if line.strip():
            row = json.loads(line)
            sent = datetime.fromisoformat(row["timestamp"]).timestamp()
            hits.append(Hit(sent_at=sent, latency=int(row["latency"]) / 1e9, code=int(row["code"])))
    return hits
