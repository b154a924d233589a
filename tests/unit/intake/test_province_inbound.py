"""省级平台交办 in: CloudEvents in binary and structured mode, and what is poison."""

import json

import pytest

from services.intake.province_inbound import assignment_report, decode_inbound
from shared.contracts.codes import Domain, Source
from shared.contracts.intake import Channel
from shared.contracts.province import ASSIGNMENT_TYPE, ProvinceAssignment
from shared.envelope import InvalidEvent, UnknownEventType

DATA = {
    "reference": "SJ-2026-0001",
    "batch": "2026年第6批",
    "problem": "某砖厂无组织排放粉尘。周边村民反映强烈",
    "township": "城关镇",
    "domain": "砖瓦窑",
    "address": "城关镇南岗村",
    "lat": 30.1,
    "lon": 114.2,
    "deadline": "2026-07-30",
}


def binary(data: object = DATA, **overrides: str) -> tuple[bytes, list[tuple[str, bytes]]]:
    attrs = {
        "ce_specversion": "1.0",
        "ce_id": "evt-1",
        "ce_source": "/province/eco-platform",
        "ce_type": ASSIGNMENT_TYPE,
        "ce_time": "2026-06-30T09:00:00+08:00",
        "content-type": "application/json",
        **overrides,
    }
    return json.dumps(data, ensure_ascii=False).encode(), [(k, v.encode()) for k, v in attrs.items()]


def structured(**overrides: object) -> tuple[bytes, list[tuple[str, bytes]]]:
    event = {
        "specversion": "1.0",
        "id": "evt-2",
        "source": "/province/eco-platform",
        "type": ASSIGNMENT_TYPE,
        "time": "2026-06-30T01:00:00Z",
        "datacontenttype": "application/json",
        "data": DATA,
        **overrides,
    }
    return json.dumps(event, ensure_ascii=False).encode(), [
        ("content-type", b"application/cloudevents+json; charset=utf-8")
    ]


def test_a_binary_mode_assignment_is_read_from_its_headers() -> None:
    envelope = decode_inbound(*binary())
    assert isinstance(envelope.payload, ProvinceAssignment)
    assert envelope.payload.reference == "SJ-2026-0001"
    assert envelope.payload.domain is Domain.BRICK_TILE  # sent as its Chinese label
    assert envelope.occurred_at.isoformat() == "2026-06-30T09:00:00+08:00"
    assert envelope.actor == "province:/province/eco-platform"


def test_a_structured_mode_assignment_is_read_from_its_value() -> None:
    envelope = decode_inbound(*structured())
    assert isinstance(envelope.payload, ProvinceAssignment)
    assert envelope.payload.batch == "2026年第6批"
    assert envelope.correlation_id == "evt-2"


def test_a_redelivered_event_has_the_same_inbox_id_and_another_event_another() -> None:
    assert decode_inbound(*binary()).event_id == decode_inbound(*binary()).event_id
    assert decode_inbound(*binary()).event_id != decode_inbound(*binary(ce_id="evt-9")).event_id
    assert decode_inbound(*binary()).event_id != decode_inbound(*binary(ce_source="/other")).event_id


def test_an_assignment_becomes_a_report_from_the_province_keeping_its_reference() -> None:
    envelope = decode_inbound(*binary())
    assert isinstance(envelope.payload, ProvinceAssignment)
    report = assignment_report(envelope.payload)
    assert (report.source, report.channel) == (Source.PROVINCE_PLATFORM, Channel.PROVINCE_PLATFORM)
    assert (report.external_ref, report.batch, report.title) == ("SJ-2026-0001", "2026年第6批", "某砖厂无组织排放粉尘")
    assert report.location is not None and report.location.address == "城关镇南岗村"


def test_another_event_type_is_unknown() -> None:
    with pytest.raises(UnknownEventType):
        decode_inbound(*binary(ce_type="cn.province.eco.reminder"))


@pytest.mark.parametrize(
    "record",
    [
        (b"not json", [("ce_specversion", b"1.0")]),
        binary(ce_specversion="0.3"),
        (binary()[0], [(k, v) for k, v in binary()[1] if k != "ce_id"]),
        binary(data=["a list"]),
        binary(data={**DATA, "domain": "火星"}),
        binary(data={**DATA, "lat": 30.1, "lon": None}),
        binary(ce_time="yesterday"),
        structured(data_base64="AAAA"),
    ],
    ids=["not-json", "old-spec", "no-id", "data-not-object", "bad-domain", "half-coordinates", "bad-time", "base64"],
)
def test_poison_is_invalid(record: tuple[bytes, list[tuple[str, bytes]]]) -> None:
    with pytest.raises(InvalidEvent):
        decode_inbound(*record)


def test_a_refusal_names_the_field_but_not_its_value() -> None:
    with pytest.raises(InvalidEvent) as caught:
        decode_inbound(*binary(data={**DATA, "township": "", "problem": "秘密内容" * 2000}))
    assert "township" in str(caught.value) and "problem" in str(caught.value)
    assert "秘密内容" not in str(caught.value)
