"""信息公开 across the boundary: 不予公开 on a real cases service, MarkedConfidential on its topic, and projections'
public answer (no token) no longer listing the case; 恢复公开 by 督察办 lists it again, and the staff timeline says
which it was. Refusals (403, 409, 422) change nothing.
"""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.cases.main import create_app as cases_app
from services.cases.settings import CasesSettings
from services.projections.main import create_app as projections_app
from services.projections.settings import ProjectionsSettings
from shared.auth import Role
from tests.conftest import SettingsFactory
from tests.integration.cases.support import five_definitions, open_case, wait_on_topic
from tests.integration.projections.support import eventually
from tests.support.issuer import issue_token
from tests.support.service import running

UNIT = "城关镇人民政府"
ANONYMOUS = httpx.Auth()


@pytest.fixture
async def services(
    settings: CasesSettings, make_settings: SettingsFactory
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """cases and projections on this test's topics, each with its own database."""
    projections_settings: ProjectionsSettings = make_settings(ProjectionsSettings)
    async with running(cases_app(settings)) as cases, running(projections_app(projections_settings)) as projections:
        yield cases, projections


def as_unit(settings: CasesSettings, unit: str = UNIT) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(settings, subject=f'{unit} 联络员', role=Role.UNIT, unit=unit)}"}


async def public_ids(projections: httpx.AsyncClient) -> set[str]:
    answer = await projections.get("/v1/public/problems", auth=ANONYMOUS)
    assert answer.status_code == 200, answer.text
    return {item["case_id"] for item in answer.json()["items"]}


async def test_a_withheld_case_leaves_the_public_page_and_the_office_publishes_it_again(
    settings: CasesSettings, services: tuple[httpx.AsyncClient, httpx.AsyncClient]
) -> None:
    cases, projections = services
    case_id = await open_case(cases, settings)
    base = f"/v1/cases/{case_id}"
    assigned = await cases.post(f"{base}/assign", json=five_definitions(unit=UNIT), headers={"If-Match": "1"})
    assert assigned.status_code == 200, assigned.text
    await eventually(lambda: public_ids(projections), lambda ids: case_id in ids, "the assigned case published")

    withhold: dict[str, Any] = {"confidential": True, "reason": "涉及正在侦办的刑事案件"}
    url = f"{base}/confidentiality"
    refusals = [
        (await cases.post(url, json=withhold, headers={**as_unit(settings, "河口镇人民政府"), "If-Match": "2"}), 403),
        (await cases.post(url, json={"confidential": False, "reason": "可以公开"}, headers=as_unit(settings)), 403),
        (await cases.post(url, json={"confidential": True, "reason": "  "}, headers=as_unit(settings)), 422),
        (await cases.post(url, json={"confidential": False, "reason": "可以公开"}), 409),  # 督察办, public already
    ]
    assert [answer.status_code for answer, _ in refusals] == [code for _, code in refusals]
    assert [f["field"] for f in refusals[2][0].json()["error"]["fields"]] == ["reason"]
    assert refusals[3][0].json()["error"]["code"] == "not_confidential"
    assert (await cases.get(base)).json()["version"] == 2

    marked = await cases.post(url, json=withhold, headers={**as_unit(settings), "If-Match": "2"})
    assert marked.status_code == 200, marked.text
    assert marked.json()["events"] == ["MarkedConfidential"] and marked.json()["status"] == "assigned"
    again = await cases.post(url, json=withhold)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_confidential"
    case = (await cases.get(base)).json()
    assert (case["version"], case["confidential"], case["confidential_reason"]) == (3, True, "涉及正在侦办的刑事案件")

    on_topic = await wait_on_topic(settings, 1, "MarkedConfidential", case_id)
    assert [e.payload.model_dump() for e in on_topic] == [withhold]
    await eventually(lambda: public_ids(projections), lambda ids: case_id not in ids, "the case withheld")

    published = await cases.post(url, json={"confidential": False, "reason": "侦办终结"}, headers={"If-Match": "3"})
    assert published.status_code == 200, published.text
    await eventually(lambda: public_ids(projections), lambda ids: case_id in ids, "the case published again")
    timeline = (await projections.get(f"{base}/timeline")).json()["events"]
    assert [e["summary"] for e in timeline if e["type"] == "MarkedConfidential"] == [
        "不予公开：涉及正在侦办的刑事案件",
        "恢复公开：侦办终结",
    ]
