"""The replay's history (bench/history.py): made once through the event stores and relays, then replayed whole."""

from bench.history import make_history
from services.projections.rebuild import rebuild
from services.projections.settings import ProjectionsSettings
from shared.settings import ServiceSettings
from tests.conftest import SettingsFactory


async def test_the_history_is_made_once_through_the_stores_and_relays_and_a_rebuild_replays_all_of_it(
    make_settings: SettingsFactory, topics: list[str], prefix: str
) -> None:
    base: ServiceSettings = make_settings()
    made = await make_history(base, 400, database_prefix=f"{prefix}_store_")
    assert made.made and made.events_on_topics == made.appended >= 400
    again = await make_history(base, 400, database_prefix=f"{prefix}_store_")
    assert not again.made and again.appended == 0 and again.events_on_topics == made.events_on_topics
    # Forced, it finds every stream's versions stored already and appends nothing.
    forced = await make_history(base, 400, database_prefix=f"{prefix}_store_", force=True)
    assert forced.made and forced.appended == 0 and forced.events_on_topics == made.events_on_topics
    replay = await rebuild(make_settings(ProjectionsSettings), grace_seconds=0)
    assert replay.events == made.events_on_topics
