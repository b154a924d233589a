"""Signed checkpoints (签名检查点): a service's log as (service, size, root, time), signed with the service's key.

The signed bytes are a C2SP tlog checkpoint body with one extension line, the time:

    county-env/<service>\n<size>\n<root, base64>\n<time, RFC 3339 UTC>\n

Ed25519 (RFC 8032, `cryptography`, already a dependency): deterministic, 64-byte signatures, public keys of 32 bytes
anyone verifies with any library. SM2 would be the national standard, but the only Python SM2 is pure-Python `gmssl`,
unmaintained since 2023 and not constant-time; the choice is one function here should a maintained one appear.
A key is named by its id: the first 8 bytes of SHA-256 over the raw public key, in hex.
"""

import base64
import binascii
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.audit.merkle import HASH_SIZE

ORIGIN_PREFIX = "county-env/"
ALGORITHM = "Ed25519"


@dataclass(frozen=True)
class Checkpoint:
    service: str
    size: int
    root: bytes
    time: datetime

    def body(self) -> bytes:
        """The bytes signed: origin, size, root and time, one a line."""
        when = self.time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return f"{ORIGIN_PREFIX}{self.service}\n{self.size}\n{b64(self.root)}\n{when}\n".encode()


@dataclass(frozen=True)
class SignedCheckpoint:
    checkpoint: Checkpoint
    key_id: str
    signature: bytes

    def to_json(self) -> dict[str, object]:
        """The published form (the API, `audit.checkpoints`, `province.outbound`): every field, and the body signed."""
        c = self.checkpoint
        return {
            "service": c.service,
            "size": c.size,
            "root": b64(c.root),
            "time": c.time.astimezone(UTC).isoformat(),
            "algorithm": ALGORITHM,
            "key_id": self.key_id,
            "signature": b64(self.signature),
            "body": c.body().decode(),
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> "SignedCheckpoint":
        """Parsed from its published form; raises ValueError on a field missing or malformed."""
        try:
            root = unb64(str(data["root"]))
            if len(root) != HASH_SIZE:
                raise ValueError(f"root is {len(root)} bytes, not {HASH_SIZE}")
            checkpoint = Checkpoint(
                service=str(data["service"]),
                size=int(str(data["size"])),
                root=root,
                time=datetime.fromisoformat(str(data["time"])),
            )
            return cls(checkpoint, str(data["key_id"]), unb64(str(data["signature"])))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a checkpoint: {exc!r}") from exc


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    try:
        return base64.b64decode(text.encode(), validate=True)
    except binascii.Error as exc:
        raise ValueError(f"not base64: {exc}") from exc


def public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    return hashlib.sha256(public_bytes(key)).hexdigest()[:16]


def new_key() -> str:
    """A new signing key as configuration holds it: the 32-byte Ed25519 seed, base64."""
    return b64(Ed25519PrivateKey.generate().private_bytes_raw())


def load_private_key(text: str) -> Ed25519PrivateKey:
    """A signing key from configuration (base64 of the 32-byte seed); ValueError when it is not one."""
    seed = unb64(text.strip())
    if len(seed) != 32:
        raise ValueError(f"an Ed25519 key is 32 bytes, this one {len(seed)}")
    return Ed25519PrivateKey.from_private_bytes(seed)


def load_public_key(text: str) -> Ed25519PublicKey:
    """A published public key (base64 of its 32 raw bytes)."""
    raw = unb64(text.strip())
    if len(raw) != 32:
        raise ValueError(f"an Ed25519 public key is 32 bytes, this one {len(raw)}")
    return Ed25519PublicKey.from_public_bytes(raw)


def sign(checkpoint: Checkpoint, key: Ed25519PrivateKey) -> SignedCheckpoint:
    return SignedCheckpoint(checkpoint, key_id(key.public_key()), key.sign(checkpoint.body()))


def verify_signature(signed: SignedCheckpoint, key: Ed25519PublicKey) -> bool:
    """Whether `key` signed this checkpoint (its id and its signature over the body)."""
    if signed.key_id != key_id(key):
        return False
    try:
        key.verify(signed.signature, signed.checkpoint.body())
    except InvalidSignature:
        return False
    return True
