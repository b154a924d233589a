"""Reads that matter (查阅留痕), on the topics `audit.reads.intake` and `audit.reads.projections`.

Reading a reporter's contact and erasing it (intake), exporting the ledger and opening a case's timeline
(projections) are recorded as events: who (the envelope's actor), in which role, what, when (the envelope's time)
and from which address. Each is appended through the reading service's outbox in its own new stream, so nothing
is lost and nothing is published that was not stored. A contact's name, phone or text never enters one of them.
"""

from typing import ClassVar

from pydantic import Field

from shared.contracts.base import Event


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
EVENTS: tuple[type[Event], ...] = (*INTAKE_READS, *PROJECTIONS_READS)
# The resource kinds `GET /v1/audit/reads` filters by, for each event type.
RESOURCE_OF: dict[str, str] = {
    ContactRead.event_type(): "contact",
    ContactErased.event_type(): "contact",
    LedgerExported.event_type(): "ledger",
    TimelineOpened.event_type(): "timeline",
}
