"""Checks an outside party runs with a proof and the service's public key alone, and the tree part of `make verify`.

    python -m shared.audit verify-proof proof.json --keys keys.json      an inclusion proof
    python -m shared.audit verify-consistency proof.json --key <base64>  a consistency proof
    python -m shared.audit verify-tree [service[=database] ...]          every checkpoint vs the leaves
    python -m shared.audit new-key                                       an AUDIT_SIGNING_KEY

`proof.json` is the answer of `GET /v1/audit/proof/{event_id}` or `GET /v1/audit/consistency?from=&to=`; the keys are
those of `GET /v1/audit/keys` (saved as a file: `--keys`) or one public key (`--key`). Exit status 0 when the proof
holds (or every tree matches its checkpoints), 1 when it does not, 2 when an input cannot be read.
"""

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from shared.audit import proofs
from shared.audit.checkpoints import b64, load_private_key, load_public_key, new_key, public_bytes
from shared.audit.log import TreeReport, verify_tree
from shared.settings import dsn_for

SERVICES = ("intake", "cases", "enforcement", "accountability")
# A proof or keys file is small: refuse anything larger before reading it.
MAX_INPUT_BYTES = 64 * 1024


def _read_json(path: Path) -> Any:
    if path.stat().st_size > MAX_INPUT_BYTES:
        raise ValueError(f"{path} is larger than {MAX_INPUT_BYTES} bytes")
    return json.loads(path.read_text(encoding="utf-8"))


def _keys(args: argparse.Namespace) -> list[Ed25519PublicKey]:
    keys = [load_public_key(k) for k in args.key or ()]
    for path in args.keys or ():
        keys += [load_public_key(k["public_key"]) for k in _read_json(path)["keys"]]
    if not keys:
        raise ValueError("give the service's public key: --key BASE64 or --keys FILE (GET /v1/audit/keys)")
    return keys


def _check_proof(args: argparse.Namespace) -> str | None:
    data = _read_json(args.proof)
    if args.command == "verify-proof":
        return proofs.verify_inclusion(proofs.InclusionProof.from_json(data), _keys(args))
    return proofs.verify_consistency(proofs.ConsistencyProof.from_json(data), _keys(args))


async def verify_trees(server_url: str, stores: Sequence[str]) -> list[tuple[str, TreeReport]]:
    reports = []
    for name in stores:
        service, _, database = name.partition("=")
        conn = await asyncpg.connect(dsn_for(server_url, database or service))
        try:
            reports.append((service, await verify_tree(conn, service)))
        finally:
            await conn.close()
    return reports


COMMANDS = ("verify-proof", "verify-consistency", "verify-tree", "new-key")


def add_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """This module's subcommands, for `python -m shared.audit`."""
    for name in ("verify-proof", "verify-consistency"):
        command = commands.add_parser(
            name, help=f"check a proof of GET /v1/audit/{'proof' if 'proof' in name else 'consistency'}"
        )
        command.add_argument("proof", type=Path)
        command.add_argument("--key", action="append", help="a public key, base64 of its 32 bytes")
        command.add_argument("--keys", action="append", type=Path, help="GET /v1/audit/keys's answer, saved")
    tree = commands.add_parser(
        "verify-tree", help="every stored checkpoint against the leaves recomputed from the events"
    )
    tree.add_argument("stores", nargs="*", default=list(SERVICES), help="service or service=database")
    commands.add_parser("new-key", help="a new AUDIT_SIGNING_KEY and its public key")


def render_trees(reports: Sequence[tuple[str, TreeReport]], limit: int = 20) -> str:
    lines = []
    for service, report in reports:
        state = "intact" if not report.problems else "BROKEN"
        lines.append(f"{service:<15} {report.leaves:>10,} leaves {report.checkpoints:>6,} checkpoints  {state}")
        lines += [f"  {problem}" for problem in report.problems[:limit]]
    return "\n".join(lines)


def run(args: argparse.Namespace, database_url: str) -> int:
    """Runs one of COMMANDS; its exit status."""
    if args.command == "new-key":
        key = new_key()
        print(f"AUDIT_SIGNING_KEY={key}\n# public key: {b64(public_bytes(load_private_key(key).public_key()))}")
        return 0
    if args.command == "verify-tree":
        reports = asyncio.run(verify_trees(database_url, args.stores))
        print(render_trees(reports))
        return 1 if any(r.problems for _, r in reports) else 0
    try:
        failure = _check_proof(args)
    except (OSError, ValueError, KeyError) as exc:
        print(f"cannot read the proof or the keys: {exc}", file=sys.stderr)
        return 2
    print(failure or "proof holds: signed by the given key, and the log is as it says")
    return 1 if failure else 0
