"""交办函: each 交办 gets a letter numbered per year, unique and without gaps, with two cases instances at once."""

import asyncio
import json
import uuid
from typing import Any

import asyncpg

from services.cases.main import create_app
from services.cases.settings import CasesSettings
from shared import clock
from shared.clock import SHANGHAI
from shared.contracts.cases import letter_stream
from tests.integration.cases.support import (
    envelope_of,
    five_definitions,
    issue_reported,
    produce,
    wait_for_case,
    wait_on_topic,
)
from tests.support.service import running

CASES = 300


async def letters(settings: CasesSettings, year: int) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(settings.database_dsn)
    try:
        rows = await conn.fetch(
            "select stream_version, payload::text as payload from events where stream_id = $1 order by stream_version",
            letter_stream(year),
        )
    finally:
        await conn.close()
    return [{"version": r["stream_version"], **json.loads(r["payload"])} for r in rows]


async def test_concurrent_assignments_on_two_instances_never_share_a_letter_number_and_leave_no_gap(
    settings: CasesSettings,
) -> None:
    year = clock.now().astimezone(SHANGHAI).year
    async with running(create_app(settings)) as one, running(create_app(settings)) as two:
        case_ids = [str(uuid.uuid4()) for _ in range(CASES)]
        await produce(settings, *(envelope_of(issue_reported(case_id)) for case_id in case_ids))
        await asyncio.gather(*(wait_for_case(one, case_id) for case_id in case_ids))

        # every assignment at once, half through each instance, each on the version it read (If-Match: 1)
        answers = await asyncio.gather(
            *(
                (one if i % 2 else two).post(
                    f"/v1/cases/{case_id}/assign", json=five_definitions(), headers={"If-Match": "1"}
                )
                for i, case_id in enumerate(case_ids)
            )
        )
        assert [a.status_code for a in answers] == [200] * CASES, [a.text for a in answers if a.status_code != 200]

        # a refused 交办 (a stale If-Match) takes no number with it
        stale = await one.post(f"/v1/cases/{case_ids[0]}/assign", json=five_definitions(), headers={"If-Match": "1"})
        assert stale.status_code == 409
        # a 重新交办 gets the next one
        again = await two.post(
            f"/v1/cases/{case_ids[0]}/assign", json={**five_definitions(unit="河口镇人民政府"), "reason": "属地调整"}
        )
        assert again.status_code == 200, again.text

        issued = await letters(settings, year)
        assert [letter["version"] for letter in issued] == list(range(1, CASES + 2))
        assert [letter["seq"] for letter in issued] == list(range(1, CASES + 2))
        assert [letter["letter_no"] for letter in issued] == [f"交办函〔{year}〕{n}号" for n in range(1, CASES + 2)]
        assert sorted(letter["case_id"] for letter in issued[:CASES]) == sorted(case_ids)
        last = issued[-1]
        assert (last["case_id"], last["reassigned"], last["unit"]) == (case_ids[0], True, "河口镇人民政府")
        assert issued[0]["problem"] == "河道两岸被挖空" and issued[0]["leader"]["name"] == "王建国"

        # published on cases.events like every event of the store
        on_topic = await wait_on_topic(settings, CASES + 1, "AssignmentLetterIssued")
        assert sorted(e.payload.seq for e in on_topic) == list(range(1, CASES + 2))  # type: ignore[attr-defined]
