"""Audit events: reads that matter (查阅留痕) and the event stores' signed checkpoints (签名检查点).

Reads: reading a reporter's contact and erasing it (intake, on `audit.reads.intake`), exporting the ledger and opening
a case's timeline (projections, on `audit.reads.projections`) are recorded as events: who (the envelope's actor), in
which role, what, when (the envelope's time) and from which address. Each is appended through the reading service's
outbox in its own new stream, so nothing is lost and nothing is published that was not stored. A contact's name,
phone or text never enters one of them.

Checkpoints: each service with an event store signs, at an interval and on demand, the root of the Merkle tree over
its events (shared/audit/merkle.py, RFC 9162) with its Ed25519 key (`GET /v1/audit/keys`), on `audit.checkpoints` and
to the province on `province.outbound`. Whoever keeps these can later ask for a consistency proof between two of
them, or an inclusion proof of one event, and check it without the database.
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


class Read(Event):
    """What every audit event carries besides the envelope's actor and time."""

    role: str = Field(min_length=1, max_length=32, description="the reader's role (shared.auth.Role)")
    address: str = Field(min_length=1, max_length=64, description="the client's address, behind trusted proxies")


class ContactRead(Read):
    """举报人联系方式被查阅: an operator read the contacts of an issue's reports."""

    label: ClassVar[str] = "查阅举报人信息"

    issue_id: str = Field(min_length=1, max_length=64)
    report_ids: list[str] = Field(max_length=10_000, description="the reports whose contacts the answer held")


class ContactErased(Read):
    """举报人信息依申请删除: the report's data key destroyed; its contact can no longer be read by anyone."""

    label: ClassVar[str] = "删除举报人信息"

    issue_id: str = Field(min_length=1, max_length=64)
    report_id: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=500, description="删除依据 (never the reporter's name or phone)")


class LedgerExported(Read):
    """整改台账导出: who took the ledger away, with which filters and how many cases."""

    label: ClassVar[str] = "导出整改台账"

    filters: dict[str, str] = Field(max_length=32, description="the export's query, as its link would carry it")
    cases: int = Field(ge=0, description="the cases in the workbook")


class TimelineOpened(Read):
    """案件时间线被查阅."""

    label: ClassVar[str] = "查阅案件时间线"

    issue_id: str = Field(min_length=1, max_length=64)


# What each service records, on its own audit topic.
INTAKE_READS: tuple[type[Event], ...] = (ContactRead, ContactErased)
PROJECTIONS_READS: tuple[type[Event], ...] = (LedgerExported, TimelineOpened)
READS: tuple[type[Event], ...] = (*INTAKE_READS, *PROJECTIONS_READS)
CHECKPOINTS: tuple[type[Event], ...] = (CheckpointSigned,)
EVENTS: tuple[type[Event], ...] = (*READS, *CHECKPOINTS)
# The resource kinds `GET /v1/audit/reads` filters by, for each event type.
RESOURCE_OF: dict[str, str] = {
    ContactRead.event_type(): "contact",
    ContactErased.event_type(): "contact",
    LedgerExported.event_type(): "ledger",
    TimelineOpened.event_type(): "timeline",
}
