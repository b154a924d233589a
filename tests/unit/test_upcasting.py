"""Upcasting, proven once: 交办 and 重新交办 at schema version 2, their version 1 still read (issue 16, item 6)."""

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from services.cases.schemas import LeaderIn
from services.projections.timeline import describe
from shared import envelope as envelope_module
from shared.contracts import UPCASTERS, Event
from shared.contracts.cases import (
    Assigned,
    AssignedLeader,
    AssignedV1,
    Reassigned,
    ReassignedV1,
    leader_gains_liaison,
)
from shared.envelope import Envelope, InvalidEvent, decode_payload, from_record, to_record

SAMPLES = Path(__file__).parents[1] / "contracts" / "samples"
EARLIER: dict[str, type[Event]] = {"Assigned": AssignedV1, "Reassigned": ReassignedV1}


def recorded(event_type: str, variant: str = "") -> dict[str, Any]:
    sample: dict[str, Any] = json.loads((SAMPLES / f"{event_type}.v1{variant}.json").read_text(encoding="utf-8"))
    assert sample["schema_version"] == 1
    return dict(sample["data"])


def v1_record(event_type: str, *, header: bool = True) -> tuple[bytes, list[tuple[str, bytes]]]:
    """A version-1 record as the relay published it before version 2: the stored payload, ce_schemaversion 1."""
    old = EARLIER[event_type].model_validate(recorded(event_type))
    wrapped = Envelope.wrap(old, stream_id="c-1", stream_version=2, actor="office:li", correlation_id="corr-1")
    _, value, headers = to_record(wrapped, source="/county/cases")
    if not header:
        headers = [(name, raw) for name, raw in headers if name != "ce_schemaversion"]
    return value, headers


@pytest.mark.parametrize("event_type", ["Assigned", "Reassigned"])
def test_the_upcaster_gives_a_version_1_leader_a_null_liaison_and_leaves_its_input_as_it_was(
    event_type: str,
) -> None:
    data = recorded(event_type)
    before = copy.deepcopy(data)
    upcast = UPCASTERS[(event_type, 1)](data)
    assert data == before
    assert upcast == {**before, "leader": {**before["leader"], "liaison": None}}


def test_a_version_1_leader_with_a_liaison_was_never_version_1_and_is_refused() -> None:
    data = recorded("Assigned")
    data["leader"] = {**data["leader"], "liaison": "县政府办公室"}
    with pytest.raises(InvalidEvent, match="cannot upcast Assigned schema_version 1"):
        decode_payload("Assigned", 1, data)


def test_a_payload_without_a_leader_object_is_refused_by_the_validation_naming_the_field() -> None:
    data = recorded("Assigned") | {"leader": "王建国"}
    assert leader_gains_liaison(data) is data
    with pytest.raises(InvalidEvent, match="leader"):
        decode_payload("Assigned", 1, data)


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*ssigned.v1*.json")), ids=lambda p: p.name)
def test_a_recorded_version_1_sample_is_the_earlier_shape_and_reads_as_version_2(path: Path) -> None:
    sample = json.loads(path.read_text(encoding="utf-8"))
    earlier = EARLIER[sample["type"]].model_validate(sample["data"])
    event = decode_payload(sample["type"], 1, sample["data"])
    assert isinstance(event, Assigned | Reassigned) and event.schema_version == 2
    assert isinstance(earlier, AssignedV1 | ReassignedV1)
    assert event.leader.liaison is None
    # Everything the version-1 message said is still there, as it said it.
    assert event.model_dump(exclude={"leader"}) == earlier.model_dump(exclude={"leader"})
    assert event.leader.named() == earlier.leader


def test_a_version_1_payload_labelled_version_2_is_refused_naming_the_liaison() -> None:
    with pytest.raises(InvalidEvent, match="liaison"):
        decode_payload("Assigned", 2, recorded("Assigned"))


@pytest.mark.parametrize("header", [True, False], ids=["ce_schemaversion 1", "no ce_schemaversion"])
@pytest.mark.parametrize("event_type", ["Assigned", "Reassigned"])
def test_a_version_1_record_takes_the_upcasting_path(
    monkeypatch: pytest.MonkeyPatch, event_type: str, header: bool
) -> None:
    calls: list[dict[str, Any]] = []

    def spy(data: dict[str, Any]) -> dict[str, Any]:
        calls.append(data)
        return leader_gains_liaison(data)

    monkeypatch.setitem(UPCASTERS, (event_type, 1), spy)
    value, headers = v1_record(event_type, header=header)
    read = from_record(value, headers)
    assert len(calls) == 1
    assert isinstance(read.payload, Assigned | Reassigned) and read.payload.leader.liaison is None
    assert read.type == event_type and read.schema_version == 2  # in memory: the shape it was read as


def test_a_version_2_record_takes_the_fast_path_and_round_trips(monkeypatch: pytest.MonkeyPatch) -> None:
    event = Assigned.model_validate(
        recorded("Assigned") | {"leader": {"name": "王建国", "post": "城关镇党委书记", "liaison": "县政府办公室督查科"}}
    )
    wrapped = Envelope.wrap(
        event,
        stream_id="c-1",
        stream_version=2,
        actor="office:li",
        correlation_id="corr-1",
        occurred_at=datetime(2026, 6, 30, tzinfo=UTC),
    )
    _, value, headers = to_record(wrapped, source="/county/cases")
    assert dict(headers)["ce_schemaversion"] == b"2"

    def slow(event_type: str, schema_version: int, data: dict[str, Any]) -> Event:
        raise AssertionError("a version-2 record went the slow way")

    monkeypatch.setattr(envelope_module, "decode_payload", slow)
    assert from_record(value, headers) == wrapped


@pytest.mark.parametrize(
    "liaison",
    ["13800138000", "138 0013 8000", "0710-3123456", "县政府办公室（电话 0710 312 3456）", "１３８００１３８０００"],
)
def test_a_phone_number_is_never_a_liaison(liaison: str) -> None:
    with pytest.raises(ValidationError, match="不能填写电话号码"):
        AssignedLeader(name="王建国", post="城关镇党委书记", liaison=liaison)


@pytest.mark.parametrize("liaison", ["县政府办公室督查科", "城关镇党政办 李干事", "2号楼301室 督查科"])
def test_an_office_or_a_liaison_is_a_liaison(liaison: str) -> None:
    assert AssignedLeader(name="王建国", post="城关镇党委书记", liaison=liaison).liaison == liaison


def test_the_api_takes_a_leader_without_a_liaison_and_records_it_as_null() -> None:
    given = LeaderIn.model_validate({"name": "王建国", "post": "城关镇党委书记"})
    assert given.recorded() == AssignedLeader(name="王建国", post="城关镇党委书记", liaison=None)
    with pytest.raises(ValidationError, match="最多|at most"):
        LeaderIn.model_validate({"name": "王建国", "post": "书记", "liaison": "办" * 101})


def test_the_timeline_names_the_liaison_of_a_version_2_assignment_and_none_of_a_version_1_one() -> None:
    old = decode_payload("Assigned", 1, recorded("Assigned"))
    assert describe(old).startswith("交办示例unit，包案领导示例name（示例post），整改时限")
    new = decode_payload(
        "Assigned",
        2,
        recorded("Assigned") | {"leader": {"name": "王建国", "post": "书记", "liaison": "县政府办督查科"}},
    )
    assert describe(new).startswith("交办示例unit，包案领导王建国（书记），联络渠道县政府办督查科，整改时限")
