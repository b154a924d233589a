"""What the API answers with: measures and a unit's record, labelled in zh-CN, times in Asia/Shanghai."""

from collections.abc import Iterable, Mapping
from datetime import date

import asyncpg
from pydantic import BaseModel

from services.accountability.domain.ladder import ESCALATION_LABELS, TRIGGER_LABELS
from services.accountability.policy import Trigger
from shared.clock import shown
from shared.contracts.accountability import Escalation, MeasureImposed, MeasureRevoked, SummonsIssued, TargetKind
from shared.contracts.codes import MEASURE_LABELS, MeasureKind
from shared.envelope import Envelope

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
    items: list[MeasureOut]
    total: int
    tally: list[TallyRow]


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


def measure_list(rows: Iterable[asyncpg.Record]) -> MeasureList:
    items = [measure_out(r) for r in rows]
    active = [m.measure for m in items if m.status == "active"]
    tally = [TallyRow(measure=k, label=MEASURE_LABELS[k], count=active.count(k)) for k in MeasureKind]
    return MeasureList(items=items, total=len(items), tally=tally)


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
                label=ESCALATION_LABELS[envelope.type],
                case_ids=event.case_ids,
                level=event.level,
                summons_date=event.summons_date if isinstance(event, SummonsIssued) else None,
                triggers=[
                    TriggerOut(
                        event_id=i,
                        type=triggers[i].value if i in triggers else None,
                        label=TRIGGER_LABELS[triggers[i]] if i in triggers else None,
                    )
                    for i in event.trigger_event_ids
                ],
            )
        case MeasureImposed():
            row = measures[event.measure_id]
            return RecordEntry(
                **common,
                label=f"问责：{MEASURE_LABELS[event.measure]}",
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
                label=f"撤销问责：{MEASURE_LABELS[kind]}",
                case_ids=list(row["case_ids"]),
                measure_id=event.measure_id,
                measure=kind,
                target=target_out(row),
                reason=event.reason,
            )
    raise ValueError(f"{envelope.type} is not part of a unit's record")
