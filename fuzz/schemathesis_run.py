"""One schemathesis CLI run (`st run`) and what its JSON report says.

A stateful run fixes the id in each command's path with schemathesis's own per-operation configuration
(`[[operations]]` with `parameters`, in a schemathesis.toml written for the run), so every generated body is read by
a command on a real target. Our checks (fuzz.checks) are loaded as schemathesis hooks.
"""

import json
import os
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from fuzz.runs import Run

ROOT = Path(__file__).resolve().parent.parent
ST = ROOT / ".venv" / "bin" / "st"
PHASES = "examples,coverage,fuzzing"


@dataclass(frozen=True)
class Outcome:
    run: Run
    operations: int
    generated: int
    answers: dict[str, int]  # how many responses of each kind ("2xx", "409", "422", "401/403/404", "5xx", "other")
    findings: tuple[str, ...]  # "check on operation: message", one per unique failure
    tool_errors: int  # schemathesis itself failed on an operation: says nothing about the API
    missing_targets: tuple[str, ...]  # operations that kept answering 404: their fixed id was not found
    seconds: float
    log: Path

    @property
    def failed(self) -> bool:
        return bool(self.findings) or self.targets_missing

    @property
    def targets_missing(self) -> bool:
        """A stateful run whose real targets answered 404: its commands never read a body."""
        return self.run.stateful and not self.run.refused and bool(self.missing_targets)


def config(targets: dict[str, str], run: Run) -> str:
    """The run's schemathesis.toml: each command's path parameter fixed to its real target."""
    parameter = {c.operation: c.parameter for c in run.commands}
    blocks = [
        f"[[operations]]\ninclude-name = {json.dumps(operation)}\nparameters = {{ {parameter[operation]} = "
        f"{json.dumps(ident)} }}\n"
        for operation, ident in targets.items()
    ]
    return "\n".join(blocks)


def st_run(run: Run, token: str, seconds: int, out: Path, targets: dict[str, str] | None = None) -> Outcome:
    log, report, har = out / f"{run.name}.log", out / f"{run.name}.json", out / f"{run.name}.har.json"
    report.unlink(missing_ok=True)
    har.unlink(missing_ok=True)
    command = [str(ST)]
    if targets is not None:
        config_file = out / f"{run.name}.toml"
        config_file.write_text(config(targets, run), encoding="utf-8")
        command += ["--config-file", str(config_file)]
    command += [
        "run",
        f"http://127.0.0.1:{run.port}/openapi.json",
        "-H",
        f"Authorization: Bearer {token}",
        "--checks",
        ",".join(run.checks),
        "--phases",
        PHASES,
        "--max-time",
        str(seconds),
        "--workers",
        "1",
        "--report",
        "json,har",
        "--report-json-path",
        str(report),
        "--report-har-path",
        str(har),
    ]
    for c in run.commands:
        command += ["--include-name", c.operation]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "fuzz.checks", "PYTHONPATH": str(ROOT)}
    with log.open("w", encoding="utf-8") as sink:
        subprocess.run(command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT, check=False)
    return _outcome(run, report, har, log)


def answers(har: Path) -> dict[str, int]:
    """The responses of the run by kind, from its HAR file (every request schemathesis sent)."""
    counted: Counter[str] = Counter()
    if har.exists():
        for entry in json.loads(har.read_text(encoding="utf-8"))["log"]["entries"]:
            counted[_kind(int(entry["response"]["status"]))] += 1
    return dict(counted)


def _kind(status: int) -> str:
    if 200 <= status < 300:
        return "2xx"
    if status in (401, 403, 404):
        return "401/403/404"
    if status >= 500:
        return "5xx"
    return str(status) if status in (409, 422) else "other"


def _outcome(run: Run, report: Path, har: Path, log: Path) -> Outcome:
    if not report.exists():
        return Outcome(run, 0, 0, {}, (f"schemathesis wrote no report (see {log})",), 0, (), 0.0, log)
    data = json.loads(report.read_text(encoding="utf-8"))
    findings = tuple(
        f"{f.get('code', '')} {f.get('title', '?')} ×{f.get('count', 1)} on {', '.join(f.get('operations', []))}"
        for f in data.get("failures", [])
    )
    return Outcome(
        run=run,
        operations=int(data["operations"]["tested"]),
        generated=int(data["test_cases"]["generated"]),
        answers=answers(har),
        findings=findings,
        tool_errors=len(data.get("errors", [])),
        missing_targets=tuple(data.get("warnings", {}).get("missing_test_data", [])),
        seconds=float(data.get("running_time", 0.0)),
        log=log,
    )
