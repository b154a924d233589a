"""Proofs an outside party checks without the database: an event's inclusion in a signed checkpoint, and one
checkpoint's tree being a prefix of a later one's (consistency, 一致性证明).

Both are JSON as `GET /v1/audit/proof/{event_id}` and `GET /v1/audit/consistency` answer them; `verify_*` need only
that JSON and the service's public key (`GET /v1/audit/keys`), and say what failed, in English for the log and the
command line (`python -m shared.audit verify-proof`).
"""

from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from shared.audit import merkle
from shared.audit.checkpoints import SignedCheckpoint, b64, unb64, verify_signature

# A proof path is at most one hash per level of a tree of 2^63 leaves: anything longer is refused before it is read.
MAX_PATH = 64


@dataclass(frozen=True)
class InclusionProof:
    """That the event whose hash is `event_hash` is leaf `index` of the tree `checkpoint` signs."""

    event_id: str
    event_hash: bytes
    index: int
    path: tuple[bytes, ...]
    checkpoint: SignedCheckpoint

    def to_json(self) -> dict[str, object]:
        return {
            "event_id": self.event_id,
            "event_hash": b64(self.event_hash),
            "index": self.index,
            "path": [b64(p) for p in self.path],
            "checkpoint": self.checkpoint.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> "InclusionProof":
        checkpoint = data.get("checkpoint")
        if not isinstance(checkpoint, dict):
            raise ValueError("checkpoint missing")
        return cls(
            event_id=str(data["event_id"]),
            event_hash=unb64(str(data["event_hash"])),
            index=int(str(data["index"])),
            path=_path(data.get("path")),
            checkpoint=SignedCheckpoint.from_json(checkpoint),
        )


@dataclass(frozen=True)
class ConsistencyProof:
    """That `old`'s tree is the first `old.size` leaves of `new`'s."""

    old: SignedCheckpoint
    new: SignedCheckpoint
    path: tuple[bytes, ...]

    def to_json(self) -> dict[str, object]:
        return {"from": self.old.to_json(), "to": self.new.to_json(), "path": [b64(p) for p in self.path]}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> "ConsistencyProof":
        old, new = data.get("from"), data.get("to")
        if not isinstance(old, dict) or not isinstance(new, dict):
            raise ValueError("from or to missing")
        return cls(SignedCheckpoint.from_json(old), SignedCheckpoint.from_json(new), _path(data.get("path")))


def _path(value: object) -> tuple[bytes, ...]:
    if not isinstance(value, list) or len(value) > MAX_PATH:
        raise ValueError(f"path must be a list of at most {MAX_PATH} hashes")
    path = tuple(unb64(str(p)) for p in value)
    if any(len(p) != merkle.HASH_SIZE for p in path):
        raise ValueError(f"every path hash is {merkle.HASH_SIZE} bytes")
    return path


def verify_inclusion(proof: InclusionProof, keys: Sequence[Ed25519PublicKey]) -> str | None:
    """None when one of `keys` signed the checkpoint and the event is its leaf `index`; else what failed."""
    if not any(verify_signature(proof.checkpoint, key) for key in keys):
        return f"checkpoint signature does not verify with the given keys (key id {proof.checkpoint.key_id})"
    c = proof.checkpoint.checkpoint
    if not merkle.verify_inclusion(merkle.leaf_hash(proof.event_hash), proof.index, c.size, proof.path, c.root):
        return f"event {proof.event_id} is not leaf {proof.index} of the tree of {c.size} leaves signed at {c.time}"
    return None


def verify_consistency(proof: ConsistencyProof, keys: Sequence[Ed25519PublicKey]) -> str | None:
    """None when both checkpoints are signed by one of `keys`, of one service, and the older tree is a prefix of the
    newer; else what failed."""
    for which, signed in (("from", proof.old), ("to", proof.new)):
        if not any(verify_signature(signed, key) for key in keys):
            return f"{which} checkpoint signature does not verify with the given keys (key id {signed.key_id})"
    old, new = proof.old.checkpoint, proof.new.checkpoint
    if old.service != new.service:
        return f"checkpoints of two services: {old.service}, {new.service}"
    if not merkle.verify_consistency(old.size, new.size, old.root, new.root, proof.path):
        return f"the tree of {old.size} leaves is not a prefix of the tree of {new.size}: the log was rewritten"
    return None
