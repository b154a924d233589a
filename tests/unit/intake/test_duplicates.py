"""重复举报 rules, without I/O."""

from datetime import UTC, datetime, timedelta

from services.intake.duplicates import (
    DuplicatePolicy,
    KnownIssue,
    KnownReference,
    Match,
    Outcome,
    Place,
    Reference,
    address_key,
    classify,
    distance_m,
    reference_of,
)
from shared.contracts.codes import Domain
from shared.contracts.intake import Channel, DuplicateRule, Location

NOW = datetime(2026, 6, 30, 8, 0, tzinfo=UTC)
POLICY = DuplicatePolicy(distance_m=200, window=timedelta(days=30))
HERE = Location(lat=30.0, lon=114.0)
# About 111 m per 0.001 degree of latitude.
NEAR = Location(lat=30.001, lon=114.0)
FAR = Location(lat=30.01, lon=114.0)


def known(
    issue_id: str = "i-1",
    location: Location = HERE,
    domain: Domain = Domain.WATER,
    *,
    reported_at: datetime = NOW - timedelta(days=1),
    closed: bool = False,
) -> KnownIssue:
    return KnownIssue(
        issue_id=issue_id, place=Place("城关镇", domain, location), reported_at=reported_at, closed=closed
    )


def decide(place: Place, candidates: list[KnownIssue], by_reference: KnownReference | None = None) -> Match:
    return classify(place=place, by_reference=by_reference, candidates=candidates, policy=POLICY, now=NOW)


def test_distance_of_a_thousandth_degree_of_latitude_is_about_111_metres() -> None:
    assert 110 < distance_m(HERE, NEAR) < 112


def test_a_report_near_an_open_issue_of_the_same_township_and_domain_is_linked_to_it() -> None:
    match = decide(Place("城关镇", Domain.WATER, NEAR), [known()])
    assert match.outcome is Outcome.LINKED
    assert match.issue_id == "i-1"
    assert match.rule is DuplicateRule.SAME_PLACE
    assert match.distance_m == 111


def test_a_nearby_report_of_a_different_problem_stays_separate() -> None:
    assert decide(Place("城关镇", Domain.AIR, NEAR), [known()]).outcome is Outcome.NEW


def test_a_report_in_another_township_stays_separate_even_at_the_same_coordinates() -> None:
    assert decide(Place("河口镇", Domain.WATER, HERE), [known()]).outcome is Outcome.NEW


def test_a_report_beyond_the_distance_stays_separate() -> None:
    assert decide(Place("城关镇", Domain.WATER, FAR), [known()]).outcome is Outcome.NEW


def test_an_issue_older_than_the_window_is_not_matched() -> None:
    old = known(reported_at=NOW - timedelta(days=31))
    assert decide(Place("城关镇", Domain.WATER, HERE), [old]).outcome is Outcome.NEW


def test_a_closed_issue_is_not_matched_by_place() -> None:
    assert decide(Place("城关镇", Domain.WATER, HERE), [known(closed=True)]).outcome is Outcome.NEW


def test_the_nearest_of_several_open_issues_wins() -> None:
    match = decide(Place("城关镇", Domain.WATER, NEAR), [known("far-ish", HERE), known("same", NEAR)])
    assert (match.issue_id, match.distance_m) == ("same", 0)


def test_without_coordinates_the_same_address_written_differently_matches() -> None:
    issue = known(location=Location(address="城关镇 河西村3组"))
    match = decide(Place("城关镇", Domain.WATER, Location(address="城关镇河西村３组。")), [issue])
    assert (match.outcome, match.distance_m) == (Outcome.LINKED, 0)


def test_without_coordinates_a_different_address_stays_separate() -> None:
    issue = known(location=Location(address="城关镇河西村3组"))
    assert decide(Place("城关镇", Domain.WATER, Location(address="城关镇河东村")), [issue]).outcome is Outcome.NEW


def test_a_report_without_a_location_is_never_matched_by_place() -> None:
    assert decide(Place("城关镇", Domain.WATER, None), [known()]).outcome is Outcome.NEW


def test_a_known_reference_of_the_same_channel_and_issuer_is_a_resend_that_creates_nothing() -> None:
    match = decide(Place("城关镇", Domain.AIR, None), [known()], by_reference=KnownReference(issue_id="i-9"))
    assert (match.outcome, match.issue_id, match.rule) == (
        Outcome.ALREADY_RECEIVED,
        "i-9",
        DuplicateRule.SAME_EXTERNAL_REF,
    )


def test_a_reference_is_the_channel_the_issuer_the_batch_and_the_number_together() -> None:
    official = reference_of(Channel.BATCH_UPLOAD, "central_inspection", " 第二轮第3批 ", " 12 ")
    assert official == Reference(Channel.BATCH_UPLOAD, "central_inspection", "第二轮第3批", "12")
    # The same batch and serial through another door, or numbered by another issuer, is another reference.
    assert reference_of(Channel.API, "central_inspection", "第二轮第3批", "12") != official
    assert reference_of(Channel.BATCH_UPLOAD, "provincial_inspection", "第二轮第3批", "12") != official
    # A batch and serial are kept apart: "a/b" + "c" is not "a" + "b/c".
    assert reference_of(Channel.API, "media", "a/b", "c") != reference_of(Channel.API, "media", "a", "b/c")
    assert reference_of(Channel.API, "hotline_12369", None, "12369-0001") == Reference(
        Channel.API, "hotline_12369", "", "12369-0001"
    )
    assert reference_of(Channel.API, "media", "第3批", "  ") is None


def test_address_key_ignores_width_case_spaces_and_punctuation() -> None:
    assert address_key("Ａ区，3号 楼") == address_key("a区3号楼")
    assert address_key("，。") is None
