"""Events on `intake.events`: problems as they reach the county (发现).

The reporter's name and phone never appear here: intake keeps them, encrypted, in its
own database (举报人信息保密).
"""

from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, Field

from shared.contracts.base import Address, Contract, Event
from shared.contracts.codes import Domain, Source


class Location(Contract):
    """Where the problem is: an address, coordinates, or both."""

    address: Address | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class Channel(StrEnum):
    """受理渠道: the door a report came through (the source says who found the problem)."""

    WEB_FORM = "web_form"
    API = "api"
    HOTLINE_OPERATOR = "hotline_operator"
    BATCH_UPLOAD = "batch_upload"
    PROVINCE_PLATFORM = "province_platform"
    INSPECTION_STAFF = "inspection_staff"


CHANNEL_LABELS: dict[Channel, str] = {
    Channel.WEB_FORM: "网上举报",
    Channel.API: "接口提交",
    Channel.HOTLINE_OPERATOR: "热线坐席录入",
    Channel.BATCH_UPLOAD: "交办批量导入",
    Channel.PROVINCE_PLATFORM: "省级平台交办",
    Channel.INSPECTION_STAFF: "巡查人员录入",
}


class Attachment(Contract):
    """A photo kept by intake (现场照片). Intake names it; the uploader's own file name is not kept."""

    attachment_id: str
    file_name: str = Field(min_length=1, max_length=100)
    content_type: str = Field(min_length=1, max_length=100)
    size_bytes: int = Field(ge=1)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class IssueReported(Event):
    """A problem was reported (发现). The issue id is the stream id."""

    label: ClassVar[str] = "受理"

    issue_id: str
    source: Source
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=5000)
    township: str = Field(min_length=1, max_length=100)
    domain: Domain
    location: Location | None = None
    batch: str | None = Field(default=None, max_length=100, description="督察批次 inspection batch")
    external_ref: str | None = Field(default=None, max_length=100, description="交办编号 or call reference")
    channel: Channel | None = Field(default=None, description="受理渠道; absent on events recorded before channels")
    report_id: str | None = Field(default=None, description="this submission; a repeat report gets its own")
    attachments: list[Attachment] = Field(default_factory=list)


class DuplicateRule(StrEnum):
    """Why a report was taken for one already known (重复举报)."""

    SAME_EXTERNAL_REF = "same_external_ref"
    SAME_PLACE = "same_place"


class DuplicateReportLinked(Event):
    """重复举报: a report of a problem already open, linked to its issue instead of opening a new one.

    The stream is the existing issue's; projections count repeat complaints from it.
    """

    label: ClassVar[str] = "重复举报"

    issue_id: str
    report_id: str
    channel: Channel
    source: Source
    rule: DuplicateRule
    distance_m: int | None = Field(default=None, ge=0, description="same_place: metres from the issue's location")
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=5000)
    township: str = Field(min_length=1, max_length=100)
    domain: Domain
    location: Location | None = None
    batch: str | None = Field(default=None, max_length=100)
    external_ref: str | None = Field(default=None, max_length=100)
    attachments: list[Attachment] = Field(default_factory=list)


class ObjectionFiled(Event):
    """An objection to a case in public notice (公示异议), filed by anyone on the public page. The objection id is
    the stream id. Who objected is not asked and never published: the text is all the case receives."""

    label: ClassVar[str] = "公示异议"

    objection_id: str
    case_id: str
    text: str = Field(min_length=5, max_length=1000)
    received_at: AwareDatetime


EVENTS: tuple[type[Event], ...] = (IssueReported, DuplicateReportLinked, ObjectionFiled)
