"""The top frames of a py-spy profile of a service's event loop, as text for bench/README.md.

    py-spy record -p <pid> -d 14 -r 100 -f raw -o intake.txt      # while wrk loads the service
    .venv/bin/python -m bench.profile_summary intake.txt [--top 20]

Only the loop thread is counted (the thread pool's idle workers would swamp it). Each sample is given to the SQL
statement it waits in (by the line of our code that sent it), else to the innermost stage of the request path it
is in (token check, body validation, middleware...), else to the function it is in. py-spy cannot tell uvloop idle
from busy, so the shares are of the loop thread's wall time; the CPU per request comes from /proc (README).
"""

import argparse
import collections
import re
from pathlib import Path

# Stages of the request path, searched from the innermost frame outwards.
STAGES = (
    "verify_token",
    "request_body_to_args",
    "serialize_response",
    "Request.json",
    "Request.body",
    "masked",
    "classify",
    "Envelope.wrap",
    "model_dump",
    "decide",
    "PoolConnectionHolder.release",
    "PoolAcquireContext.__aenter__",
    "RequestResponseCycle.send",
    "HttpToolsProtocol.data_received",
    "Transaction.__aenter__",
    "Transaction.__aexit__",
    "solve_dependencies",
    "submit_report",
    "CorrelationIdMiddleware.__call__",
    "BodyLimit.__call__",
    "RefuseControlCharactersInUrl.__call__",
    "PrometheusInstrumentatorMiddleware.__call__",
    "OutboxRelay",
    "AIOKafka",
)
SQL_LEAF = re.compile(r"Connection\.(_do_execute|execute) ")
PATH_PREFIX = re.compile(r"\(.*/(site-packages|python3\.\d+)/|\(/work/[^/]+/")


def summary(profile: Path) -> tuple[int, collections.Counter[str]]:
    """The loop thread's samples, and how many went where."""
    where: collections.Counter[str] = collections.Counter()
    total = 0
    for line in profile.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack.startswith("_run_module_as_main"):
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        if SQL_LEAF.match(frames[-1]):
            caller = next(f for f in reversed(frames) if "asyncpg" not in f)
            where["SQL at " + PATH_PREFIX.sub("(", caller)] += n
            continue
        names = [re.sub(r" \(.*", "", f) for f in frames]
        stage = next((s for name in reversed(names) for s in STAGES if name.startswith(s)), None)
        where[f"in {stage}" if stage else f"other: {names[-1]}"] += n
    return total, where


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("profile", type=Path, help="py-spy record -f raw output")
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    total, where = summary(args.profile)
    sql = sum(n for name, n in where.items() if name.startswith("SQL at "))
    statements = sum(1 for name in where if name.startswith("SQL at "))
    share = 100 * sql / max(total, 1)
    print(f"loop thread: {total} samples; in asyncpg statement calls {share:.1f} % from {statements} call sites")
    for name, n in where.most_common(args.top):
        print(f"{100 * n / total:5.1f} %  {name}")


if __name__ == "__main__":
    main()
