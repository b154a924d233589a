"""The canonical encoding, the hash chain, and what the chain shows of a tampered stream (shared/audit/)."""

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.audit.chain import (
    GENESIS,
    NotCanonical,
    canonical_encoding,
    canonical_time,
    content_digest,
    event_hash,
    link,
)
from shared.audit.continuity import Link, PartitionChain, judge, record_hash
from shared.audit.verify import StoredEvent, first_break

MOMENT = datetime(2026, 12, 2, 7, 30, 15, 123456, tzinfo=UTC)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def fields(version: int = 1, payload: object = None, **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "event_id": UUID(int=version),
        "type": "IssueReported",
        "schema_version": 1,
        "stream_id": "issue-1",
        "stream_version": version,
        "occurred_at": MOMENT,
        "actor": "operator:王",
        "correlation_id": "corr",
        "causation_id": None,
        "payload": {"title": "河道非法采砂", "n": version} if payload is None else payload,
    }
    return base | changes


def test_the_encoding_is_sorted_compact_utf8_json_with_the_time_in_utc_microseconds() -> None:
    encoded = canonical_encoding(**fields(payload={"b": '引号"\n', "a": [1.0, 0.1, 1.5e-7, 10**20]}))
    assert encoded.decode() == (
        '{"actor":"operator:王","causation_id":null,"correlation_id":"corr",'
        '"event_id":"00000000-0000-0000-0000-000000000001","occurred_at":"2026-12-02T07:30:15.123456Z",'
        '"payload":{"a":[1,0.1,1.5e-07,100000000000000000000],"b":"引号\\"\\n"},'
        '"schema_version":1,"stream_id":"issue-1","stream_version":1,"type":"IssueReported"}'
    )


@settings(max_examples=60)
@given(json_values)
def test_the_encoding_of_a_payload_is_the_same_after_it_is_stored_and_read_back_as_json(value: object) -> None:
    """Stored and read back, a payload comes in another key order and number text: it encodes alike."""
    payload = {"v": value, "w": [value]}
    read_back = json.loads(json.dumps(dict(reversed(payload.items())), ensure_ascii=True))
    assert canonical_encoding(**fields(payload=read_back)) == canonical_encoding(**fields(payload=payload))


def test_numbers_of_the_same_value_encode_alike_and_the_moment_in_any_zone_alike() -> None:
    shanghai = MOMENT.astimezone(timezone(timedelta(hours=8)))
    assert canonical_encoding(**fields(payload={"x": 100})) == canonical_encoding(**fields(payload={"x": 1e2}))
    assert canonical_encoding(**fields(occurred_at=shanghai)) == canonical_encoding(**fields())
    assert canonical_encoding(**fields(causation_id="")) == canonical_encoding(**fields(causation_id=None))


@given(
    st.datetimes(
        min_value=datetime(1949, 1, 1),
        max_value=datetime(2999, 12, 31),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-3, minutes=-30))]),
    ),
    st.sampled_from(["auto", "seconds", "milliseconds", "microseconds"]),
)
def test_a_time_read_from_its_text_is_encoded_as_the_moment_it_names(moment: datetime, timespec: str) -> None:
    """A record's ce_time is encoded from its text: the same as the moment it names, however it was written."""
    written = moment.isoformat(timespec=timespec)
    named = datetime.fromisoformat(written)
    assert canonical_time(written) == canonical_time(named)
    assert canonical_time(written.replace("+00:00", "Z")) == canonical_time(named)


def test_a_time_text_that_names_no_moment_is_refused() -> None:
    for text in ("2026-13-02T07:30:15.123456+00:00", "2026-02-30T07:30:15.123456Z", "yesterday"):
        with pytest.raises(ValueError):
            canonical_time(text)
    with pytest.raises(NotCanonical):
        canonical_time("2026-12-02T07:30:15.123456")


def test_a_record_whose_time_cannot_be_read_in_utc_has_no_hash_and_is_left_to_the_decoder() -> None:
    headers = {
        "ce_id": str(UUID(int=1)).encode(),
        "ce_type": b"IssueReported",
        "ce_subject": b"issue-1",
        "ce_streamversion": b"1",
        "ce_actor": b"operator",
        "ce_time": b"2026-12-02T07:30:15.123456+00:00",
    }
    assert record_hash(headers, b'{"title": "x"}', GENESIS) is not None
    for moment in (b"0001-01-01T00:00:00+08:00", b"9999-12-31T23:59:59-03:30", b"2026-13-02T07:30:15+00:00"):
        assert record_hash(headers | {"ce_time": moment}, b'{"title": "x"}', GENESIS) is None


def test_a_value_json_has_no_form_for_is_refused() -> None:
    with pytest.raises(NotCanonical):
        canonical_encoding(**fields(payload={"x": float("nan")}))
    with pytest.raises(NotCanonical):
        canonical_encoding(**fields(occurred_at=MOMENT.replace(tzinfo=None)))


@given(st.sampled_from(["type", "actor", "correlation_id", "stream_id"]), st.text(min_size=1))
def test_any_change_to_an_envelope_field_changes_the_hash(name: str, text: str) -> None:
    original = fields()
    changed = original | {name: str(original[name]) + text}
    assert event_hash(prev_hash=GENESIS, **changed) != event_hash(prev_hash=GENESIS, **original)


def test_an_events_hash_links_its_contents_digest_to_the_previous_hash() -> None:
    first = event_hash(prev_hash=GENESIS, **fields(1))
    assert first == link(GENESIS, content_digest(**fields(1)))
    assert event_hash(prev_hash=first, **fields(2)) != event_hash(prev_hash=GENESIS, **fields(2))
    with pytest.raises(ValueError):
        link(b"short", content_digest(**fields(1)))


def stream(versions: int = 5) -> list[StoredEvent]:
    events, prev = [], GENESIS
    for version in range(1, versions + 1):
        own = event_hash(prev_hash=prev, **fields(version))
        events.append(StoredEvent(fields=fields(version), prev_hash=prev, hash=own))
        prev = own
    return events


def renumbered(event: StoredEvent, version: int) -> StoredEvent:
    return StoredEvent(fields=event.fields | {"stream_version": version}, prev_hash=event.prev_hash, hash=event.hash)


def test_an_intact_stream_has_no_break() -> None:
    assert first_break("issue-1", stream()) is None


def test_an_edited_payload_is_named_changed() -> None:
    events = stream()
    events[2] = StoredEvent(
        fields=fields(3, payload={"title": "已整改"}), prev_hash=events[2].prev_hash, hash=events[2].hash
    )
    found = first_break("issue-1", events)
    assert found is not None and (found.kind, found.stream_version) == ("changed", 3)


def test_an_edit_whose_hash_was_rewritten_is_named_changed_through_the_event_after_it() -> None:
    events = stream()
    edited = fields(3, payload={"title": "已整改"})
    events[2] = StoredEvent(
        fields=edited, prev_hash=events[2].prev_hash, hash=event_hash(prev_hash=events[1].hash, **edited)
    )
    found = first_break("issue-1", events)
    assert found is not None and (found.kind, found.stream_version) == ("changed", 3)


def test_a_deleted_event_is_named_removed_at_the_event_after_the_gap() -> None:
    events = stream()
    del events[1]
    found = first_break("issue-1", events)
    assert found is not None and (found.kind, found.stream_version) == ("removed", 3)
    assert "version 2 missing" in found.detail


def test_a_swapped_pair_is_named_reordered() -> None:
    events = stream()
    events[1], events[2] = renumbered(events[2], 2), renumbered(events[1], 3)
    found = first_break("issue-1", events)
    assert found is not None and (found.kind, found.stream_version) == ("reordered", 2)


def test_an_event_put_between_two_linked_events_is_named_inserted() -> None:
    events = stream()
    forged_fields = fields(3, payload={"title": "伪造"})
    forged = StoredEvent(fields=forged_fields, prev_hash=GENESIS, hash=event_hash(prev_hash=GENESIS, **forged_fields))
    shifted = [renumbered(e, e.stream_version + 1) for e in events[2:]]
    found = first_break("issue-1", [*events[:2], forged, *shifted])
    assert found is not None and (found.kind, found.stream_version) == ("inserted", 3)


def claim(version: int, prev: bytes, own: bytes) -> Link:
    return Link(stream_id="issue-1", version=version, prev_hash=prev, hash=own)


def test_a_consumer_takes_a_redelivery_as_no_break_and_a_gap_or_a_foreign_prev_as_one() -> None:
    one, two = stream(2)
    head = (2, two.hash)
    assert judge(head, claim(1, GENESIS, one.hash), None) is None  # redelivered
    assert judge(head, claim(2, one.hash, two.hash), None) is None
    assert judge(head, claim(2, one.hash, GENESIS), None) is not None  # another event at the head's version
    assert judge(head, claim(4, b"\1" * 32, b"\2" * 32), None) == (
        "chain break: removed: version 3 is missing before version 4 (or was refused)"
    )
    assert (
        judge(head, claim(3, one.hash, b"\2" * 32), None)
        == "chain break: the event at version 3 does not chain from version 2"
    )
    assert judge(None, claim(1, b"\1" * 32, b"\2" * 32), None) is not None  # a first event not from genesis
    assert judge(None, claim(7, b"\1" * 32, b"\2" * 32), None) is None  # first seen mid-stream: taken as the head
    # ... unless the partition was read from its start and chained from its first record: versions 1-6 never came.
    assert judge(None, claim(7, b"\1" * 32, b"\2" * 32), None, whole=True) == (
        "chain break: removed or inserted: the stream's first event on this partition is version 7;"
        " version 1-6 never came (or was refused)"
    )
    assert judge(None, claim(1, GENESIS, one.hash), None, whole=True) is None
    assert judge(head, claim(3, two.hash, b"\2" * 32), b"\3" * 32) == (
        "chain break: changed: the event at version 3 does not match its hash"
    )


def test_a_partition_requires_the_chain_headers_once_its_first_chained_record_was_seen() -> None:
    upgraded = PartitionChain(first_offset=480, chained_from=None)
    assert not upgraded.requires_headers(490)  # records from before the chain
    upgraded.saw(500)
    upgraded.saw(510)  # the first chained record stays the one it was
    assert upgraded.chained_from == 500 and not upgraded.requires_headers(499) and upgraded.requires_headers(501)
    assert not upgraded.whole  # read from a committed position: a stream may be first seen mid-way
    fresh = PartitionChain(first_offset=0, chained_from=None)
    fresh.saw(0)
    assert fresh.whole and fresh.requires_headers(1)
    assert not PartitionChain(first_offset=0, chained_from=3).whole  # its oldest records came before the chain
