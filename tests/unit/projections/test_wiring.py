"""Every event type of the four topics is handled, described and read from its topic."""

from services.projections import consumers
from services.projections.generations import Generation
from services.projections.read_tables.facts import TOPIC_NAMES, TOPIC_OF, TOPICS
from services.projections.settings import ProjectionsSettings
from shared.contracts import label_of


def test_the_consumer_reads_all_four_topics_with_its_generations_group() -> None:
    settings = ProjectionsSettings(topic_prefix="x.")
    generation = Generation(
        number=2, schema="read_models_g2", consumer="read-models-g2", group_id="g-2", status="active"
    )
    runner = consumers.runner(settings, pool=None, generation=generation)  # type: ignore[arg-type]  # built, never run
    assert sorted(runner.topics) == sorted(
        f"x.{name}" for name in ("intake.events", "cases.events", "enforcement.events", "accountability.events")
    )
    assert runner.group_id == "g-2" and runner.name == "read-models-g2"
    assert len(TOPIC_NAMES) == 4


def test_every_event_of_the_four_topics_is_recorded_and_labelled() -> None:
    types = {cls.event_type() for events in TOPICS.values() for cls in events}
    assert consumers.HANDLED == types == set(TOPIC_OF)
    assert {cls.event_type() for line in consumers.DERIVED for cls in line.events} <= types
    missing = {t for t in types if label_of(t) == t}
    assert not missing, f"no zh-CN label for {missing}"


def test_the_public_row_is_derived_from_the_result_the_notice_and_the_confidentiality_of_a_case() -> None:
    from services.projections.read_tables import public

    (line,) = [line for line in consumers.DERIVED if line.writes == "public_cases"]
    # NoticeStarted and MarkedConfidential are named, not yet contracts of this code: derived once they come
    assert line.types == {"ClosureRequested", "NoticeStarted", "MarkedConfidential"} == set(public.TYPES)
    assert consumers._has_events(line, {"NoticeStarted"}) and not consumers._has_events(line, {"Closed"})
