"""A projections database from before generations is upgraded and its read models replayed from offset 0."""

import shutil
from pathlib import Path

from bench.county import publish, simulate
from services.projections.main import MIGRATIONS, create_app
from services.projections.settings import ProjectionsSettings
from shared.db import create_pool, migrate
from tests.conftest import SettingsFactory
from tests.integration.projections.support import caught_up
from tests.support.service import running


async def test_the_first_read_model_is_dropped_and_every_event_replayed_into_generation_one(
    make_settings: SettingsFactory,
    topics: list[str],
    tmp_path: Path,
) -> None:
    settings = make_settings(ProjectionsSettings)
    county = simulate(seed=4, issues=20)
    await publish(settings, county.envelopes)

    # The database as the walking skeleton left it: pj_issues, and the inbox of a consumer that applied everything.
    old = tmp_path / "projections" / "migrations"
    old.mkdir(parents=True)
    shutil.copy(MIGRATIONS / "001_issues.sql", old)
    pool = await create_pool(settings)
    try:
        await migrate(pool, old)
        await pool.executemany(
            "insert into inbox (consumer, event_id) values ('read-models', $1)",
            [(e.event_id,) for e in county.envelopes],
        )
        await pool.execute(
            """insert into consumer_positions (consumer, topic, partition, "offset")
                              values ('read-models', $1, 0, 99)""",
            settings.topic("intake.events"),
        )
    finally:
        await pool.close()

    async with running(create_app(settings)) as client:
        await caught_up(client, len(county.envelopes))
        totals = (await client.get("/v1/stats/closure-rates")).json()
        assert totals["totals"]["total"] == len(county.issues)
        assert totals["read_model"] == {"generation": 1, "consumer": "read-models"}
