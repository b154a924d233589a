"""`python -m shared.audit verify` (make verify): recomputes every hash chain of every service's event store.

Each store is read once, in key order, in a read-only snapshot; the answer is either every store intact with its
counts, or per store the first event of each broken stream, and how it does not match (shared/audit/verify.py).
It then recomputes each store's Merkle tree from its events and checks every signed checkpoint against it
(shared/audit/proofs_cli.py, which also gives `verify-proof`, `verify-consistency`, `verify-tree` and `new-key`).
Exit status 0 when all is intact, 1 when a chain or a checkpoint is broken, 2 when a store cannot be read.
"""

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence

import asyncpg
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.audit import proofs_cli
from shared.audit.verify import StoreReport, verify_store
from shared.settings import LOCAL_DATABASE_URL, dsn_for

SERVICES = ("intake", "cases", "enforcement", "accountability", "projections")
KINDS_ZH = {"changed": "被改动", "removed": "被删除", "inserted": "被插入", "reordered": "顺序被调换"}


class AuditSettings(BaseSettings):
    """The PostgreSQL server of the services' databases (DATABASE_URL, as the services read it)."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", hide_input_in_errors=True)
    database_url: str = LOCAL_DATABASE_URL


def stores(names: Sequence[str]) -> list[tuple[str, str]]:
    """(service, database) of each `service` or `service=database` given."""
    return [(name.partition("=")[0], name.partition("=")[2] or name) for name in names]


async def verify_all(server_url: str, named: Sequence[tuple[str, str]]) -> list[StoreReport]:
    return [await verify_store(service, dsn_for(server_url, database)) for service, database in named]


def render(reports: Sequence[StoreReport], seconds: float, limit: int) -> str:
    lines = []
    for report in reports:
        state = "intact" if not report.breaks else f"BROKEN in {len(report.breaks):,} stream(s)"
        lines.append(f"{report.name:<15} {report.events:>10,} events {report.streams:>9,} streams  {state}")
        for found in report.breaks[:limit]:
            lines.append(
                f"  {found.kind} ({KINDS_ZH[found.kind]}): stream {found.stream_id} version {found.stream_version}"
                f" event {found.event_id}: {found.detail}"
            )
        if len(report.breaks) > limit:
            lines.append(f"  ... and {len(report.breaks) - limit:,} more broken stream(s)")
    events = sum(r.events for r in reports)
    broken = sum(len(r.breaks) for r in reports)
    verdict = "all intact" if not broken else f"BROKEN: {broken:,} stream(s) do not match their chain"
    lines.append(f"{verdict}: {len(reports)} store(s), {events:,} events, {seconds:.2f} s")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m shared.audit", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("verify", help="recompute every chain of every service's event store")
    check.add_argument(
        "stores",
        nargs="*",
        default=list(SERVICES),
        help="services to verify, each as a name or name=database (default: the five, each in its own database)",
    )
    check.add_argument("--limit", type=int, default=20, help="broken streams named per store (default 20)")
    proofs_cli.add_commands(commands)
    args = parser.parse_args(argv)
    database_url = AuditSettings().database_url
    if args.command in proofs_cli.COMMANDS:
        sys.exit(proofs_cli.run(args, database_url))
    started = time.monotonic()
    try:
        reports = asyncio.run(verify_all(database_url, stores(args.stores)))
        # The log-wide trees: every signed checkpoint against the leaves recomputed from the events.
        trees = asyncio.run(proofs_cli.verify_trees(database_url, args.stores))
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"cannot read a store: {exc!r}", file=sys.stderr)
        sys.exit(2)
    print(render(reports, time.monotonic() - started, args.limit))
    print(proofs_cli.render_trees(trees, args.limit))
    sys.exit(1 if any(r.breaks for r in reports) or any(t.problems for _, t in trees) else 0)


if __name__ == "__main__":
    main()
