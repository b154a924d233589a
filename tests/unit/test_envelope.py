import json
from datetime import UTC, datetime

import pytest

from shared.contracts.codes import DOMAIN_LABELS, SOURCE_LABELS, Domain, Source
from shared.contracts.intake import IssueReported, Location
from shared.envelope import Envelope, InvalidEvent, UnknownEventType, decode_payload, from_record, to_record


def _report(**overrides: object) -> IssueReported:
    fields: dict[str, object] = {
        "issue_id": "i-1",
        "source": Source.CENTRAL_INSPECTION,
        "title": "河道非法采砂",
        "description": "夜间有采砂船作业",
        "township": "城关镇",
        "domain": Domain.QUARRYING_SAND,
        "location": Location(address="城关镇河西村", lat=30.1, lon=114.2),
        "batch": "第二轮中央督察",
    }
    fields.update(overrides)
    return IssueReported(**fields)


def _envelope() -> Envelope:
    return Envelope.wrap(
        _report(),
        stream_id="i-1",
        stream_version=1,
        actor="operator:wang",
        correlation_id="c-1",
        causation_id="cause-1",
        occurred_at=datetime(2026, 6, 30, 8, 0, tzinfo=UTC),
    )


def test_every_code_has_a_chinese_label() -> None:
    assert set(SOURCE_LABELS) == set(Source)
    assert set(DOMAIN_LABELS) == set(Domain)
    assert SOURCE_LABELS[Source.CENTRAL_INSPECTION] == "中央环保督察"


def test_record_carries_cloudevents_attributes_as_ce_headers() -> None:
    envelope = _envelope()
    key, value, headers = to_record(envelope, source="/county/intake")
    attrs = {name: raw.decode() for name, raw in headers}
    assert key == b"i-1"
    assert attrs["ce_specversion"] == "1.0"
    assert attrs["ce_type"] == "IssueReported"
    assert attrs["ce_source"] == "/county/intake"
    assert attrs["ce_subject"] == "i-1"
    assert attrs["ce_time"] == "2026-06-30T08:00:00+00:00"
    assert attrs["ce_id"] == str(envelope.event_id)
    assert attrs["content-type"] == "application/json"
    # binary content mode: the value is the event's data alone
    assert json.loads(value)["title"] == "河道非法采砂"


def test_record_round_trips_to_the_same_envelope() -> None:
    original = _envelope()
    _, value, headers = to_record(original, source="/county/intake")
    assert from_record(value, headers) == original


def test_unknown_event_type_is_refused_by_name() -> None:
    with pytest.raises(UnknownEventType, match="NoSuchEvent"):
        decode_payload("NoSuchEvent", 1, {})


def test_invalid_payload_names_the_field() -> None:
    data = _report().model_dump(mode="json") | {"domain": "volcano"}
    with pytest.raises(InvalidEvent, match="domain"):
        decode_payload("IssueReported", 1, data)


def test_newer_schema_version_than_the_code_knows_is_refused() -> None:
    with pytest.raises(InvalidEvent, match="newer"):
        decode_payload("IssueReported", 2, _report().model_dump(mode="json"))


def test_record_without_cloudevents_headers_is_invalid() -> None:
    with pytest.raises(InvalidEvent, match="missing CloudEvents headers"):
        from_record(b"{}", [])


def test_record_whose_value_is_not_json_is_invalid() -> None:
    _, _, headers = to_record(_envelope(), source="/county/intake")
    with pytest.raises(InvalidEvent, match="not JSON"):
        from_record(b"\xff not json", headers)


def test_payload_with_unknown_field_is_refused() -> None:
    data = _report().model_dump(mode="json") | {"reporter_phone": "13800000000"}
    with pytest.raises(InvalidEvent, match="reporter_phone"):
        decode_payload("IssueReported", 1, data)
