"""Messages exchanged with the provincial platform (省级生态环境问题交办平台).

`province.inbound`: the province's 交办, as CloudEvents of type `ASSIGNMENT_TYPE`, in
binary mode (`ce_*` headers, data as the value) or structured mode (content type
`application/cloudevents+json`, the whole event as the value). The province is
another organisation's system: its data is read tolerantly (unknown fields ignored).

`province.outbound`: what the county reports back for each of the province's 交办, as
CloudEvents in binary mode whose `ce_type` is the class name below and whose data
always carries the province's own `reference`, so their platform needs none of our code.
"""

from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import AwareDatetime, BeforeValidator, ConfigDict, Field

from shared.contracts.base import Event
from shared.contracts.cases import Evidence
from shared.contracts.codes import DOMAIN_LABELS, CaseStatus, Domain

ASSIGNMENT_TYPE = "cn.province.eco.assignment"

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


EVENTS: tuple[type[Event], ...] = (ProvinceStatusChanged, ProvinceResultReported)
