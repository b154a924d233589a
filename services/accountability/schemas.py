"""What the API takes and answers with: measures, a unit's record and the policy.

Labelled in zh-CN, times in Asia/Shanghai. Every label of an event comes from the contracts
(`Event.label`); the record adds the kind of measure to it.
"""

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Annotated, Any

import asyncpg
from pydantic import BaseModel, Field

from services.accountability.policy import Policy, Trigger
from shared.clock import shown
from shared.contracts import label_of
from shared.contracts.accountability import (
    Escalation,
    MeasureImposed,
    MeasureRevoked,
    OverdueItem,
    SummonsIssued,
    TargetKind,
    UnitStanding,
)
from shared.contracts.base import LongText, Note, PersonName, ShortText, Title
from shared.contracts.codes import MEASURE_LABELS, MeasureKind, MeetingKind
from shared.envelope import Envelope

CaseId = Annotated[str, Field(min_length=1, max_length=64)]


class TargetIn(BaseModel):
    """被问责对象: a unit, or a person with name, post and unit."""

    kind: TargetKind
    unit: ShortText
    name: PersonName | None = None
    post: ShortText | None = None


class MeasureIn(BaseModel):
    """问责措施 to impose."""

    target: TargetIn
    measure: str = Field(
        description="measure kind: " + ", ".join(k.value for k in MeasureKind),
        json_schema_extra={"enum": [k.value for k in MeasureKind]},
    )
    reason: Note
    case_ids: list[CaseId] = Field(default_factory=list, max_length=500)


class RevokeIn(BaseModel):
    reason: Note


TARGET_LABELS = {TargetKind.UNIT: "单位", TargetKind.PERSON: "个人"}


class TargetOut(BaseModel):
    kind: TargetKind
    kind_label: str
    unit: str
    name: str | None
    post: str | None


class MeasureOut(BaseModel):
    measure_id: str
    measure: MeasureKind
    measure_label: str
    target: TargetOut
    reason: str
    case_ids: list[str]
    imposed_by: str
    imposed_at: str
    status: str
    status_label: str
    revoked_at: str | None
    revoked_by: str | None
    revoke_reason: str | None


class TallyRow(BaseModel):
    measure: MeasureKind
    label: str
    count: int


class MeasureList(BaseModel):
    """A page of the measures the filters select; `total` and `tally` are of all of them, not only the page."""

    items: list[MeasureOut]
    total: int = Field(description="how many measures the filters select (items is a page of them)")
    limit: int
    offset: int
    tally: list[TallyRow] = Field(description="measures in force (not revoked) per kind, of all those selected")


class TriggerOut(BaseModel):
    event_id: str
    type: str | None
    label: str | None


class LadderOut(BaseModel):
    """Where the unit stands on one case: the sum of its counted steps' weights."""

    case_id: str
    level: float
    steps: int
    last_step_at: str


class RecordEntry(BaseModel):
    """One escalation or measure event of the unit."""

    event_id: str
    type: str
    label: str
    at: str
    by: str
    case_ids: list[str]
    level: float | None = None
    summons_date: date | None = None
    triggers: list[TriggerOut] | None = None
    measure_id: str | None = None
    measure: MeasureKind | None = None
    target: TargetOut | None = None
    reason: str | None = None
    status_label: str | None = None


class UnitRecord(BaseModel):
    unit: str
    ladders: list[LadderOut]
    entries: list[RecordEntry]


class PolicyOut(BaseModel):
    weights: dict[str, float]
    thresholds: dict[str, float]
    summons_after_days: int
    day_kind: str


def target_out(row: asyncpg.Record) -> TargetOut:
    kind = TargetKind(row["target_kind"])
    return TargetOut(
        kind=kind, kind_label=TARGET_LABELS[kind], unit=row["unit"], name=row["person_name"], post=row["person_post"]
    )


def measure_out(row: asyncpg.Record) -> MeasureOut:
    kind = MeasureKind(row["measure"])
    revoked = row["revoked_at"] is not None
    return MeasureOut(
        measure_id=row["measure_id"],
        measure=kind,
        measure_label=MEASURE_LABELS[kind],
        target=target_out(row),
        reason=row["reason"],
        case_ids=list(row["case_ids"]),
        imposed_by=row["imposed_by"],
        imposed_at=shown(row["imposed_at"]),
        status="revoked" if revoked else "active",
        status_label="已撤销" if revoked else "有效",
        revoked_at=shown(row["revoked_at"]) if revoked else None,
        revoked_by=row["revoked_by"],
        revoke_reason=row["revoke_reason"],
    )


def measure_list(
    rows: Iterable[asyncpg.Record], counts: Mapping[str, tuple[int, int]], *, limit: int, offset: int
) -> MeasureList:
    """A page of measures; `counts` per kind (listed, in force) of all those the filters select."""
    tally = [TallyRow(measure=k, label=MEASURE_LABELS[k], count=counts.get(k.value, (0, 0))[1]) for k in MeasureKind]
    return MeasureList(
        items=[measure_out(r) for r in rows],
        total=sum(listed for listed, _ in counts.values()),
        limit=limit,
        offset=offset,
        tally=tally,
    )


def ladder_out(row: asyncpg.Record) -> LadderOut:
    return LadderOut(
        case_id=row["case_id"], level=float(row["level"]), steps=row["steps"], last_step_at=shown(row["last_at"])
    )


def record_entry(
    envelope: Envelope, measures: Mapping[str, asyncpg.Record], triggers: Mapping[str, Trigger]
) -> RecordEntry:
    """An entry of the unit's record; `measures` are the unit's read rows, `triggers` the counted steps' kinds."""
    event = envelope.payload
    common = {
        "event_id": str(envelope.event_id),
        "type": envelope.type,
        "at": shown(envelope.occurred_at),
        "by": envelope.actor,
    }
    match event:
        case Escalation():
            return RecordEntry(
                **common,
                label=event.label,
                case_ids=event.case_ids,
                level=event.level,
                summons_date=event.summons_date if isinstance(event, SummonsIssued) else None,
                triggers=[
                    TriggerOut(
                        event_id=i,
                        type=triggers[i].value if i in triggers else None,
                        label=label_of(triggers[i].value) if i in triggers else None,
                    )
                    for i in event.trigger_event_ids
                ],
            )
        case MeasureImposed():
            row = measures[event.measure_id]
            return RecordEntry(
                **common,
                label=f"{MeasureImposed.label}：{MEASURE_LABELS[event.measure]}",
                case_ids=event.case_ids,
                measure_id=event.measure_id,
                measure=event.measure,
                target=target_out(row),
                reason=event.reason,
                status_label="已撤销" if row["revoked_at"] is not None else "有效",
            )
        case MeasureRevoked():
            row = measures[event.measure_id]
            kind = MeasureKind(row["measure"])
            return RecordEntry(
                **common,
                label=f"{MeasureRevoked.label}：{MEASURE_LABELS[kind]}",
                case_ids=list(row["case_ids"]),
                measure_id=event.measure_id,
                measure=kind,
                target=target_out(row),
                reason=event.reason,
            )
    raise ValueError(f"{envelope.type} is not part of a unit's record")


def policy_out(policy: Policy) -> PolicyOut:
    return PolicyOut(
        weights={t.value: float(w) for t, w in policy.weights.items()},
        thresholds={
            "warning": float(policy.warning),
            "summons": float(policy.summons),
            "criticism": float(policy.criticism),
            "repeat_every": float(policy.repeat_every),
        },
        summons_after_days=policy.summons_after_days,
        day_kind=policy.day_kind.value,
    )


# ---------------------------------------------------------------- the documents of the supervision (督查)

Units = Annotated[list[ShortText], Field(min_length=1, max_length=100)]
CaseIds = Annotated[list[CaseId], Field(default_factory=list, max_length=500)]


class RoundIn(BaseModel):
    """联合督查 to open: its name, member units, lead unit (one of them) and period."""

    name: Title
    member_units: Units
    lead_unit: ShortText
    period_from: date
    period_to: date


class FindingIn(BaseModel):
    """督查发现: the issue it was reported as through intake (渠道 inspection_staff), and what was found."""

    issue_id: CaseId
    note: Note


class CloseRoundIn(BaseModel):
    summary: Note


class BulletinIn(BaseModel):
    """督查通报 to issue: the period and its content as projections' draft gave it (the office may shorten it)."""

    title: Title
    period_from: date
    period_to: date
    overdue: list[OverdueItem] = Field(max_length=500)
    units: list[UnitStanding] = Field(max_length=200)
    text: LongText


class SummonsMeetingIn(BaseModel):
    """集体约谈会: the date, the units summoned, the cases behind it, who held it."""

    held_on: date
    units: Units
    case_ids: CaseIds
    host: ShortText
    note: Note | None = None


class WorkMeetingIn(BaseModel):
    """会议研究部署: 常委会, 常务会, 动员会, 推进会 or 调度会 with its decisions and the cases discussed."""

    kind: MeetingKind
    held_on: date
    title: Title
    decisions: Annotated[list[Note], Field(min_length=1, max_length=50)]
    case_ids: CaseIds


class DocumentEvent(BaseModel):
    """One event of a document's stream, as the API shows it."""

    type: str
    label: str
    version: int
    occurred_at: str
    actor: str
    payload: dict[str, Any]


class DocumentOut(BaseModel):
    """A document of the supervision: its stream, its version (the ETag) and its events, oldest first."""

    stream_id: str
    version: int
    events: list[DocumentEvent]


def document_out(stream_id: str, history: Iterable[Envelope], version: int | None = None) -> DocumentOut:
    """The events given (a command's new ones, or a whole stream), at the stream's `version` (else the last's)."""
    events = [
        DocumentEvent(
            type=e.type,
            label=label_of(e.type),
            version=e.stream_version,
            occurred_at=shown(e.occurred_at),
            actor=e.actor,
            payload=e.payload.model_dump(mode="json"),
        )
        for e in history
    ]
    last = events[-1].version if events else 0
    return DocumentOut(stream_id=stream_id, version=version if version is not None else last, events=events)
