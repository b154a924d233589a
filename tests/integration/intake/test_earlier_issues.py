"""Issues recorded before intake kept its read tables are found by duplicate matching once it starts."""

import asyncpg

from services.intake.main import create_app
from services.intake.settings import IntakeSettings
from shared.contracts.codes import Domain, Source
from shared.contracts.intake import IssueReported, Location
from shared.db import create_pool, migrate
from shared.eventstore import EventStore, Metadata
from tests.conftest import SettingsFactory
from tests.support.service import running


async def test_an_issue_of_the_walking_skeleton_is_matched_by_place_and_by_reference(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    settings: IntakeSettings = make_settings(IntakeSettings)
    # The database as the walking skeleton left it: the platform's tables and one IssueReported, no intake tables.
    pool: asyncpg.Pool = await create_pool(settings)
    try:
        await migrate(pool)
        async with pool.acquire() as conn:
            old = IssueReported(
                issue_id="i-old",
                source=Source.CENTRAL_INSPECTION,
                title="河道采砂",
                description="夜间采砂",
                township="城关镇",
                domain=Domain.QUARRYING_SAND,
                batch="第二轮",
                external_ref="7",
                location=Location(address="城关镇 河西村３组"),
            )
            await EventStore(topic=settings.own_topic).append(
                conn, "i-old", [old], 0, Metadata(actor="t", correlation_id="c")
            )
    finally:
        await pool.close()

    async with running(create_app(settings)) as client:
        body = {
            "title": "又在采砂",
            "description": "同一地点",
            "township": "城关镇",
            "domain": "quarrying_sand",
            "source": "media",
            "location": {"address": "城关镇河西村3组"},
        }
        by_place = (await client.post("/v1/reports", json=body)).json()
        # The skeleton's report came through the API from the central inspection: the same channel and issuer.
        by_ref = (
            await client.post(
                "/v1/reports",
                json={**body, "source": "central_inspection", "location": None, "batch": "第二轮", "external_ref": "7"},
            )
        ).json()
        report = await client.get("/v1/reports/i-old")
    assert (by_place["status"], by_place["issue_id"], by_place["duplicate_rule"]) == ("linked", "i-old", "same_place")
    assert (by_ref["status"], by_ref["issue_id"]) == ("already_received", "i-old")
    assert report.json()["repeat_reports"] == 1
