"""Contracts: old messages still parse, and the AsyncAPI document says what the code does."""

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from services.intake.province_inbound import decode_inbound
from shared.asyncapi import DOCUMENT, EARLIER_VERSIONS, INBOUND_TOPIC, TOPICS, build, render
from shared.contracts import EVENT_TYPES, UPCASTERS
from shared.contracts.province import ProvinceAssignment
from shared.envelope import decode_payload
from shared.topics import EVENT_TOPICS
from tests.contracts.record_samples import SAMPLES, missing

HERE = Path(__file__).parent
RECORDED = sorted(SAMPLES.glob("*.json"))
INBOUND = sorted((SAMPLES / "province.inbound").glob("*.json"))


def load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def test_every_event_type_and_schema_version_has_recorded_samples() -> None:
    unrecorded = [f"{cls.__name__} v{cls.schema_version}" for cls, _ in missing()]
    assert not unrecorded, f"record samples with: python -m tests.contracts.record_samples ({', '.join(unrecorded)})"


@pytest.mark.parametrize("path", RECORDED, ids=[p.name for p in RECORDED])
def test_a_recorded_message_still_parses(path: Path) -> None:
    sample = load(path)
    event = decode_payload(sample["type"], sample["schema_version"], sample["data"])
    assert event.event_type() == sample["type"]
    if sample["schema_version"] == event.schema_version:
        # Same version: nothing of the recorded message may be lost in reading it.
        assert event.model_dump(mode="json", exclude_unset=True) == sample["data"]


@pytest.mark.parametrize("path", INBOUND, ids=[p.name for p in INBOUND])
def test_a_recorded_provincial_assignment_still_decodes(path: Path) -> None:
    sample = load(path)
    headers = [(name, value.encode()) for name, value in sample["headers"].items()]
    envelope = decode_inbound(json.dumps(sample["value"], ensure_ascii=False).encode(), headers)
    assert isinstance(envelope.payload, ProvinceAssignment)
    assert envelope.payload.reference.startswith("SJ-")


def test_the_checked_in_asyncapi_document_matches_the_contracts() -> None:
    assert DOCUMENT.read_text(encoding="utf-8") == render(), "run: python -m shared.asyncapi --write"


def test_the_asyncapi_document_is_valid_asyncapi_3() -> None:
    # The official JSON Schema of AsyncAPI 3.0.0, from @asyncapi/specs 6.11.1 (Apache-2.0).
    schema = load(HERE / "asyncapi-3.0.0.schema.json")
    document = yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))
    errors = [
        f"{list(e.absolute_path)}: {e.message[:200]}" for e in jsonschema.Draft7Validator(schema).iter_errors(document)
    ]
    assert errors == []


def test_every_earlier_schema_version_in_the_document_has_an_upcaster_and_recorded_samples() -> None:
    earlier = [cls for events in EARLIER_VERSIONS.values() for cls in events]
    assert {(cls.event_type(), cls.schema_version) for cls in earlier} == set(UPCASTERS)
    for cls in earlier:
        assert cls.schema_version < EVENT_TYPES[cls.event_type()].schema_version
        assert (SAMPLES / f"{cls.event_type()}.v{cls.schema_version}.json").exists()
        assert (SAMPLES / f"{cls.event_type()}.v{cls.schema_version}.minimal.json").exists()
    messages = build()["components"]["messages"]
    assert messages["AssignedV1"]["headers"]["properties"]["ce_schemaversion"]["const"] == "1"
    assert "ce_schemaversion" in messages["Assigned"]["headers"]["required"]


def test_every_topic_is_a_channel_and_every_event_type_is_on_exactly_one_topic() -> None:
    channels = build()["channels"]
    assert set(EVENT_TOPICS) | {f"{t}.dlq" for t in EVENT_TOPICS} == set(channels)
    # But the signed checkpoints: on audit.checkpoints, and forwarded to the province on province.outbound.
    on_topics = [
        cls.__name__ for topic, (_, _, events) in TOPICS.items() for cls in events if topic != "audit.checkpoints"
    ]
    assert sorted(on_topics) == sorted(EVENT_TYPES), (
        "map a new contract module's EVENTS to its topic in shared.asyncapi"
    )
    assert set(channels[INBOUND_TOPIC]["messages"]) == {
        "ProvinceAssignment",
        "ProvinceAssignmentStructured",
        "ProvinceReview",  # 复核结果 of a closure (销号工作规程), recorded by intake on intake.events
        "ProvinceReviewStructured",
    }


@pytest.mark.parametrize("path", RECORDED, ids=lambda p: p.name)
def test_the_document_describes_every_recorded_message(path: Path) -> None:
    sample = load(path)
    document = build()
    # A message per schema version still on the topics: the current one, and each earlier one with an upcaster.
    (message,) = [
        m
        for m in document["components"]["messages"].values()
        if m["headers"]["properties"].get("ce_type") == {"const": sample["type"]}
        and m.get("x-schema-version") == sample["schema_version"]
    ]
    schema = {"$ref": message["payload"]["$ref"], "components": document["components"]}
    jsonschema.Draft202012Validator(schema).validate(sample["data"])
