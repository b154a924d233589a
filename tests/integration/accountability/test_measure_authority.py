"""Who may impose and revoke which measure (问责权限), through the HTTP API: the 督察办 issues criticism notices
(通报批评) only and revokes only its own; every other measure, and revoking the commission's, is 纪委监委's."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.accountability.settings import AccountabilitySettings
from shared.auth import Role
from shared.contracts.codes import MeasureKind
from tests.conftest import SettingsFactory
from tests.integration.accountability.helpers import started
from tests.support.issuer import issue_token

UNIT = "城关镇人民政府"
PERSON = {"kind": "person", "unit": UNIT, "name": "张三", "post": "镇长"}


def body(measure: MeasureKind) -> dict[str, Any]:
    person = measure not in (MeasureKind.CRITICISM_NOTICE, MeasureKind.COLLECTIVE_SUMMONS)
    target = PERSON if person else {"kind": "unit", "unit": UNIT}
    return {"target": target, "measure": measure.value, "reason": "河道采砂问题整改超期", "case_ids": ["case-1"]}


@pytest.fixture
async def client(make_settings: SettingsFactory, topics: list[str]) -> AsyncIterator[httpx.AsyncClient]:
    async with started(make_settings(AccountabilitySettings)) as (_, client):
        yield client


@pytest.fixture
def office(make_settings: SettingsFactory) -> dict[str, str]:
    token = issue_token(make_settings(AccountabilitySettings), subject="督察办 周敏", role=Role.INSPECTION_OFFICE)
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("measure", [k for k in MeasureKind if k is not MeasureKind.CRITICISM_NOTICE])
async def test_the_inspection_office_is_refused_every_measure_but_a_criticism_notice(
    client: httpx.AsyncClient, office: dict[str, str], measure: MeasureKind
) -> None:
    answer = await client.post("/v1/measures", json=body(measure), headers=office)
    assert answer.status_code == 403, answer.text
    error = answer.json()["error"]
    assert error["code"] == "forbidden" and "督察办只能作出通报批评" in error["message"]
    assert (await client.get("/v1/measures")).json()["items"] == []


async def test_the_inspection_office_issues_a_criticism_notice_and_may_revoke_it(
    client: httpx.AsyncClient, office: dict[str, str]
) -> None:
    issued = await client.post("/v1/measures", json=body(MeasureKind.CRITICISM_NOTICE), headers=office)
    assert issued.status_code == 201, issued.text
    revoked = await client.post(
        f"/v1/measures/{issued.json()['measure_id']}/revoke", json={"reason": "对象有误"}, headers=office
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["status_label"] == "已撤销"


@pytest.mark.parametrize("measure", [MeasureKind.ADMONISHMENT_TALK, MeasureKind.CRITICISM_NOTICE])
async def test_the_inspection_office_may_not_revoke_a_measure_of_the_discipline_commission(
    client: httpx.AsyncClient, office: dict[str, str], measure: MeasureKind
) -> None:
    imposed = await client.post("/v1/measures", json=body(measure))  # as the discipline commission
    assert imposed.status_code == 201, imposed.text
    measure_id = imposed.json()["measure_id"]
    refused = await client.post(f"/v1/measures/{measure_id}/revoke", json={"reason": "对象有误"}, headers=office)
    assert refused.status_code == 403, refused.text
    assert "只能由纪委监委撤销" in refused.json()["error"]["message"]
    assert (await client.get(f"/v1/measures/{measure_id}")).json()["status_label"] == "有效"
    revoked = await client.post(f"/v1/measures/{measure_id}/revoke", json={"reason": "对象有误"})
    assert revoked.status_code == 200 and revoked.json()["status_label"] == "已撤销"


async def test_the_discipline_commission_may_revoke_a_notice_of_the_inspection_office(
    client: httpx.AsyncClient, office: dict[str, str]
) -> None:
    issued = await client.post("/v1/measures", json=body(MeasureKind.CRITICISM_NOTICE), headers=office)
    revoked = await client.post(f"/v1/measures/{issued.json()['measure_id']}/revoke", json={"reason": "对象有误"})
    assert revoked.status_code == 200, revoked.text
