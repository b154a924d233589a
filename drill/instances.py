"""Instances per service in the drill: the SCALE syntax `make up` takes, their ports (asked of infra/ports.sh, as
`make up` places them), and what the other instances did while one was dead (pure figures, no I/O).

One instance of a service listens on the service's own port (`--base-port` and the four after it, as the drill
always did); a service with more runs each on its instance port (infra/ports.sh: SERVICES_PORT_BASE is the base port
less one, so intake's instances take base + 10 + i, cases' base + 20 + i, …). The drill runs no balancer: its load
goes round robin over a service's instances, and a request that finds one dead is retried on the next.
"""

import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MAX_INSTANCES = 9  # infra/ports.sh: so that two services' instance ports never meet
ITEM = re.compile(r"([a-z]+)=([0-9])")


@dataclass(frozen=True)
class Instance:
    service: str
    number: int  # 1..n
    port: int

    @property
    def name(self) -> str:
        return f"{self.service}-{self.number}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def parse_scale(text: str, services: tuple[str, ...]) -> dict[str, int]:
    """`intake=2 cases=2 …` (as `make up SCALE=…`): instances per service, one for a service not named."""
    wanted = dict.fromkeys(services, 1)
    for item in text.split():
        match = ITEM.fullmatch(item)
        if not match or not 1 <= int(match[2]) <= MAX_INSTANCES:
            raise ValueError(f"'{item}': write <service>=<1-{MAX_INSTANCES}>, e.g. intake=2")
        if match[1] not in wanted:
            raise ValueError(f"'{item}': no service '{match[1]}' (one of: {', '.join(services)})")
        wanted[match[1]] = int(match[2])
    return wanted


def plan_ports(base_port: int, instances: Mapping[str, int]) -> dict[str, tuple[int, ...]]:
    """Each service's instances' ports, from infra/ports.sh (the one formula of the stack's ports)."""
    script = "source infra/ports.sh && load_services_table && " + " && ".join(
        f'echo "{s} $(service_port {s})"' if n == 1 else f'echo "{s} $(instance_port {s} {i})"'
        for s, n in instances.items()
        for i in range(1, n + 1)
    )
    listed = subprocess.run(
        ["bash", "-c", script],
        cwd=ROOT,
        env=os.environ | {"SERVICES_PORT_BASE": str(base_port - 1)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    ports: dict[str, list[int]] = {s: [] for s in instances}
    for line in listed.splitlines():
        service, port = line.split()
        ports[service].append(int(port))
    return {s: tuple(p) for s, p in ports.items()}


def taken_over(
    before: Mapping[str, Mapping[str, tuple[int, int]]], after: Mapping[str, Mapping[str, tuple[int, int]]]
) -> dict[str, int]:
    """From the consumer groups' (committed offset, log end) per partition when an instance was killed and just
    before it was started again: the partitions that got new records meanwhile, and those of them whose group
    committed further (only the instances alive could): every one, when the others took the dead one's over."""
    fresh = committed = 0
    for group, partitions in after.items():
        for partition, (offset, end) in partitions.items():
            offset_then, end_then = before.get(group, {}).get(partition, (-1, 0))
            if end > end_then:
                fresh += 1
                committed += offset > offset_then
    return {"partitions_with_new_records": fresh, "committed_by_the_others": committed}


def carried(
    others: list[str],
    answered: list[tuple[float, str]],
    samples: Mapping[str, list[tuple[float, float, float]]],
    start: float,
    end: float,
) -> dict[str, Any]:
    """What the instances at the URLs `others` did between `start` and `end` (one of theirs dead): requests they
    answered (from the load's ledger) and events they published and applied (their /metrics counters' growth)."""
    published = consumed = 0.0
    for url in others:
        seen = [(p, c) for t, p, c in samples.get(url, []) if start <= t <= end]
        if len(seen) > 1:
            published += seen[-1][0] - seen[0][0]
            consumed += seen[-1][1] - seen[0][1]
    return {
        "down_s": round(end - start, 1),
        "answered_by_the_others": sum(1 for t, url in answered if url in others and start <= t <= end),
        "published_by_the_others": int(published),
        "consumed_by_the_others": int(consumed),
    }
