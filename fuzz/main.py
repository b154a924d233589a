"""`python -m fuzz` (`make fuzz`): schemathesis against the running stack (`make up` first), one line per run.

First each service's whole API per role (stateless: ids are random, so a command mostly stops at its 404), then the
real targets are made through the HTTP APIs (fuzz.seed) and every command with a path id is fuzzed on them, by
each role that may send it and by one that may not (fuzz.runs). Exits 1 on any finding; logs, reports and the
runs' schemathesis.toml in .run/fuzz/.
"""

import argparse
import asyncio
import os
import sys
import time

import httpx

from demo.client import DemoError, Urls
from fuzz.runs import ACCOUNTABILITY, CASES, ENFORCEMENT, INTAKE, PROJECTIONS, STATEFUL, STATELESS, Run
from fuzz.schemathesis_run import ROOT, Outcome, st_run
from fuzz.seed import Targets, seed
from shared.signin import SignInSettings, signed_in
from shared.stack_keys import use_stack_keys

URLS = Urls(
    intake=f"http://127.0.0.1:{INTAKE}",
    cases=f"http://127.0.0.1:{CASES}",
    enforcement=f"http://127.0.0.1:{ENFORCEMENT}",
    accountability=f"http://127.0.0.1:{ACCOUNTABILITY}",
    projections=f"http://127.0.0.1:{PROJECTIONS}",
)
OUT = ROOT / ".run" / "fuzz"
COMMAND_METHODS = frozenset({"post", "put", "patch", "delete"})


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m fuzz", description="Schemathesis against the running stack")
    parser.add_argument(
        "--seconds",
        type=int,
        default=int(os.environ.get("FUZZ_SECONDS", "30")),
        help="time budget of each run (FUZZ_SECONDS, default 30)",
    )
    parser.add_argument("--only", choices=["stateless", "stateful"], help="one kind of run only")
    return parser.parse_args(argv)


def line(outcome: Outcome) -> str:
    run = outcome.run
    who = f"{run.role.value}({run.unit})" if run.unit else run.role.value
    kind = "refused" if run.refused else "stateful" if run.stateful else "stateless"
    if outcome.findings:
        result = f"FAILED: {len(outcome.findings)} finding(s) (see {outcome.log.relative_to(ROOT)})"
    elif outcome.targets_missing:
        result = f"FAILED: real targets answered 404 on {', '.join(outcome.missing_targets)}"
    else:
        result = "clean"
    if outcome.tool_errors:
        result += f"; schemathesis itself failed on {outcome.tool_errors} operation(s) (see {outcome.log.name})"
    kinds = ", ".join(f"{answer} {count}" for answer, count in sorted(outcome.answers.items()))
    return (
        f"  {run.port}  {who:<34} {kind:<9} {outcome.operations:>3} ops {outcome.generated:>6} cases "
        f"{outcome.seconds:>4.0f} s  {result}\n        answers: {kinds}"
    )


def uncovered(runs: tuple[Run, ...]) -> list[str]:
    """The command routes with a path id that the services publish but no stateful run sends: a new one must be
    added to fuzz.runs with the stage its target needs."""
    covered = {(run.port, c.operation) for run in runs for c in run.commands if not run.refused}
    missing = []
    for port in (INTAKE, CASES, ENFORCEMENT, ACCOUNTABILITY, PROJECTIONS):
        paths = httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=10).json()["paths"]
        for path, methods in paths.items():
            for method in methods:
                operation = f"{method.upper()} {path}"
                if method in COMMAND_METHODS and "{" in path and (port, operation) not in covered:
                    missing.append(f"{port} {operation}")
    return missing


def fuzz(runs: tuple[Run, ...], settings: SignInSettings, seconds: int, targets: Targets) -> list[Outcome]:
    outcomes = []
    for run in runs:
        # Signed in afresh for each run: an access token lives 5 minutes, a run FUZZ_SECONDS (30 s by default).
        token = signed_in(run.role, run.unit, settings).token()
        outcome = st_run(run, token, seconds, OUT, targets.get(run) if run.stateful else None)
        print(line(outcome), flush=True)
        for finding in outcome.findings:
            print(f"      {finding}", flush=True)
        outcomes.append(outcome)
    return outcomes


def main(argv: list[str] | None = None) -> None:
    args = arguments(argv)
    use_stack_keys()
    settings = SignInSettings()  # make up's Keycloak and development users (OIDC_ISSUER, DEV_USERS_FILE)
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    outcomes: list[Outcome] = []
    if args.only != "stateful":
        print(f"stateless: each service's whole API per role, {args.seconds} s a run", flush=True)
        outcomes += fuzz(STATELESS, settings, args.seconds, {})
    if args.only != "stateless":
        missing = uncovered(STATEFUL)
        if missing:
            sys.exit(f"make fuzz: command routes no stateful run sends (add them to fuzz/runs.py): {missing}")
        print("stateful: creating the real targets through the HTTP APIs …", flush=True)
        seeding = time.monotonic()
        try:
            targets = asyncio.run(seed(STATEFUL, URLS, settings))
        except DemoError as exc:
            sys.exit(f"make fuzz: the targets could not be made: {exc}")
        made = sum(len(t) for t in targets.values())
        print(f"  {made} targets in {time.monotonic() - seeding:.0f} s", flush=True)
        outcomes += fuzz(STATEFUL, settings, args.seconds, targets)
    failed = [o for o in outcomes if o.failed]
    print(
        f"total: {len(outcomes)} runs, {sum(o.operations for o in outcomes)} operations, "
        f"{sum(o.generated for o in outcomes)} generated cases, {sum(len(o.findings) for o in outcomes)} findings, "
        f"{len(failed)} failed runs, {time.monotonic() - started:.0f} s (logs: {OUT.relative_to(ROOT)}/)"
    )
    sys.exit(1 if failed else 0)
