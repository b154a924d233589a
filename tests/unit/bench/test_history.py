"""The replay's history: each service's streams in version order, cut where one append could not hold them."""

from bench.county import simulate
from bench.history import APPEND_ORDER, runs, streams
from services.projections.read_tables.facts import TOPICS


def test_every_event_of_the_county_goes_to_the_store_of_the_service_that_owns_its_topic_once_in_version_order() -> None:
    county = simulate(seed=3, issues=30)
    by_service = streams(county.envelopes)
    assert set(by_service) <= set(APPEND_ORDER) == set(TOPICS)
    placed = [e for of_service in by_service.values() for events in of_service.values() for e in events]
    assert sorted(e.event_id for e in placed) == sorted(e.event_id for e in county.envelopes)
    for of_service in by_service.values():
        for stream, events in of_service.items():
            assert [e.stream_version for e in events] == list(range(1, len(events) + 1)), stream


def test_an_append_holds_only_events_of_one_actor_and_correlation() -> None:
    county = simulate(seed=4, issues=30)
    for of_service in streams(county.envelopes).values():
        for events in of_service.values():
            cut = list(runs(events))
            assert [e for run in cut for e in run] == events
            assert all(len({(e.actor, e.correlation_id) for e in run}) == 1 for run in cut)
