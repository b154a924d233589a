"""The event envelope, payload decoding through the registry, and the Kafka record mapping.

On Kafka a record is a CloudEvent in binary content mode: the value is the payload as
JSON (the event's `data`), the key is the stream (aggregate) id, and every envelope
field travels as a `ce_*` header, so other platforms read it without our code.
"""

import json
from datetime import UTC, datetime
from typing import Any, Self
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SerializeAsAny, ValidationError

from shared.contracts import EVENT_TYPES, UPCASTERS, Event
from shared.ids import new_id

CE_SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"


class UnknownEventType(ValueError):
    """The registry has no event of that type."""


class InvalidEvent(ValueError):
    """A record or payload that cannot be read as an event: the reason says why."""


class Envelope(BaseModel):
    """One event with what is known about it: where it belongs, when, why and by whom."""

    model_config = ConfigDict(frozen=True)

    event_id: UUID = Field(default_factory=new_id)
    type: str
    schema_version: int
    stream_id: str
    stream_version: int
    occurred_at: AwareDatetime
    correlation_id: str
    causation_id: str | None = None
    actor: str
    payload: SerializeAsAny[Event]

    @classmethod
    def wrap(
        cls,
        event: Event,
        *,
        stream_id: str,
        stream_version: int,
        actor: str,
        correlation_id: str,
        causation_id: str | None = None,
        occurred_at: datetime | None = None,
    ) -> Self:
        return cls(
            type=event.event_type(),
            schema_version=event.schema_version,
            stream_id=stream_id,
            stream_version=stream_version,
            occurred_at=occurred_at or datetime.now(UTC),
            correlation_id=correlation_id,
            causation_id=causation_id,
            actor=actor,
            payload=event,
        )


def decode_payload(event_type: str, schema_version: int, data: dict[str, Any]) -> Event:
    """Validate a payload against the registry, upcasting old schema versions first."""
    cls = EVENT_TYPES.get(event_type)
    if cls is None:
        raise UnknownEventType(f"unknown event type {event_type!r}")
    if schema_version > cls.schema_version:
        raise InvalidEvent(
            f"{event_type} schema_version {schema_version} is newer than this code knows ({cls.schema_version})"
        )
    version = schema_version
    while version < cls.schema_version:
        upcast = UPCASTERS.get((event_type, version))
        if upcast is None:
            raise InvalidEvent(f"no upcaster for {event_type} schema_version {version}")
        try:
            data = upcast(data)
        except ValueError as exc:
            raise InvalidEvent(f"cannot upcast {event_type} schema_version {version}: {exc}") from exc
        version += 1
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        raise InvalidEvent(f"invalid {event_type} payload: {exc.errors(include_url=False)}") from exc


Headers = list[tuple[str, bytes]]


def to_record(envelope: Envelope, *, source: str) -> tuple[bytes, bytes, Headers]:
    """Key, value and headers of the Kafka record for an envelope (CloudEvents binary mode)."""
    headers = ce_headers(
        event_id=envelope.event_id,
        type=envelope.type,
        schema_version=envelope.schema_version,
        stream_id=envelope.stream_id,
        stream_version=envelope.stream_version,
        occurred_at=envelope.occurred_at,
        correlation_id=envelope.correlation_id,
        causation_id=envelope.causation_id,
        actor=envelope.actor,
        source=source,
    )
    value = envelope.payload.model_dump_json().encode()
    return envelope.stream_id.encode(), value, headers


def ce_headers(
    *,
    event_id: UUID,
    type: str,  # the envelope's own name for it, so a row's columns pass as they are
    schema_version: int,
    stream_id: str,
    stream_version: int,
    occurred_at: datetime,
    correlation_id: str,
    causation_id: str | None,
    actor: str,
    source: str,
) -> Headers:
    """The CloudEvents headers of a record: every envelope field but the payload."""
    attributes = {
        "ce_specversion": CE_SPECVERSION,
        "ce_id": str(event_id),
        "ce_source": source,
        "ce_type": type,
        "ce_time": occurred_at.astimezone(UTC).isoformat(),
        "ce_subject": stream_id,
        "ce_schemaversion": str(schema_version),
        "ce_streamversion": str(stream_version),
        "ce_correlationid": correlation_id,
        "ce_actor": actor,
        "content-type": CONTENT_TYPE,
    }
    if causation_id:
        attributes["ce_causationid"] = causation_id
    return [(name, value.encode()) for name, value in attributes.items()]


REQUIRED_HEADERS_IN_ORDER = ("ce_id", "ce_type", "ce_time", "ce_subject", "ce_streamversion", "ce_actor")
REQUIRED_HEADERS = frozenset(REQUIRED_HEADERS_IN_ORDER)


def ce_type(headers: Headers | tuple[tuple[str, bytes], ...]) -> str | None:
    """The record's event type from its `ce_type` header, without reading its value (None: no such header)."""
    for name, raw in headers:
        if name == "ce_type":
            return raw.decode("utf-8", errors="replace")
    return None


def from_record(value: bytes | None, headers: Headers | tuple[tuple[str, bytes], ...]) -> Envelope:
    """Read a Kafka record back into an envelope; raises InvalidEvent or UnknownEventType.

    The payload of the code's own schema version is validated from the bytes in one pass (pydantic's JSON parser);
    the envelope gets the header values already typed (an id, a moment, a number), which pydantic only checks. A
    value that does not pass goes the slow way (JSON, upcasting, validation), which says why it is refused.
    """
    attrs = {name: raw.decode("utf-8", errors="replace") for name, raw in headers}
    if not attrs.keys() >= REQUIRED_HEADERS:
        missing = [name for name in REQUIRED_HEADERS_IN_ORDER if name not in attrs]
        raise InvalidEvent(f"missing CloudEvents headers: {', '.join(missing)}")
    if attrs.get("ce_specversion") != CE_SPECVERSION:
        raise InvalidEvent(f"unsupported ce_specversion {attrs.get('ce_specversion')!r}")
    try:
        schema_version = int(attrs.get("ce_schemaversion", "1"))
        payload = _payload(attrs["ce_type"], schema_version, value)
        return Envelope(
            event_id=UUID(attrs["ce_id"]),
            type=attrs["ce_type"],
            schema_version=payload.schema_version,
            stream_id=attrs["ce_subject"],
            stream_version=int(attrs["ce_streamversion"]),
            occurred_at=datetime.fromisoformat(attrs["ce_time"]),
            correlation_id=attrs.get("ce_correlationid", attrs["ce_id"]),
            causation_id=attrs.get("ce_causationid"),
            actor=attrs["ce_actor"],
            payload=payload,
        )
    except (ValueError, ValidationError) as exc:
        if isinstance(exc, InvalidEvent | UnknownEventType):
            raise
        raise InvalidEvent(f"invalid envelope: {exc}") from exc


def _payload(event_type: str, schema_version: int, value: bytes | None) -> Event:
    """The record's value as its contract: straight from the bytes when it is of this code's schema version."""
    cls = EVENT_TYPES.get(event_type)
    if cls is not None and schema_version == cls.schema_version and value:
        try:
            return cls.model_validate_json(value)
        except ValidationError:
            pass  # read again below, to be refused with the reason the slow way gives
    try:
        data = json.loads(value or b"")
    except ValueError as exc:
        raise InvalidEvent(f"value is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidEvent("value is not a JSON object")
    return decode_payload(event_type, schema_version, data)
