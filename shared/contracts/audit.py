"""The audit log's signed checkpoints (签名检查点), on `audit.checkpoints` and to the province on `province.outbound`.

Each service with an event store signs, at an interval and on demand, the root of the Merkle tree over its events
(shared/audit/merkle.py, RFC 9162) with its Ed25519 key (`GET /v1/audit/keys`). Whoever keeps these can later ask for
a consistency proof between two of them, or an inclusion proof of one event, and check it without the database.
"""

from typing import ClassVar

from pydantic import AwareDatetime, Field

from shared.contracts.base import Event

_BASE64_32 = r"^[A-Za-z0-9+/]{43}=$"


class CheckpointSigned(Event):
    """审计检查点: the service's log of `size` events has Merkle root `root`; `signature` signs `body` with `key_id`."""

    label: ClassVar[str] = "审计检查点"

    service: str = Field(min_length=1, max_length=64, description="the service whose event store the tree covers")
    size: int = Field(ge=0, description="leaves (events) in the tree")
    root: str = Field(pattern=_BASE64_32, description="RFC 9162 Merkle tree hash (SHA-256), base64")
    signed_at: AwareDatetime
    algorithm: str = Field(description="Ed25519")
    key_id: str = Field(min_length=16, max_length=16, description="first 8 bytes of SHA-256 of the public key, hex")
    signature: str = Field(max_length=100, description="Ed25519 signature of `body`, base64")
    body: str = Field(max_length=500, description="the signed text: origin, size, root, time, one a line")


EVENTS: tuple[type[Event], ...] = (CheckpointSigned,)
