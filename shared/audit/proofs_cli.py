"""Checks an outside party runs with a proof and the service's public key alone, and the tree part of `make verify`.

    python -m shared.audit.proofs_cli verify-proof proof.json --keys keys.json      an inclusion proof
    python -m shared.audit.proofs_cli verify-consistency proof.json --key <base64>  a consistency proof
    python -m shared.audit.proofs_cli verify-tree [service[=database] ...]          every checkpoint vs the leaves
    python -m shared.audit.proofs_cli new-key                                       an AUDIT_SIGNING_KEY

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
from shared.settings import LOCAL_DATABASE_URL, dsn_for

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


async def _verify_trees(server_url: str, stores: Sequence[str]) -> list[tuple[str, TreeReport]]:
    reports = []
    for name in stores:
        service, _, database = name.partition("=")
        conn = await asyncpg.connect(dsn_for(server_url, database or service))
        try:
            reports.append((service, await verify_tree(conn, service)))
        finally:
            await conn.close()
    return reports


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m shared.audit.proofs_cli", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("verify-proof", "verify-consistency"):
        command = commands.add_parser(name)
        command.add_argument("proof", type=Path)
        command.add_argument("--key", action="append", help="a public key, base64 of its 32 bytes")
        command.add_argument("--keys", action="append", type=Path, help="GET /v1/audit/keys's answer, saved")
    tree = commands.add_parser("verify-tree")
    tree.add_argument("stores", nargs="*", default=list(SERVICES), help="service or service=database")
    tree.add_argument("--database-url", default=LOCAL_DATABASE_URL)
    commands.add_parser("new-key")
    args = parser.parse_args(argv)
    if args.command == "new-key":
        key = new_key()
        print(f"AUDIT_SIGNING_KEY={key}\n# public key: {b64(public_bytes(load_private_key(key).public_key()))}")
        return
    if args.command == "verify-tree":
        reports = asyncio.run(_verify_trees(args.database_url, args.stores))
        for service, report in reports:
            state = "intact" if not report.problems else "BROKEN"
            print(f"{service:<15} {report.leaves:>10,} leaves {report.checkpoints:>6,} checkpoints  {state}")
            for problem in report.problems[:20]:
                print(f"  {problem}")
        sys.exit(1 if any(r.problems for _, r in reports) else 0)
    try:
        failure = _check_proof(args)
    except (OSError, ValueError, KeyError) as exc:
        print(f"cannot read the proof or the keys: {exc}", file=sys.stderr)
        sys.exit(2)
    print(failure or "proof holds: signed by the given key, and the log is as it says")
    sys.exit(1 if failure else 0)


if __name__ == "__main__":
    main()
