"""A service's audit log in its database (审计日志): signing checkpoints, and the proofs against them.

A checkpoint is made in one transaction that holds the tree's row (shared/audit/leaves.py: the appender waits, so the
size and root are those of placed leaves), stores the signed checkpoint and appends it as a `CheckpointSigned` event
whose outbox row names `audit.checkpoints`: the relay publishes it, as a CloudEvent, if and only if it was stored.
Intake forwards every service's to the province on `province.outbound` (services/intake/province_outbound.py), which
keeps one writer. That event is itself a leaf of a later tree; a log that grew by checkpoints alone is not signed
again.
"""

import asyncio
import contextlib
import uuid
from dataclasses import dataclass, field
from uuid import UUID

import asyncpg
import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared import clock
from shared.audit import leaves
from shared.audit.checkpoints import (
    Checkpoint,
    SignedCheckpoint,
    b64,
    key_id,
    load_private_key,
    load_public_key,
    public_bytes,
    sign,
    verify_signature,
)
from shared.audit.merkle import Frontier, consistency_proof, inclusion_proof, leaf_hash
from shared.audit.proofs import ConsistencyProof, InclusionProof
from shared.contracts.audit import CheckpointSigned
from shared.db import Connection
from shared.eventstore import EventStore, Metadata
from shared.settings import DEVELOPMENT, ServiceSettings

log = structlog.get_logger()

ACTOR = "system:audit"
CHECKPOINT_TOPIC = "audit.checkpoints"


CHECKPOINT_TYPE = CheckpointSigned.event_type()
# Whether the log grew since a checkpoint of `$1` leaves by more than checkpoints: each checkpoint is itself an event,
# and a log that only signed (or forwarded) checkpoints since is not signed again.
_GREW = """select exists (select 1 from audit_leaves l join events e using (event_id)
                          where l.position >= $1 and e.type <> $2)"""


class NoSigningKey(Exception):
    """AUDIT_SIGNING_KEY is not set (development only): the service keeps its log but signs no checkpoint."""


class SigningKeyRequired(Exception):
    """Outside development a service that keeps an audit log must sign it: a log no one signs proves nothing."""


def require_signing_key(settings: ServiceSettings) -> None:
    """Refuses to start a service without AUDIT_SIGNING_KEY unless ENVIRONMENT=development is set explicitly."""
    if not settings.audit_signing_key and settings.environment != DEVELOPMENT:
        raise SigningKeyRequired(
            "AUDIT_SIGNING_KEY 未设置：ENVIRONMENT 不是 development 时，保存审计日志的服务必须有签名密钥"
            "（python -m shared.audit new-key 生成）。"
            f" AUDIT_SIGNING_KEY is not set for {settings.service_name}: it is required unless"
            " ENVIRONMENT=development is set explicitly (make one with `python -m shared.audit new-key`)."
        )


class NoCheckpoint(Exception):
    """No checkpoint of that size, or none yet, or none that holds the event."""


@dataclass(frozen=True)
class AuditLog:
    service: str
    store: EventStore  # appends CheckpointSigned with its audit.checkpoints outbox row
    key: Ed25519PrivateKey | None
    retired: tuple[Ed25519PublicKey, ...] = field(default=())

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> "AuditLog":
        retired = tuple(load_public_key(k) for k in settings.audit_retired_keys.split(",") if k.strip())
        key = load_private_key(settings.audit_signing_key) if settings.audit_signing_key else None
        store = EventStore(topic=settings.topic(CHECKPOINT_TOPIC), slots=settings.outbox_slots)
        return cls(settings.service_name, store, key, retired)

    @property
    def stream_id(self) -> str:
        return f"audit-checkpoints:{self.service}"

    def public_keys(self) -> list[Ed25519PublicKey]:
        """The keys a checkpoint of this service may be signed with: the current one first."""
        return ([self.key.public_key()] if self.key else []) + list(self.retired)

    def published_keys(self) -> list[dict[str, str]]:
        """`GET /v1/audit/keys`: every public key, raw 32 bytes in base64, with its id."""
        return [
            {"key_id": key_id(k), "algorithm": "Ed25519", "public_key": b64(public_bytes(k)), "current": str(i == 0)}
            for i, k in enumerate(self.public_keys())
        ]

    async def checkpoint(self, conn: Connection) -> tuple[SignedCheckpoint, bool]:
        """Signs the tree as it stands (after placing what has committed), unless nothing but checkpoints was added
        since the latest checkpoint (then that one); returns the checkpoint and whether it is new."""
        if self.key is None:
            raise NoSigningKey
        await leaves.place_all(conn)
        async with conn.transaction():
            tree = await conn.fetchrow("select size, frontier from audit_tree for update")
            assert tree is not None
            latest = await conn.fetchrow("select * from audit_checkpoints order by size desc limit 1")
            if latest is not None and not await conn.fetchval(_GREW, latest["size"], CHECKPOINT_TYPE):
                return _signed(self.service, latest), False
            root = Frontier(tree["size"], tuple(tree["frontier"])).root()
            signed = sign(Checkpoint(self.service, tree["size"], root, clock.now()), self.key)
            await conn.execute(
                "insert into audit_checkpoints (size, root, signed_at, key_id, signature) values ($1, $2, $3, $4, $5)",
                signed.checkpoint.size,
                root,
                signed.checkpoint.time,
                signed.key_id,
                signed.signature,
            )
            await self._publish(conn, signed)
        log.info("audit_checkpoint_signed", size=signed.checkpoint.size, key_id=signed.key_id)
        return signed, True

    async def _publish(self, conn: Connection, signed: SignedCheckpoint) -> None:
        data = signed.to_json()
        event = CheckpointSigned(
            service=self.service,
            size=signed.checkpoint.size,
            root=str(data["root"]),
            signed_at=signed.checkpoint.time,
            algorithm=str(data["algorithm"]),
            key_id=signed.key_id,
            signature=str(data["signature"]),
            body=str(data["body"]),
        )
        meta = Metadata(actor=ACTOR, correlation_id=str(uuid.uuid4()))
        version = await self.store.version(conn, self.stream_id)
        await self.store.append(conn, self.stream_id, [event], version, meta)

    async def checkpoints(self, conn: Connection, limit: int) -> list[SignedCheckpoint]:
        rows = await conn.fetch("select * from audit_checkpoints order by size desc limit $1", limit)
        return [_signed(self.service, r) for r in rows]

    async def _checkpoint_at(self, conn: Connection, size: int | None) -> SignedCheckpoint:
        row = await conn.fetchrow(
            "select * from audit_checkpoints where size = $1"
            if size is not None
            else "select * from audit_checkpoints order by size desc limit 1",
            *([size] if size is not None else []),
        )
        if row is None:
            raise NoCheckpoint(f"no checkpoint of size {size}" if size is not None else "no checkpoint yet")
        return _signed(self.service, row)

    async def inclusion(self, conn: Connection, event_id: UUID, size: int | None) -> InclusionProof:
        """The event's inclusion proof against the checkpoint of `size` (default: the latest)."""
        checkpoint = await self._checkpoint_at(conn, size)
        leaf = await conn.fetchrow("select position, hash from audit_leaves where event_id = $1", event_id)
        if leaf is None:
            raise NoCheckpoint(f"event {event_id} is not in the log yet")
        if leaf["position"] >= checkpoint.checkpoint.size:
            raise NoCheckpoint(f"event {event_id} came after the checkpoint of size {checkpoint.checkpoint.size}")
        size = checkpoint.checkpoint.size
        hashes, tiles = await leaves.proof_inputs(conn, size, leaf["position"])
        path = inclusion_proof(hashes, leaf["position"], size, tiles)
        return InclusionProof(str(event_id), leaf["hash"], leaf["position"], tuple(path), checkpoint)

    async def consistency(self, conn: Connection, old_size: int, new_size: int) -> ConsistencyProof:
        """That the checkpoint of `old_size` is a prefix of that of `new_size` (both must exist)."""
        old, new = await self._checkpoint_at(conn, old_size), await self._checkpoint_at(conn, new_size)
        hashes, tiles = await leaves.proof_inputs(conn, new_size, old_size - 1, old_size)
        path = consistency_proof(hashes, old_size, new_size, tiles)
        return ConsistencyProof(old, new, tuple(path))


def _signed(service: str, row: asyncpg.Record) -> SignedCheckpoint:
    checkpoint = Checkpoint(service, row["size"], bytes(row["root"]), row["signed_at"])
    return SignedCheckpoint(checkpoint, row["key_id"], bytes(row["signature"]))


async def run_checkpoints(audit: AuditLog, pool: asyncpg.Pool, stopping: asyncio.Event, every: float) -> None:
    """The background job: a checkpoint every `every` seconds when the log grew, until the service stops."""
    if audit.key is None:
        log.warning("audit_signing_key_missing", service=audit.service, hint="set AUDIT_SIGNING_KEY")
        await stopping.wait()
        return
    while not stopping.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), every)
        if stopping.is_set():
            return
        try:
            async with pool.acquire() as conn:
                await audit.checkpoint(conn)
        except Exception as exc:  # the job must outlive a lost connection; the next round signs what this one did not
            log.warning("audit_checkpoint_failed", error=repr(exc))


@dataclass(frozen=True)
class TreeReport:
    """`make verify`'s part for one store: its leaves recomputed from the events and every checkpoint checked."""

    leaves: int
    checkpoints: int
    problems: tuple[str, ...]


# Every leaf with its event's hash now (null when the event row is gone), in position order.
_LEAVES_AND_EVENTS = """select l.position, l.event_id, l.hash as leaf, e.hash as event
                          from audit_leaves l left join events e using (event_id) order by l.position"""


async def verify_tree(conn: Connection, service: str, keys: list[Ed25519PublicKey] | None = None) -> TreeReport:
    """Recomputes the tree from the events' hashes as they are now and compares it with every stored checkpoint (and
    its signature, when `keys` are given); names the first leaf whose event changed or is gone."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        return await _verify_tree(conn, service, keys)


async def _verify_tree(conn: Connection, service: str, keys: list[Ed25519PublicKey] | None) -> TreeReport:
    problems: list[str] = []
    checkpoints = await conn.fetch("select * from audit_checkpoints order by size")
    frontier, due = Frontier(), list(checkpoints)
    positions = 0
    async for row in conn.cursor(_LEAVES_AND_EVENTS):
        if row["position"] != positions:
            problems.append(f"leaf {positions} is missing (next is {row['position']})")
            break
        data = row["event"]
        if data is None:
            problems.append(f"leaf {positions}: event {row['event_id']} was removed")
            data = row["leaf"]
        elif bytes(data) != bytes(row["leaf"]):
            problems.append(f"leaf {positions}: event {row['event_id']}'s hash is not the one placed (changed)")
        frontier = frontier.append(leaf_hash(bytes(data)))
        positions += 1
        while due and due[0]["size"] == frontier.size:
            problems += _checkpoint_problems(service, due.pop(0), frontier.root(), keys)
    for row in due:
        problems.append(f"checkpoint of size {row['size']} is beyond the {positions} leaves")
    return TreeReport(positions, len(checkpoints), tuple(problems))


def _checkpoint_problems(
    service: str, row: asyncpg.Record, root: bytes, keys: list[Ed25519PublicKey] | None
) -> list[str]:
    problems = []
    if bytes(row["root"]) != root:
        problems.append(f"checkpoint of size {row['size']}: the leaves' root is not the signed root")
    if keys is not None and not any(verify_signature(_signed(service, row), k) for k in keys):
        problems.append(f"checkpoint of size {row['size']}: signature does not verify")
    return problems
