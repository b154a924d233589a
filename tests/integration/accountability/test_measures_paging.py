"""The list of measures is a page with its total, and the tally counts every measure selected (issue 12, 16)."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.accountability.api.measures import MAX_PAGE
from services.accountability.settings import AccountabilitySettings
from tests.conftest import SettingsFactory
from tests.integration.accountability.helpers import started

UNIT = "城关镇人民政府"


def notice(n: int) -> dict[str, Any]:
    return {
        "target": {"kind": "unit", "unit": UNIT},
        "measure": "criticism_notice",
        "reason": f"整改不力（第{n}次）",
        "case_ids": [f"case-{n}"],
    }


@pytest.fixture
async def client(make_settings: SettingsFactory, topics: list[str]) -> AsyncIterator[httpx.AsyncClient]:
    async with started(make_settings(AccountabilitySettings)) as (_, client):
        yield client


async def test_measures_come_a_page_at_a_time_with_the_total_and_the_tally_of_all(client: httpx.AsyncClient) -> None:
    ids = []
    for n in range(7):
        imposed = await client.post("/v1/measures", json=notice(n))
        assert imposed.status_code == 201, imposed.text
        ids.append(imposed.json()["measure_id"])
    revoked = await client.post(f"/v1/measures/{ids[0]}/revoke", json={"reason": "对象有误"})
    assert revoked.status_code == 200, revoked.text

    seen: list[str] = []
    while True:
        page = (await client.get("/v1/measures", params={"limit": 3, "offset": len(seen)})).json()
        assert (page["total"], page["limit"], page["offset"]) == (7, 3, len(seen))
        assert len(page["items"]) == min(3, 7 - len(seen))
        assert {row["label"]: row["count"] for row in page["tally"]}["通报批评"] == 6  # in force, of all seven
        seen += [m["measure_id"] for m in page["items"]]
        if len(seen) >= page["total"]:
            break
    assert seen == ids  # oldest first, each once

    default = (await client.get("/v1/measures")).json()
    assert default["limit"] == 100 and len(default["items"]) == 7
    beyond = await client.get("/v1/measures", params={"offset": 7})
    assert beyond.json()["items"] == [] and beyond.json()["total"] == 7


async def test_a_page_larger_than_the_bound_is_refused_naming_limit(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/measures", params={"limit": MAX_PAGE + 1})
    assert response.status_code == 422
    assert "limit" in str(response.json()["error"])
