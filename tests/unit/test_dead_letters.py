"""Dead letters: their reasons name fields but never values, and the replay command reads places as it lists them."""

import pytest

from shared.consumer import PoisonMessage, dead_letter_reason
from shared.dlq import DlqSettings, ReplayRefused, dlq_name, parse_offsets
from shared.envelope import InvalidEvent, decode_payload, from_record

PHONE = "13800138000"


def test_an_invalid_payload_names_its_fields_without_their_values() -> None:
    with pytest.raises(InvalidEvent) as caught:
        decode_payload("IssueReported", 1, {"issue_id": PHONE, "title": PHONE, "township": ""})
    reason = dead_letter_reason(caught.value)
    assert reason.startswith("invalid IssueReported payload: ")
    assert "source: Field required" in reason and "township: String should have at least 1 character" in reason
    assert PHONE not in reason


def test_an_envelope_that_quotes_what_it_could_not_parse_keeps_only_the_kind_of_error() -> None:
    headers = [
        ("ce_specversion", b"1.0"),
        ("ce_id", b"not-a-uuid-" + PHONE.encode()),
        ("ce_type", b"IssueReported"),
        ("ce_time", b"2026-01-01T00:00:00+00:00"),
        ("ce_subject", b"s"),
        ("ce_streamversion", b"1"),
        ("ce_actor", b"a"),
    ]
    value = b'{"issue_id": "i", "source": "hotline_12369", "title": "t", "description": "d", "township": "t",'
    value += b' "domain": "water"}'
    with pytest.raises(InvalidEvent) as caught:
        from_record(value, headers)
    assert dead_letter_reason(caught.value) == "invalid envelope: ValueError"


def test_a_refusal_on_purpose_is_its_own_reason() -> None:
    assert (
        dead_letter_reason(PoisonMessage("IssueReported carries a CaseOpened")) == "IssueReported carries a CaseOpened"
    )


def test_places_are_partition_and_offset_as_the_listing_shows_them() -> None:
    assert parse_offsets("0:12, 2:7,") == [(0, 12), (2, 7)]
    for wrong in ("12", "a:1", "0:-1", "0:1:2"):
        with pytest.raises(ReplayRefused, match="分区:偏移量"):
            parse_offsets(wrong)


def test_a_topic_is_named_with_or_without_its_prefix_or_as_its_dlq() -> None:
    settings = DlqSettings(topic_prefix="t1.")
    assert {dlq_name(settings, t) for t in ("cases.events", "t1.cases.events", "cases.events.dlq")} == {
        "t1.cases.events.dlq"
    }
