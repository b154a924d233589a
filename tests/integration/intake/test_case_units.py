"""Cases assigned before intake recorded their unit get it from cases.events' history, and their unit reads them."""

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from services.intake.case_units import fill_case_units
from services.intake.main import create_app
from services.intake.settings import IntakeSettings
from shared.auth import Role
from shared.contracts.cases import Assigned, AssignedLeader, Reassigned
from tests.integration.intake.conftest import ANONYMOUS, bearer, eventually, problem, produce_events
from tests.support.issuer import issue_token
from tests.support.service import serving

FIRST, SECOND, LATER = "城关镇人民政府", "河口镇人民政府", "县生态环境局"


def assigned(unit: str) -> Assigned:
    return Assigned(
        problem="河道非法采砂",
        task="恢复河道",
        unit=unit,
        leader=AssignedLeader(name="王强", post="副镇长", liaison=None),
        deadline=datetime.now(UTC) + timedelta(days=30),
        measures="逾期约谈",
    )


def reassigned(unit: str, previous: str) -> Reassigned:
    first = assigned(unit)
    return Reassigned(**first.model_dump(), previous_unit=previous)


async def test_a_case_assigned_before_units_were_recorded_gets_its_last_unit_and_no_recorded_unit_changes(
    settings: IntakeSettings,
) -> None:
    async with serving(create_app(settings)) as (client, state):
        deps: Any = state["deps"]
        ids = []
        # Two different problems (the same one twice would be linked as a duplicate of the first).
        other = {"title": "养殖场污水直排", "township": "河口镇", "domain": "livestock_aquaculture"}
        for body in (problem(), problem(**other, location={"address": "河口镇东湾村", "lat": 30.5, "lon": 114.9})):
            answer = await client.post("/v1/reports", json=body, auth=ANONYMOUS)
            assert answer.status_code == 202, answer.text
            ids.append(answer.json()["issue_id"])
        old, recorded = ids
        await produce_events(settings, "cases.events", old, [assigned(FIRST), reassigned(SECOND, FIRST)], first=2)
        await produce_events(settings, "cases.events", recorded, [assigned(FIRST)], first=2)
        conn = await asyncpg.connect(settings.database_dsn)
        try:

            async def followed() -> bool:
                rows = await conn.fetch("select issue_id, case_unit from issue_index where issue_id = any($1)", ids)
                return {row["issue_id"]: row["case_unit"] for row in rows} == {old: SECOND, recorded: FIRST}

            await eventually(followed)
            # As before migration 003: the old case's unit unknown; the other one recorded since (a later value).
            await conn.execute("update issue_index set case_unit = null where issue_id = $1", old)
            await conn.execute("update issue_index set case_unit = $2 where issue_id = $1", recorded, LATER)
            first_unit = bearer(settings, Role.UNIT)  # a token of 城关镇人民政府, the unit before
            assert (await client.get(f"/v1/reports/{old}", headers=_unit(settings, SECOND))).status_code == 404

            assert await fill_case_units(deps) == 1

            rows = await conn.fetch("select issue_id, case_unit from issue_index where issue_id = any($1)", ids)
            units = {row["issue_id"]: row["case_unit"] for row in rows}
            assert units == {old: SECOND, recorded: LATER}
            assert (await client.get(f"/v1/reports/{old}", headers=_unit(settings, SECOND))).status_code == 200
            assert (await client.get(f"/v1/reports/{old}", headers=first_unit)).status_code == 404
            # Nothing left to fill: the topic is not read again.
            assert await fill_case_units(deps) == 0
        finally:
            await conn.close()


def _unit(settings: IntakeSettings, unit: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(settings, subject='clerk', role=Role.UNIT, unit=unit)}"}
