"""The baselines, run in the same process tree on the same machine as our figures.

- Kafka's own ProducerPerformance and ConsumerPerformance, from the broker's jars (infra/kafka.sh);
- pgbench with a one-row insert script, on a scratch database of the stack's PostgreSQL;
- a bare Python interpreter that imports the services' libraries, for memory.
"""

import asyncio
import contextlib
import glob
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.config import ROOT
from bench.scratch import connection_parts
from bench.stats import percentile
from shared.broker import Broker

KAFKA = ["bash", str(ROOT / "infra" / "kafka.sh")]


class BaselineFailed(RuntimeError):
    """A baseline tool failed or printed something we could not read."""


def _run(args: list[str], *, timeout: float, env: dict[str, str] | None = None, cwd: str | None = None) -> str:
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd)
    if done.returncode != 0:
        raise BaselineFailed(f"{' '.join(args[:3])}… exited {done.returncode}: {(done.stderr or done.stdout)[-400:]}")
    return done.stdout


@dataclass(frozen=True)
class ProducerRun:
    records_per_s: float
    mb_per_s: float
    avg_ms: float
    p50_ms: float
    p99_ms: float
    line: str


_PRODUCER_SUMMARY = re.compile(
    r"(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), ([\d.]+) ms avg latency, "
    r"([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th"
)


@contextlib.contextmanager
def _client_config(broker: Broker) -> Iterator[str]:
    """The broker's sign-in as a Java client's properties file (mode 600), never on a command line or in an error."""
    with tempfile.NamedTemporaryFile("w", suffix=".properties") as config:
        config.write("".join(f"{name}={value}\n" for name, value in broker.java_client_properties().items()))
        config.flush()
        yield config.name


def producer_performance(broker: Broker, topic: str, *, records: int, size: int, throughput: float) -> ProducerRun:
    """ProducerPerformance with our relay's producer settings: idempotent, acks=all, linger 5 ms."""
    with _client_config(broker) as config:
        out = _run(
            [
                *KAFKA,
                "perf",
                "--topic",
                topic,
                "--num-records",
                str(records),
                "--record-size",
                str(size),
                "--throughput",
                str(throughput),
                "--producer.config",
                config,
                "--producer-props",
                "acks=all",
                "enable.idempotence=true",
                "linger.ms=5",
            ],
            timeout=600,
        )
    for line in reversed(out.splitlines()):
        match = _PRODUCER_SUMMARY.search(line)
        if match:
            return ProducerRun(
                records_per_s=float(match[2]),
                mb_per_s=float(match[3]),
                avg_ms=float(match[4]),
                p50_ms=float(match[6]),
                p99_ms=float(match[8]),
                line=line.strip(),
            )
    raise BaselineFailed(f"no summary in ProducerPerformance output: {out[-400:]}")


def consumer_performance(broker: Broker, topic: str, messages: int) -> tuple[float, str]:
    """Messages per second ConsumerPerformance fetches from the topic (its fetch rate, without the group join)."""
    with _client_config(broker) as config:
        out = _run(
            [
                *KAFKA,
                "consumer-perf",
                "--bootstrap-server",
                broker.bootstrap_servers,
                "--consumer.config",
                config,
                "--topic",
                topic,
                "--messages",
                str(messages),
                "--timeout",
                "20000",
            ],
            timeout=300,
        )
    lines = [line for line in out.splitlines() if line.strip()]
    header_at = next((i for i, line in enumerate(lines) if "fetch.nMsg.sec" in line), None)
    if header_at is None or header_at + 1 >= len(lines):
        raise BaselineFailed(f"no figures in ConsumerPerformance output: {out[-400:]}")
    names = [n.strip() for n in lines[header_at].split(",")]
    values = [v.strip() for v in lines[header_at + 1].split(",")]
    return float(values[names.index("fetch.nMsg.sec")]), lines[header_at + 1]


def pgbench_binary() -> str:
    found = shutil.which("pgbench") or next(
        iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"), reverse=True)), None
    )
    if not found:
        raise BaselineFailed("pgbench not found (apt-get install postgresql-client, or infra/postgres.sh install)")
    return found


@dataclass(frozen=True)
class PgbenchRun:
    tps: float
    p50_ms: float | None
    p99_ms: float | None
    transactions: int
    summary: str


def prepare_pgbench(dsn: str, payload: str, folder: Path) -> Path:
    """The one-row insert script (in `folder`) and its table; the payload is the same JSON an event carries."""
    _psql(dsn, "create table if not exists pgbench_rows (id bigserial primary key, payload jsonb not null)")
    script = folder / "insert_one_row.sql"
    script.write_text(
        f"insert into pgbench_rows (payload) values ('{payload.replace(chr(39), chr(39) * 2)}');\n", encoding="utf-8"
    )
    return script


def _psql(dsn: str, sql: str) -> None:
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


def pgbench(
    dsn: str,
    script: Path,
    *,
    clients: int,
    transactions: int | None = None,
    seconds: float | None = None,
    rate: float | None = None,
) -> PgbenchRun:
    """Runs the script; per-transaction latencies come from pgbench's own log (-l)."""
    parts = connection_parts(dsn)
    logs = Path(tempfile.mkdtemp(prefix="bench-pgbench-log-"))
    args = [
        pgbench_binary(),
        "-n",
        "-c",
        str(clients),
        "-j",
        str(clients),
        "-f",
        str(script),
        "-l",
        "--log-prefix",
        str(logs / "tx"),
    ]
    args += ["-h", parts["host"], "-p", parts["port"], "-U", parts["user"]]
    if transactions is not None:
        args += ["-t", str(max(1, transactions // clients))]
    if seconds is not None:
        args += ["-T", str(max(1, round(seconds)))]
    if rate is not None:
        args += ["-R", str(rate)]
    env = {"PGPASSWORD": parts["password"], "PATH": "/usr/bin:/bin"}
    try:
        out = _run([*args, parts["dbname"]], timeout=600, env=env)
        tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
        done = re.search(r"number of transactions actually processed: (\d+)", out)
        if not tps or not done:
            raise BaselineFailed(f"could not read pgbench output: {out[-400:]}")
        latencies = []
        for log in logs.glob("tx*"):
            for line in log.read_text().splitlines():
                fields = line.split()
                if len(fields) >= 3 and fields[2].isdigit():
                    # with -R the time is counted from the scheduled start, as our open loop counts it
                    lag = int(fields[6]) if rate is not None and len(fields) >= 7 and fields[6].isdigit() else 0
                    latencies.append((int(fields[2]) + lag) / 1000)  # microseconds → ms
    finally:
        shutil.rmtree(logs, ignore_errors=True)
    summary = " ".join(
        line.strip() for line in out.splitlines() if line.startswith(("tps", "latency", "number of clients"))
    )
    return PgbenchRun(
        tps=float(tps[1]),
        p50_ms=percentile(latencies, 50),
        p99_ms=percentile(latencies, 99),
        transactions=int(done[1]),
        summary=summary,
    )


def bare_python_peak_kib() -> int:
    """Peak RSS of an interpreter that imports what every service imports, and nothing of ours."""
    code = (
        "import fastapi, uvicorn, aiokafka, asyncpg, pydantic, pydantic_settings, structlog, prometheus_client;"
        "print([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0])"
    )
    out = _run([sys.executable, "-c", code], timeout=60)
    return int(out.split()[1])
