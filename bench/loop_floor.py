"""What one of the closed loop's requests costs the whole stack, measured apart from the loop (issue 14 item 4).

    .venv/bin/python -m bench.loop_floor [--clients 8] [--seconds 15]     # against `make up`

Opens 25 cases per client (a report, then the case read with `?wait=`), then for `--seconds` the clients send 交办
again and again, each on the case least recently re-assigned, so that streams stay about as short as the loop's (a
re-assignment: a command with If-Match, one event, consumed downstream by enforcement, accountability, intake's case
progress and projections); then they read those cases (`GET`) as often. For each phase: requests per second and the
CPU of every process of the stack per request (`bench.procs.CpuWindow`), in all and less the stack's idle CPU
(measured first, as long, with nothing sent), so the loop's CPU can be told apart into what its commands, its reads
and the rest cost.
"""

import argparse
import asyncio
import collections
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from bench import samples
from bench.http_figures import _client, _until_case, post_report
from bench.load import closed_loop
from bench.main import parse
from bench.procs import CpuWindow, stack_processes
from shared.logging import configure_logging
from shared.stack_keys import use_stack_keys

# Cases opened per client before the measurement: each is re-assigned a few times, and read as often.
CASES_PER_CLIENT = 25


async def _idle(config: Any, seconds: float) -> dict[str, float]:
    """The stack's CPU per second with nothing sent (ms/s by process): part of every per-request figure."""
    window = CpuWindow(stack_processes(config)).start()
    await asyncio.sleep(seconds)
    spent = window.stop()
    return {name: round(1000 * s / seconds, 2) for name, s in spent.seconds.items()}


async def _phase(
    config: Any,
    clients: int,
    seconds: float,
    send: Callable[[int], Awaitable[tuple[bool, Any]]],
    idle: dict[str, float],
) -> dict[str, Any]:
    window = CpuWindow(stack_processes(config)).start()
    outcomes, elapsed = await closed_loop(clients, seconds, send)
    spent = window.stop()
    done = sum(1 for o in outcomes if o.ok)
    failed = [o.value for o in outcomes if not o.ok]
    per = max(done, 1)
    # the idle CPU of the phase's seconds taken off: what the requests themselves cost
    net = {name: (1000 * s - idle.get(name, 0) * elapsed) / per for name, s in spent.seconds.items()}
    return {
        "per_s": round(done / elapsed, 1),
        "failed": len(failed),
        "first_failure": failed[0] if failed else None,
        "cpu_ms_per_request": round(1000 * spent.total / per, 2),
        "net_of_idle_ms_per_request": round(sum(net.values()), 2),
        "net_by_process": {name: round(ms, 2) for name, ms in net.items()},
    }


async def measure(clients: int, seconds: float) -> dict[str, Any]:
    config = parse([])
    tokens = config.tokens
    intake, cases = config.url("intake"), config.url("cases")
    async with _client(clients * 2) as client:
        opened: list[str] = []

        async def open_one(n: int) -> tuple[bool, Any]:
            ok, value = await post_report(client, intake, samples.report(f"{config.run}-floor", n), tokens.operator)
            if not ok:
                raise RuntimeError(f"report: {value}")
            await _until_case(client, cases, value[0], tokens)
            opened.append(value[0])
            return True, None

        # Many cases, each re-assigned a few times: their streams stay as short as the loop's (a stream read and
        # folded by every command and read grows with each event).
        await asyncio.gather(*(open_one(n) for n in range(clients * CASES_PER_CLIENT)))
        versions = dict.fromkeys(opened, 1)
        free = collections.deque(opened)

        async def reassign(_n: int) -> tuple[bool, Any]:
            case_id = free.popleft()
            try:
                response = await client.post(
                    f"{cases}/v1/cases/{case_id}/assign",
                    json=samples.assignment(timedelta(days=30)),
                    headers={"If-Match": str(versions[case_id])},
                    auth=tokens.office,
                )
                if response.status_code != 200:
                    return False, f"{response.status_code} {response.text[:200]}"
                versions[case_id] = response.json()["version"]
                return True, None
            finally:
                free.append(case_id)

        async def read(n: int) -> tuple[bool, Any]:
            response = await client.get(f"{cases}/v1/cases/{opened[n % len(opened)]}", auth=tokens.reader)
            return response.status_code == 200, response.status_code

        idle = await _idle(config, seconds)
        return {
            "clients": clients,
            "seconds": seconds,
            "idle_ms_per_s": idle,
            "reassign": await _phase(config, clients, seconds, reassign, idle),
            "read": await _phase(config, clients, seconds, read, idle),
        }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.loop_floor", description=__doc__)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()
    use_stack_keys()
    configure_logging("WARNING", json=False)
    print(json.dumps(asyncio.run(measure(args.clients, args.seconds)), ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
