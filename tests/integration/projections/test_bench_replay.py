"""The bench's check that a rebuild's read models equal the live ones (bench.replay.same_read_models), on a real rebuild
beside a real live consumer: equal when both applied the same events, the table named when a row differs, and no
verdict when the live models have moved past what the rebuild read."""

from bench.county import publish, simulate
from bench.replay import same_read_models
from services.projections.main import create_app
from services.projections.rebuild import rebuild
from services.projections.settings import ProjectionsSettings
from shared.settings import dsn_for
from tests.conftest import SettingsFactory
from tests.integration.projections.support import active_generation, caught_up
from tests.support.service import running


async def test_a_rebuild_is_compared_with_the_live_models_only_at_the_same_point_of_the_topics(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    live = make_settings(ProjectionsSettings)
    rebuilt = make_settings(ProjectionsSettings, database_name=f"{live.database_name}_rebuilt")
    county = simulate(seed=11, issues=20)
    await publish(live, county.envelopes)
    live_dsn, rebuilt_dsn = (dsn_for(s.database_url, s.database_name) for s in (live, rebuilt))
    async with running(create_app(live)) as client:
        await caught_up(client, len(county.envelopes))
        await rebuild(rebuilt, grace_seconds=0)

        same = await same_read_models(live_dsn, rebuilt_dsn, timeout=5)
        assert same["equal"] is True and same["differ"] == []
        assert same["live_events"] == same["rebuilt_events"] == len(county.envelopes)
        assert same["rows"]["issues"] == 20

        async with active_generation(rebuilt) as conn:
            await conn.execute("delete from issues where issue_id = (select min(issue_id) from issues)")
        same = await same_read_models(live_dsn, rebuilt_dsn, timeout=5)
        assert same["equal"] is False and same["differ"] == ["issues"]

        # More reports on the topics after the rebuild read them: the live models are of a later history.
        later = [e for e in simulate(seed=12, issues=3).envelopes if e.type == "IssueReported"]
        await publish(live, later)
        await caught_up(client, len(county.envelopes) + len(later))
        same = await same_read_models(live_dsn, rebuilt_dsn, timeout=5)
        assert same["equal"] is None and same["differ"] == []
        assert (same["live_events"], same["rebuilt_events"]) == (len(county.envelopes) + 3, len(county.envelopes))
        assert "applied" in same["why"]
