"""Messages exchanged with the provincial platform (省级生态环境问题交办平台).

`province.inbound`: the province's 交办, as CloudEvents of type `ASSIGNMENT_TYPE`, in
binary mode (`ce_*` headers, data as the value) or structured mode (content type
`application/cloudevents+json`, the whole event as the value). The province is
another organisation's system: its data is read tolerantly (unknown fields ignored).

`province.outbound`: what the county reports back for each of the province's 交办, as
CloudEvents in binary mode whose `ce_type` is the class name below and whose data
always carries the province's own `reference`, so their platform needs none of our code.

The closure procedure's 复核 (销号工作规程): the county asks the level above to review a closure
(ProvinceReviewRequested on `province.outbound`, for every case whose steps include 复核, with or
without a province reference) and files each 销号 upward (ProvinceClosureFiled); the review's
result comes back on `province.inbound` as a CloudEvent of type `REVIEW_TYPE` (ProvinceReviewed),
which intake records on `intake.events` for cases to apply.
"""

from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import AwareDatetime, BeforeValidator, ConfigDict, Field

from shared.contracts.base import Event
from shared.contracts.cases import Evidence
from shared.contracts.codes import DOMAIN_LABELS, CaseStatus, Domain

ASSIGNMENT_TYPE = "cn.province.eco.assignment"
REVIEW_TYPE = "cn.province.eco.review"

_DOMAIN_BY_LABEL = {label: code.value for code, label in DOMAIN_LABELS.items()}


def _domain_code(value: Any) -> Any:
    """The province may send the Chinese label (水污染) instead of the code (water)."""
    if isinstance(value, str):
        return _DOMAIN_BY_LABEL.get(value.strip(), value.strip())
    return value


class ProvinceAssignment(Event):
    """省级平台交办: one problem the province hands to the county (the `data` of an inbound CloudEvent)."""

    label: ClassVar[str] = "省级交办"

    model_config = ConfigDict(frozen=True, extra="ignore")

    reference: str = Field(
        min_length=1, max_length=100, description="省平台交办编号, quoted back on every outbound event"
    )
    batch: str | None = Field(default=None, max_length=100, description="交办批次")
    title: str | None = Field(default=None, min_length=1, max_length=200)
    problem: str = Field(min_length=1, max_length=5000, description="问题描述")
    township: str = Field(min_length=1, max_length=100)
    domain: Annotated[Domain, BeforeValidator(_domain_code)] = Field(description="code, or its Chinese label")
    address: str | None = Field(default=None, max_length=500)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    assigned_at: AwareDatetime | None = Field(default=None, description="交办时间")


class StatusChange(StrEnum):
    """What happened to the case, in the words the province uses."""

    OPENED = "opened"
    MERGED = "merged"
    ASSIGNED = "assigned"
    REASSIGNED = "reassigned"
    CLOSURE_REQUESTED = "closure_requested"
    CLOSED = "closed"
    CLOSURE_REJECTED = "closure_rejected"
    REOPENED = "reopened"
    DEADLINE_EXTENDED = "deadline_extended"
    DEADLINE_MISSED = "deadline_missed"
    # the closure procedure (销号工作规程)
    VERIFICATION_PASSED = "verification_passed"
    NOTICE_STARTED = "notice_started"
    OBJECTION_RECEIVED = "objection_received"
    NOTICE_COMPLETED = "notice_completed"
    SIGNED_OFF = "signed_off"
    REVIEW_REQUESTED = "review_requested"
    REVIEW_PASSED = "review_passed"
    REVIEW_REJECTED = "review_rejected"
    CLOSURE_FILED = "closure_filed"


STATUS_CHANGE_LABELS: dict[StatusChange, str] = {
    StatusChange.OPENED: "已受理待交办",
    StatusChange.MERGED: "已并入同一问题办理",
    StatusChange.ASSIGNED: "已交办整改",
    StatusChange.REASSIGNED: "重新交办",
    StatusChange.CLOSURE_REQUESTED: "申请销号",
    StatusChange.CLOSED: "已销号",
    StatusChange.CLOSURE_REJECTED: "验收不通过",
    StatusChange.REOPENED: "回头看重新整改",
    StatusChange.DEADLINE_EXTENDED: "整改延期",
    StatusChange.DEADLINE_MISSED: "整改超期",
    StatusChange.VERIFICATION_PASSED: "验收通过，进入销号程序",
    StatusChange.NOTICE_STARTED: "公示中",
    StatusChange.OBJECTION_RECEIVED: "公示期间收到异议，重新验收",
    StatusChange.NOTICE_COMPLETED: "公示期满无异议",
    StatusChange.SIGNED_OFF: "县领导已审签",
    StatusChange.REVIEW_REQUESTED: "提请上级复核",
    StatusChange.REVIEW_PASSED: "复核通过",
    StatusChange.REVIEW_REJECTED: "复核不通过，重新整改",
    StatusChange.CLOSURE_FILED: "销号已报备",
}


class ProvinceStatusChanged(Event):
    """办理状态回传: the case of a provincial 交办 changed; `status` is where it stands now."""

    label: ClassVar[str] = "回传办理状态"

    reference: str = Field(description="省平台交办编号")
    issue_id: str
    change: StatusChange
    change_label: str
    status: CaseStatus
    status_label: str
    changed_at: AwareDatetime
    unit: str | None = Field(default=None, description="责任单位")
    deadline: AwareDatetime | None = Field(default=None, description="整改时限")
    note: str | None = None


class ProvinceResultReported(Event):
    """办理结果回传: the case was closed (销号) after verification."""

    label: ClassVar[str] = "回传办理结果"

    reference: str = Field(description="省平台交办编号")
    issue_id: str
    unit: str
    summary: str | None = Field(default=None, description="整改情况, as the unit reported it with its closure request")
    evidence: list[Evidence] = Field(default_factory=list)
    verifier: str
    verification_note: str | None = None
    closed_at: AwareDatetime


class ProvinceReviewRequested(Event):
    """提请复核: the county asks the level above to review a case's closure before 销号.

    The province answers with a CloudEvent of type `REVIEW_TYPE` naming the same `issue_id`."""

    label: ClassVar[str] = "提请省级复核"

    issue_id: str = Field(description="县问题编号, quoted back in the review's result")
    reference: str | None = Field(default=None, description="省平台交办编号, when the province handed the problem over")
    source: str = Field(description="问题来源 code (central_inspection, provincial_inspection, …)")
    title: str
    unit: str = Field(description="责任单位")
    summary: str | None = Field(default=None, description="整改情况")
    note: str | None = Field(default=None, description="提请说明")
    requested_at: AwareDatetime


class ProvinceClosureFiled(Event):
    """销号报备: a case's 销号 filed upward."""

    label: ClassVar[str] = "销号报备上级"

    issue_id: str
    reference: str | None = Field(default=None, description="省平台交办编号, when the province handed the problem over")
    filed_to: str = Field(description="报备对象")
    note: str | None = None
    filed_at: AwareDatetime


class ProvinceReviewed(Event):
    """复核结果: the level above's review of a closure (the `data` of an inbound CloudEvent of type `REVIEW_TYPE`).

    Recorded by intake on `intake.events` as it came (ReviewResultRecorded); cases applies it to the case
    `issue_id` (复核通过, or 复核不通过 and the case rectified again to `new_deadline`, else the policy's default)."""

    label: ClassVar[str] = "省级复核结果"

    model_config = ConfigDict(frozen=True, extra="ignore")

    issue_id: str = Field(min_length=1, max_length=64, description="县问题编号, as ProvinceReviewRequested named it")
    passed: bool = Field(description="复核通过")
    reviewer: str = Field(min_length=1, max_length=100, description="复核单位或复核人")
    opinion: str | None = Field(default=None, max_length=2000, description="复核意见；不通过时必填")
    new_deadline: AwareDatetime | None = Field(default=None, description="不通过时的整改时限")
    reviewed_at: AwareDatetime | None = None


EVENTS: tuple[type[Event], ...] = (
    ProvinceStatusChanged,
    ProvinceResultReported,
    ProvinceReviewRequested,
    ProvinceClosureFiled,
)


class ReviewResultRecorded(ProvinceReviewed):
    """复核结果登记: the province's 复核 result as intake recorded it on `intake.events` (stream
    `province-review:<issue_id>`), for cases to apply: the same data, our own event type on our own topic."""

    label: ClassVar[str] = "复核结果登记"


# The province's inbound events that intake records on its own topic (`intake.events`), for cases to apply.
RECORDED_INBOUND: tuple[type[Event], ...] = (ReviewResultRecorded,)
