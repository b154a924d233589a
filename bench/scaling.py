"""`python -m bench.scaling` (`make bench-scaling`): intake at 1, 2, 3 … instances through the balancer, on the
running stack (issue 15, docs/scaling.md).

For each count it runs `infra/services.sh scale intake=N`, then `python -m bench --only alone --only cpu` against
intake's own port (the balancer's, 8001), so every figure is taken the way a client meets the service: intake alone
with the downstream paused (every instance, HAProxy's CPU apart) and the whole pipeline at saturation (the CPU of every
process per report, every instance counted). Each count's JSON goes to `.run/bench/scaling-intake-<N>.json`; the
stack is left with the instances it had. Throughput on one machine is bounded by its cores, not by the instances: the
table says how busy the machine was.
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.config import ROOT


def _ports(expression: str) -> str:
    done = subprocess.run(
        ["bash", "-c", f"source infra/ports.sh && load_services_table && {expression}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def serving_instances(pids_dir: Path) -> int:
    return len(list(pids_dir.glob("intake-[1-9].pid")))


def scale(instances: int) -> None:
    subprocess.run(["bash", "infra/services.sh", "scale", f"intake={instances}"], cwd=ROOT, check=True)


def figure(result: dict[str, Any], key: str) -> float | None:
    return next((f["value"] for f in result["figures"] if f["key"] == key), None)


def measure(instances: int, out: Path, extra: list[str]) -> dict[str, Any]:
    scale(instances)
    intake = f"http://127.0.0.1:{_ports('service_port intake')}"
    command = [sys.executable, "-m", "bench", "--only", "alone", "--only", "cpu", "--intake-url", intake]
    subprocess.run([*command, "--out", str(out), *extra], cwd=ROOT, check=True)
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


def row(instances: int, result: dict[str, Any]) -> tuple[str, ...]:
    cpu = result["raw"].get("cpu", {})
    wall = cpu.get("wall_seconds") or 0
    busy = cpu.get("machine_busy_cpu_seconds", 0) / wall if wall else 0.0
    alone = figure(result, "intake.alone.accepted_per_s")
    bare = result["baselines"].get("bare.accepted_per_s", {}).get("value")

    def fmt(value: float | None, digits: int = 0) -> str:
        return "—" if value is None else f"{value:,.{digits}f}"

    return (
        str(instances),
        fmt(alone),
        fmt(bare),
        fmt(cpu.get("accepted_per_s")),
        fmt(figure(result, "cpu.total_ms_per_report"), 2),
        fmt(figure(result, "cpu.intake.ms_per_report"), 2),
        fmt(figure(result, "cpu.balancer.ms_per_report"), 3),
        f"{busy:.2f}",
        f"{result['machine']['load_average_1m_before']:.2f}",
    )


HEADER = (
    "intake 实例数",
    "单独受理 件/s",
    "裸 FastAPI req/s",
    "全链路饱和 件/s",
    "每件 CPU 合计 ms",
    "其中 intake ms",
    "其中负载均衡 ms",
    "整机繁忙核数",
    "测前负载",
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scaling", description="intake 实例数与吞吐（经负载均衡）")
    parser.add_argument("--instances", default="1,2,3", help="comma-separated counts (1-9)")
    parser.add_argument("--pids-dir", type=Path, default=ROOT / ".run" / "pids")
    parser.add_argument("--out-dir", type=Path, default=ROOT / ".run" / "bench")
    parser.add_argument("bench_args", nargs=argparse.REMAINDER, help="after --: passed to python -m bench")
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.instances.split(",") if n.strip()]
    if not counts or not all(1 <= n <= 9 for n in counts):
        parser.error("--instances: counts from 1 to 9")
    before = serving_instances(args.pids_dir)
    if before == 0:
        parser.error("no intake instance is serving (.run/pids/intake-<i>.pid): make up first")
    extra = [a for a in args.bench_args if a != "--"]
    args.out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    try:
        for n in counts:
            result = measure(n, args.out_dir / f"scaling-intake-{n}.json", extra)
            rows.append(row(n, result))
    finally:
        scale(before)
    # a Markdown table: pasted as it is into docs/scaling.md
    lines = [HEADER, tuple("---" for _ in HEADER), *rows]
    print("\n".join(f"| {' | '.join(cells)} |" for cells in lines))


if __name__ == "__main__":
    main()
