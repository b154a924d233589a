"""The AsyncAPI 3.0 document of every topic and message, generated from the pydantic contracts.

    python -m shared.asyncapi --write    regenerate docs/asyncapi.yaml after changing a contract
    python -m shared.asyncapi --check    exit 1 when docs/asyncapi.yaml differs from the code

Our own events travel as CloudEvents in binary content mode: the `ce_*` headers carry
the attributes, the value is the payload (the event's `data`) as JSON, the key is the
stream id. The province's 交办 on `province.inbound` may come in binary or structured
mode. Each `<topic>.dlq` carries what its topic carries, plus the reason in headers.

An event type with more than one schema version still on its topic has a message per
version: `Assigned` (the current one, ce_schemaversion 2) and `AssignedV1` (the shape
recorded before, ce_schemaversion 1 or absent), both with ce_type `Assigned`.
"""

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from shared.contracts import Event, accountability, audit, cases, enforcement, intake, province
from shared.contracts.province import ASSIGNMENT_TYPE, REVIEW_TYPE, ProvinceAssignment, ProvinceReviewed

DOCUMENT = Path(__file__).resolve().parents[1] / "docs" / "asyncapi.yaml"
KAFKA_BINDING = "0.5.0"

# topic -> (who writes it, what it carries, the events on it)
TOPICS: dict[str, tuple[str, str, tuple[type[Event], ...]]] = {
    "intake.events": (
        "intake",
        "受理: problems as they reach the county, repeat reports of them, objections during 公示, and the province's"
        " 复核 results as received",
        (*intake.EVENTS, *province.RECORDED_INBOUND),
    ),
    "cases.events": ("cases", "整改案件: the rectification case from 交办 to 销号", cases.EVENTS),
    "enforcement.events": ("enforcement", "环境执法: enforcement cases, penalties and orders", enforcement.EVENTS),
    "accountability.events": ("accountability", "问责: warnings, summons and measures", accountability.EVENTS),
    "province.outbound": (
        "intake",
        "省级平台回传: status changes and results of the province's 交办, each with the province's reference; and every"
        " service's signed audit checkpoint, forwarded from audit.checkpoints",
        (*province.EVENTS, *audit.CHECKPOINTS),
    ),
    "audit.checkpoints": (
        "intake, cases, enforcement, accountability",
        "审计检查点: each service's signed Merkle root of its event store (size, root, time, Ed25519 signature); verify"
        " with the service's key from GET /v1/audit/keys",
        audit.CHECKPOINTS,
    ),
    "audit.reads.intake": (
        "intake",
        "查阅留痕: who read a reporter's contact, or erased one on request; never the contact itself",
        audit.INTAKE_READS,
    ),
    "audit.reads.projections": (
        "projections",
        "查阅留痕: who exported the ledger (整改台账) or opened a case's timeline",
        audit.PROJECTIONS_READS,
    ),
}
# topic -> the earlier schema versions of its events, still stored and on the topic (read through an upcaster)
EARLIER_VERSIONS: dict[str, tuple[type[Event], ...]] = {"cases.events": cases.EARLIER}
INBOUND_TOPIC = "province.inbound"
DESCRIPTION = (
    "Every topic of the system and every message on it. Our own events are CloudEvents in binary content mode: "
    "the ce_* headers carry the attributes, the value is the event's data as JSON, the key is the stream id. "
    "The province's 交办 on province.inbound come in binary or structured mode; the events on province.outbound "
    "carry the province's reference in their data. Each <topic>.dlq holds the records a consumer could not apply, "
    "with dlq_reason in its headers."
)


def _headers(event_type: str, schema_version: int) -> dict[str, Any]:
    """The CloudEvents attributes of a binary-mode record, as Kafka headers."""
    text = {"type": "string"}
    # Version 1 may come without the header; a later version is known by it alone.
    versioned = ["ce_schemaversion"] if schema_version > 1 else []
    return {
        "type": "object",
        "required": [
            "ce_specversion",
            "ce_id",
            "ce_source",
            "ce_type",
            "ce_time",
            "ce_subject",
            *versioned,
            "ce_streamversion",
            "ce_actor",
            "content-type",
        ],
        "properties": {
            "ce_specversion": {"const": "1.0"},
            "ce_id": {**text, "description": "event id (UUID), unique: consumers drop repeats by it"},
            "ce_source": {**text, "description": "the publishing service, e.g. /county/intake"},
            "ce_type": {"const": event_type},
            "ce_time": {**text, "format": "date-time"},
            "ce_subject": {**text, "description": "the stream (aggregate) id; also the record key"},
            "ce_schemaversion": {"const": str(schema_version), "description": "payload shape; absent means 1"},
            "ce_streamversion": {**text, "description": "position of the event in its stream, from 1"},
            "ce_correlationid": text,
            "ce_causationid": text,
            "ce_actor": {**text, "description": "who caused the event, e.g. operator:wang"},
            "ce_prevhash": {
                **text,
                "pattern": "^[0-9a-f]{64}$",
                "description": "hash of the event before it in its stream (hex SHA-256; 64 zeros for version 1)",
            },
            "ce_hash": {
                **text,
                "pattern": "^[0-9a-f]{64}$",
                "description": "the event's own hash: SHA-256(prevhash || SHA-256(canonical encoding)), "
                "shared/audit/chain.py; consumers check each stream's continuity with it",
            },
            "content-type": {"const": "application/json"},
        },
    }


def _summary(cls: type[BaseModel]) -> str:
    return (cls.__doc__ or cls.__name__).strip().splitlines()[0]


def _message(cls: type[Event], schema_ref: str, *, earlier: bool = False) -> dict[str, Any]:
    version = cls.schema_version
    return {
        "name": cls.__name__,
        "title": f"{cls.event_type()} (schema version {version})" if earlier else cls.__name__,
        "summary": _summary(cls),
        "contentType": "application/json",
        "headers": _headers(cls.event_type(), version),
        "payload": {"$ref": schema_ref},
        "bindings": {
            "kafka": {"key": {"type": "string", "description": "the stream id"}, "bindingVersion": KAFKA_BINDING}
        },
        "x-schema-version": version,
    }


# The province's CloudEvents on province.inbound: (the data's model, its ce_type, the message's name).
INBOUND: tuple[tuple[type[Event], str, str], ...] = (
    (ProvinceAssignment, ASSIGNMENT_TYPE, "ProvinceAssignment"),
    (ProvinceReviewed, REVIEW_TYPE, "ProvinceReview"),
)


def _inbound_messages(cls: type[Event], ce_type: str, name: str, schema_ref: str) -> dict[str, Any]:
    text = {"type": "string"}
    binary = {
        "name": name,
        "title": f"{name} (binary mode)",
        "summary": _summary(cls),
        "contentType": "application/json",
        "headers": {
            "type": "object",
            "required": ["ce_specversion", "ce_id", "ce_source", "ce_type"],
            "properties": {
                "ce_specversion": {"const": "1.0"},
                "ce_id": text,
                "ce_source": text,
                "ce_type": {"const": ce_type},
                "ce_time": {**text, "format": "date-time"},
                "content-type": {"const": "application/json"},
            },
        },
        "payload": {"$ref": schema_ref},
    }
    structured = {
        "name": f"{name}Structured",
        "title": f"{name} (structured mode)",
        "summary": "The same event as one JSON CloudEvent in the record's value.",
        "contentType": "application/cloudevents+json",
        "headers": {
            "type": "object",
            "required": ["content-type"],
            "properties": {"content-type": {"type": "string", "pattern": "^application/cloudevents\\+json"}},
        },
        "payload": {
            "type": "object",
            "required": ["specversion", "id", "source", "type", "data"],
            "properties": {
                "specversion": {"const": "1.0"},
                "id": text,
                "source": text,
                "type": {"const": ce_type},
                "time": {**text, "format": "date-time"},
                "datacontenttype": {"const": "application/json"},
                "data": {"$ref": schema_ref},
            },
        },
    }
    return {name: binary, f"{name}Structured": structured}


def _channel(address: str, description: str, message_names: list[str]) -> dict[str, Any]:
    return {
        "address": address,
        "description": description,
        "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in message_names},
        "bindings": {"kafka": {"topic": address, "bindingVersion": KAFKA_BINDING}},
    }


def _operation(action: str, channel: str, message_names: list[str], summary: str) -> dict[str, Any]:
    return {
        "action": action,
        "summary": summary,
        "channel": {"$ref": f"#/channels/{channel}"},
        "messages": [{"$ref": f"#/channels/{channel}/messages/{name}"} for name in message_names],
    }


def _operation_id(verb: str, topic: str) -> str:
    words = topic.replace(".", " ").split()
    return verb + "".join(w.capitalize() for w in words)


def build() -> dict[str, Any]:
    """The document as a dict; the same code always gives the same document."""
    earlier = [cls for events in EARLIER_VERSIONS.values() for cls in events]
    models: list[type[BaseModel]] = [
        *(cls for _, _, events in TOPICS.values() for cls in events),
        *earlier,
        ProvinceAssignment,
        ProvinceReviewed,
    ]
    refs, schema = models_json_schema(
        [(cls, "validation") for cls in models], ref_template="#/components/schemas/{model}"
    )
    schemas = schema.get("$defs", {})
    ref_of = {cls: refs[(cls, "validation")]["$ref"] for cls in models}

    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for topic, (service, description, events) in TOPICS.items():
        names = [cls.__name__ for cls in events]
        for cls in events:
            messages[cls.__name__] = _message(cls, ref_of[cls])
        for cls in EARLIER_VERSIONS.get(topic, ()):
            messages[cls.__name__] = _message(cls, ref_of[cls], earlier=True)
            names.append(cls.__name__)
        channels[topic] = _channel(topic, description, names)
        channels[f"{topic}.dlq"] = _channel(
            f"{topic}.dlq",
            f"Dead letters of {topic}: the record as it was, with dlq_reason and its origin in headers",
            names,
        )
        operations[_operation_id("send", topic)] = _operation("send", topic, names, f"{service} publishes")
    inbound = {
        key: message
        for cls, ce_type, name in INBOUND
        for key, message in _inbound_messages(cls, ce_type, name, ref_of[cls]).items()
    }
    messages.update(inbound)
    channels[INBOUND_TOPIC] = _channel(
        INBOUND_TOPIC, "省级平台: the province's 交办 to the county, and its 复核 results of closures", list(inbound)
    )
    channels[f"{INBOUND_TOPIC}.dlq"] = _channel(
        f"{INBOUND_TOPIC}.dlq",
        f"Dead letters of {INBOUND_TOPIC}: poison records, with dlq_reason in headers",
        list(inbound),
    )
    operations[_operation_id("receive", INBOUND_TOPIC)] = _operation(
        "receive",
        INBOUND_TOPIC,
        list(inbound),
        "intake turns each 交办 into a report, and records each 复核 result for cases",
    )
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "County environmental closed-loop system: events",
            "version": "1.0.0",
            "description": DESCRIPTION,
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {
                "host": "127.0.0.1:9092",
                "protocol": "kafka",
                "description": "Local broker; a deployment may prefix every topic name (TOPIC_PREFIX)",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def render() -> str:
    header = "# Generated by `python -m shared.asyncapi --write` from shared/contracts; do not edit by hand.\n"
    return header + yaml.safe_dump(build(), sort_keys=False, allow_unicode=True, width=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help=f"write {DOCUMENT}")
    mode.add_argument("--check", action="store_true", help="exit 1 when the document differs from the code")
    args = parser.parse_args()
    text = render()
    if args.write:
        DOCUMENT.parent.mkdir(parents=True, exist_ok=True)
        DOCUMENT.write_text(text, encoding="utf-8")
        print(f"wrote {DOCUMENT}")
    elif not DOCUMENT.exists() or DOCUMENT.read_text(encoding="utf-8") != text:
        print(f"{DOCUMENT} differs from the contracts: run python -m shared.asyncapi --write", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
