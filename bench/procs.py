"""The stack's processes and the CPU time they spend (utime + stime from /proc), for the CPU-per-report figures.

Every process that serves a report is watched: the five services (every instance's pid file, else the process
listening on the service's port), the balancer when the bench's intake address goes through it, Kafka's JVM
(listening on the bootstrap port) and the whole PostgreSQL cluster (the postmaster listening on the database port
and every process it started: backends, walwriter, checkpointer…). A name stands for all its processes: intake's
figure with three instances is the three together.
Keycloak is not watched (it does no work per report once tokens are cached); neither is the bench nor its
load generator. A backend that exits during a window is still counted: the postmaster reaps it, and its
time moves into the postmaster's cutime + cstime, which the window counts too (minus what the backend had
already spent when the window began).
"""

import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bench import memory
from bench.config import SERVICES, BenchConfig

TICK = 1 / os.sysconf("SC_CLK_TCK")
# Watched with every child they start: PostgreSQL's backends; the bench's own load generator (vegeta, wrk).
TREES = ("postgresql", "bench")
# The processes whose CPU the figures share out: the services downstream of intake, and all of the stack.
DOWNSTREAM = ("cases", "enforcement", "accountability", "projections")
WATCHED = ("intake", *DOWNSTREAM, "kafka", "postgresql")


@dataclass(frozen=True)
class Ticks:
    own: int  # utime + stime
    reaped: int  # cutime + cstime: the children it waited for


def ticks(pid: int) -> Ticks | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # the command name may hold spaces; fields after it from state (3rd)
    return Ticks(own=int(fields[11]) + int(fields[12]), reaped=int(fields[13]) + int(fields[14]))


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry))
    return found


def _port(address: str) -> int | None:
    return urlsplit(address if "//" in address else f"//{address}").port


Pids = tuple[int, ...]


def stack_processes(config: BenchConfig) -> dict[str, Pids]:
    """Name → pids of every process watched (each service's instances, the balancer in front of intake when the bench
    sends through it, kafka, postgresql); those not found are left out."""
    found: dict[str, Pids] = {}
    for service in SERVICES:
        if service in config.urls:
            pids = memory.service_pids(service, config.url(service), config.pids_dir)
            if pids:
                found[service] = pids
    kafka_port = _port(config.kafka_bootstrap_servers.split(",")[0])
    pg_port = _port(config.database_url) or 5432
    intake_port = _port(config.url("intake")) if "intake" in config.urls else None
    for name, port in (("kafka", kafka_port), ("postgresql", pg_port), ("balancer", intake_port)):
        pid = memory.listening_pid(port) if port else None
        if pid and (name != "balancer" or pid not in found.get("intake", ())):
            found[name] = (pid,)
    return found


@dataclass
class _Tree:
    """One watched process; for PostgreSQL (`tree`), the postmaster and every child it starts."""

    pid: int
    tree: bool
    start: Ticks = field(init=False)
    children_start: dict[int, int] = field(init=False)

    def __post_init__(self) -> None:
        self.start = ticks(self.pid) or Ticks(0, 0)
        self.children_start = dict(self._children()) if self.tree else {}

    def _children(self) -> Iterator[tuple[int, int]]:
        for child in children(self.pid):
            t = ticks(child)
            if t:
                yield child, t.own

    def spent(self) -> float:
        end = ticks(self.pid)
        if end is None:
            return 0.0
        total = end.own - self.start.own
        if self.tree:
            now = dict(self._children())
            total += end.reaped - self.start.reaped
            total += sum(t - self.children_start.get(child, 0) for child, t in now.items())
            total -= sum(t for child, t in self.children_start.items() if child not in now)
        return max(total, 0) * TICK


class CpuWindow:
    """CPU seconds each watched name (one process, or all of its pids) spends between `start` and `stop`, and the
    machine's busy time."""

    def __init__(self, processes: Mapping[str, int | Pids]) -> None:
        self.processes = {name: (pids,) if isinstance(pids, int) else pids for name, pids in processes.items()}
        self._trees: dict[str, list[_Tree]] = {}
        self._started = 0.0
        self._busy_start = 0.0

    def start(self) -> "CpuWindow":
        self._trees = {name: [_Tree(pid, tree=name in TREES) for pid in pids] for name, pids in self.processes.items()}
        self._started = time.monotonic()
        self._busy_start = machine_busy_seconds()
        return self

    def stop(self) -> "CpuSpent":
        return CpuSpent(
            seconds={name: sum(tree.spent() for tree in trees) for name, trees in self._trees.items()},
            wall=time.monotonic() - self._started,
            machine_busy=machine_busy_seconds() - self._busy_start,
            processes={name: len(trees) for name, trees in self._trees.items()},
        )


@dataclass(frozen=True)
class CpuSpent:
    seconds: dict[str, float]  # CPU seconds per watched process
    wall: float  # the window's length
    machine_busy: float  # CPU seconds of every process on the machine (from /proc/stat)
    processes: dict[str, int] = field(default_factory=dict)  # how many processes each name stood for

    @property
    def total(self) -> float:
        return sum(self.seconds.values())

    def cores(self, name: str) -> float:
        """How many cores the process kept busy on average (1.0: a whole core)."""
        return self.seconds[name] / self.wall if self.wall > 0 else 0.0

    def busiest(self) -> tuple[str, float]:
        """The process nearest its ceiling: a Python service's is one core per instance (one event loop each), Kafka's
        and PostgreSQL's the machine's cores."""
        cpus = os.cpu_count() or 1

        def load(name: str) -> float:
            ceiling = cpus if name in ("kafka", "postgresql") else min(self.processes.get(name, 1), cpus)
            return self.cores(name) / ceiling

        name = max(self.seconds, key=load)
        return name, load(name)

    def saturation(self) -> str:
        """Which process reaches its ceiling first, and whether the machine itself was the ceiling."""
        cpus = os.cpu_count() or 1
        name, load = self.busiest()
        busy = self.machine_busy / self.wall if self.wall > 0 else 0.0
        text = (
            f"nearest its ceiling: {name} at {100 * load:.0f} % (one core per instance for a service, {cpus} for "
            f"Kafka or PostgreSQL); the machine {busy:.2f} of {cpus} cores busy"
        )
        if busy >= 0.95 * cpus:
            ours = self.total / self.wall if self.wall > 0 else 0.0
            text += f", so the cores were the ceiling ({ours:.2f} of them ours, the rest other processes)"
        return text

    def shares(self) -> str:
        total = self.total or 1.0
        ranked = sorted(self.seconds.items(), key=lambda kv: -kv[1])
        return ", ".join(f"{name} {100 * s / total:.0f} %" for name, s in ranked)

    def as_json(self) -> dict[str, object]:
        return {
            "cpu_seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            "wall_seconds": round(self.wall, 3),
            "machine_busy_cpu_seconds": round(self.machine_busy, 3),
            "cores_busy": {k: round(self.cores(k), 3) for k in self.seconds},
            "processes": self.processes,
        }


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent not idle (user, nice, system, irq, softirq, steal) since boot."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in fields]
    busy = sum(values[:3]) + sum(values[5:8])  # skip idle (3) and iowait (4)
    return busy * TICK
