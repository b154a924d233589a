"""省级平台 in: the province's CloudEvents on `province.inbound`: each 交办 becomes a report, and each 复核 result
of a closure (销号工作规程) is recorded on `intake.events` (stream `province-review:<issue_id>`) for cases to apply.

Both CloudEvents Kafka content modes are read: binary (attributes in `ce_*` headers,
the data as the value) and structured (content type `application/cloudevents+json`,
the whole event as the value). A record that is neither, of another type, or with
data that does not fit the contract raises InvalidEvent / UnknownEventType, and the
consumer runner sends it to `province.inbound.dlq`. Refusal reasons name the fields,
never their values.
"""

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from services.intake import commands, domain
from services.intake.duplicates import Outcome
from services.intake.handlers import Intake, Submission
from services.intake.province_outbound import ProvinceOutbound
from shared.contracts.base import Event
from shared.contracts.codes import Source
from shared.contracts.intake import Channel, Location
from shared.contracts.province import (
    ASSIGNMENT_TYPE,
    REVIEW_TYPE,
    ProvinceAssignment,
    ProvinceReviewed,
    ReviewResultRecorded,
)
from shared.db import Connection
from shared.envelope import CE_SPECVERSION, Envelope, Headers, InvalidEvent, UnknownEventType
from shared.eventstore import Metadata

STRUCTURED = "application/cloudevents+json"
# CloudEvents ids are unique per source; the inbox wants a UUID: one derived from both, the same on redelivery.
_INBOX_NAMESPACE = uuid.UUID("5b0f4a52-6a8e-4f55-9d47-7f1b0c6a2d11")


def _attributes(value: bytes | None, headers: Headers) -> tuple[dict[str, Any], Any]:
    """The CloudEvent's attributes (without prefix) and its data, whichever mode it came in."""
    names = {name.lower(): raw.decode("utf-8", errors="replace") for name, raw in headers}
    content_type = names.get("content-type", "").split(";")[0].strip().lower()
    try:
        body = json.loads(value or b"")
    except ValueError as exc:
        raise InvalidEvent(f"value is not JSON: {exc}") from exc
    if content_type == STRUCTURED:
        if not isinstance(body, dict):
            raise InvalidEvent("structured CloudEvent is not a JSON object")
        if "data_base64" in body:
            raise InvalidEvent("data_base64 is not accepted: send the data as JSON")
        return {k: v for k, v in body.items() if k != "data"}, body.get("data")
    return {name.removeprefix("ce_"): v for name, v in names.items() if name.startswith("ce_")}, body


# The province's CloudEvent types, and the model of each one's data.
_MODELS: dict[str, type[Event]] = {ASSIGNMENT_TYPE: ProvinceAssignment, REVIEW_TYPE: ProvinceReviewed}


def decode_inbound(value: bytes | None, headers: Headers) -> Envelope:
    attrs, data = _attributes(value, headers)
    missing = [name for name in ("specversion", "id", "source", "type") if not attrs.get(name)]
    if missing:
        raise InvalidEvent(f"missing CloudEvents attributes: {', '.join(missing)}")
    if str(attrs["specversion"]) != CE_SPECVERSION:
        raise InvalidEvent(f"unsupported specversion {attrs['specversion']!r}")
    model = _MODELS.get(str(attrs["type"]))
    if model is None:
        raise UnknownEventType(f"unknown province event type {str(attrs['type'])[:100]!r}")
    if not isinstance(data, dict):
        raise InvalidEvent("data is not a JSON object")
    what = "province assignment" if model is ProvinceAssignment else "province review"
    try:
        payload = model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'data'}: {e['msg']}" for e in exc.errors())
        raise InvalidEvent(f"invalid {what}: {problems}") from exc
    if isinstance(payload, ProvinceAssignment) and (payload.lat is None) != (payload.lon is None):
        raise InvalidEvent("invalid province assignment: lat and lon must come together")
    if isinstance(payload, ProvinceReviewed) and not payload.passed and not (payload.opinion or "").strip():
        raise InvalidEvent("invalid province review: opinion is required when passed is false")
    try:
        occurred_at = datetime.fromisoformat(str(attrs["time"])) if attrs.get("time") else datetime.now(UTC)
    except ValueError as exc:
        raise InvalidEvent("time is not an RFC 3339 timestamp") from exc
    if occurred_at.tzinfo is None:
        raise InvalidEvent("time has no UTC offset")
    source, event_id = str(attrs["source"]), str(attrs["id"])
    stream = (
        f"province-assignment:{payload.reference}"
        if isinstance(payload, ProvinceAssignment)
        else f"province-review:{payload.issue_id}"  # type: ignore[attr-defined]
    )
    return Envelope(
        event_id=uuid.uuid5(_INBOX_NAMESPACE, f"{source}\n{event_id}"),
        type=model.event_type(),
        schema_version=model.schema_version,
        stream_id=stream,
        stream_version=1,
        occurred_at=occurred_at,
        correlation_id=event_id[:200],
        actor=f"province:{source[:200]}",
        payload=payload,
    )


def assignment_report(assignment: ProvinceAssignment) -> commands.Report:
    has_place = assignment.address or assignment.lat is not None
    return commands.Report(
        source=Source.PROVINCE_PLATFORM,
        channel=Channel.PROVINCE_PLATFORM,
        title=assignment.title or domain.title_from(assignment.problem),
        description=assignment.problem,
        township=assignment.township.strip(),
        domain=assignment.domain,
        location=Location(address=assignment.address, lat=assignment.lat, lon=assignment.lon) if has_place else None,
        batch=assignment.batch,
        external_ref=assignment.reference.strip(),
    )


class ProvinceInbound:
    def __init__(self, intake: Intake, outbound: ProvinceOutbound) -> None:
        self.intake = intake
        self.outbound = outbound

    async def on_review(self, conn: Connection, envelope: Envelope, review: ProvinceReviewed) -> None:
        """复核结果: recorded as it came, on intake.events (cases applies it to the case); a repeat of the same
        CloudEvent is dropped by the inbox, a second result for the same issue is recorded and cases decides."""
        meta = Metadata(
            actor=envelope.actor, correlation_id=envelope.correlation_id, causation_id=str(envelope.event_id)
        )
        stream = f"province-review:{review.issue_id}"
        store = self.intake.store
        recorded = ReviewResultRecorded.model_validate(review.model_dump())
        await store.append(conn, stream, [recorded], await store.version(conn, stream), meta)

    async def on_assignment(self, conn: Connection, envelope: Envelope, assignment: ProvinceAssignment) -> None:
        """The 交办 becomes a report; its reference is kept so that the case's progress goes back to the province."""
        meta = Metadata(
            actor=envelope.actor, correlation_id=envelope.correlation_id, causation_id=str(envelope.event_id)
        )
        receipt = await self.intake.receive(conn, Submission(report=assignment_report(assignment)), meta)
        reference = assignment.reference.strip()
        await conn.execute(
            "insert into province_links (reference, issue_id) values ($1, $2) on conflict (reference) do nothing",
            reference,
            receipt.issue_id,
        )
        if receipt.outcome is Outcome.LINKED:
            await self.outbound.announce_merge(conn, receipt.issue_id, reference, meta)
