"""Measures through the HTTP API on the real database and broker, and a unit's record."""

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from services.accountability.deps import Deps
from services.accountability.settings import AccountabilitySettings
from shared.clock import SHANGHAI, now
from shared.contracts.accountability import MeasureImposed
from shared.contracts.cases import DeadlineMissed
from tests.conftest import SettingsFactory
from tests.integration.accountability.helpers import cases_envelope, count, missed, started
from tests.support.events import payload
from tests.support.kafka import wait_for_events

UNIT = "城关镇人民政府"

ADMONISHMENT: dict[str, Any] = {
    "target": {"kind": "person", "unit": UNIT, "name": "张三", "post": "镇长"},
    "measure": "admonishment_talk",
    "reason": "河道采砂问题整改三次超期",
    "case_ids": ["case-1"],
}
NOTICE: dict[str, Any] = {
    "target": {"kind": "unit", "unit": UNIT},
    "measure": "criticism_notice",
    "reason": "整改不力",
    "case_ids": ["case-1", "case-2"],
}


@pytest.fixture
async def service(make_settings: SettingsFactory, topics: list[str]) -> AsyncIterator[tuple[Deps, httpx.AsyncClient]]:
    async with started(make_settings(AccountabilitySettings)) as running_service:
        yield running_service


@pytest.fixture
def client(service: tuple[Deps, httpx.AsyncClient]) -> httpx.AsyncClient:
    return service[1]


async def test_an_imposed_measure_is_answered_stored_and_published(
    service: tuple[Deps, httpx.AsyncClient],
) -> None:
    deps, client = service
    answer = await client.post("/v1/measures", json=ADMONISHMENT, headers={"X-Actor": "county-discipline"})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert answer.headers["location"] == f"/v1/measures/{body['measure_id']}"
    assert body["measure_label"] == "诫勉谈话" and body["status_label"] == "有效"
    assert body["target"] == {"kind": "person", "kind_label": "个人", "unit": UNIT, "name": "张三", "post": "镇长"}
    assert body["imposed_by"] == "county-discipline"
    assert body["imposed_at"].endswith("+08:00")
    assert (await client.get(answer.headers["location"])).json() == body

    settings = deps.settings
    [event] = await wait_for_events(settings.broker, settings.own_topic, 1, timeout=30)
    assert (event.type, event.stream_id) == ("MeasureImposed", f"measure:{body['measure_id']}")
    assert event.actor == "county-discipline"
    assert payload(event, MeasureImposed).target.name == "张三"


async def test_without_an_actor_header_the_actor_is_anonymous(client: httpx.AsyncClient) -> None:
    assert (await client.post("/v1/measures", json=NOTICE)).json()["imposed_by"] == "anonymous"


async def test_a_revoked_measure_stays_listed_but_leaves_the_tally_and_cannot_be_revoked_twice(
    service: tuple[Deps, httpx.AsyncClient],
) -> None:
    deps, client = service
    measure_id = (await client.post("/v1/measures", json=ADMONISHMENT)).json()["measure_id"]
    revoked = await client.post(
        f"/v1/measures/{measure_id}/revoke", json={"reason": "对象有误"}, headers={"X-Actor": "county-discipline"}
    )
    assert revoked.status_code == 200, revoked.text
    assert (revoked.json()["status"], revoked.json()["status_label"]) == ("revoked", "已撤销")
    assert (revoked.json()["revoked_by"], revoked.json()["revoke_reason"]) == ("county-discipline", "对象有误")

    again = await client.post(f"/v1/measures/{measure_id}/revoke", json={"reason": "再撤一次"})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "measure_already_revoked"

    listed = (await client.get("/v1/measures")).json()
    assert [m["status"] for m in listed["items"]] == ["revoked"]
    assert {row["measure"]: row["count"] for row in listed["tally"]}["admonishment_talk"] == 0

    settings = deps.settings
    events = await wait_for_events(settings.broker, settings.own_topic, 2, timeout=30)
    assert [e.type for e in events] == ["MeasureImposed", "MeasureRevoked"]


async def test_revoking_a_measure_that_does_not_exist_is_not_found(client: httpx.AsyncClient) -> None:
    answer = await client.post("/v1/measures/nope/revoke", json={"reason": "对象有误"})
    assert answer.status_code == 404
    assert "nope" in answer.json()["error"]["message"]


async def test_imposing_and_revoking_answer_with_the_measures_version_in_the_etag(client: httpx.AsyncClient) -> None:
    imposed = await client.post("/v1/measures", json=ADMONISHMENT)
    assert imposed.headers["etag"] == '"1"'
    revoked = await client.post(
        f"/v1/measures/{imposed.json()['measure_id']}/revoke",
        json={"reason": "对象有误"},
        headers={"If-Match": imposed.headers["etag"]},
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.headers["etag"] == '"2"'


async def test_a_revocation_decided_on_a_stale_version_is_a_conflict_and_changes_nothing(
    service: tuple[Deps, httpx.AsyncClient],
) -> None:
    deps, client = service
    measure_id = (await client.post("/v1/measures", json=ADMONISHMENT)).json()["measure_id"]

    stale = await client.post(
        f"/v1/measures/{measure_id}/revoke", json={"reason": "对象有误"}, headers={"If-Match": "0"}
    )
    assert stale.status_code == 409, stale.text
    assert stale.json()["error"]["code"] == "version_conflict"

    measure = (await client.get(f"/v1/measures/{measure_id}")).json()
    assert (measure["status"], measure["revoked_at"], measure["revoke_reason"]) == ("active", None, None)
    streams = await deps.pool.fetch("select stream_version from events where stream_id = $1", f"measure:{measure_id}")
    assert [r["stream_version"] for r in streams] == [1]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"measure": "public_shaming"}, "measure"),
        ({"target": {"kind": "unit", "unit": UNIT}}, "target"),  # 诫勉谈话 names a person
        ({"target": {"kind": "person", "unit": UNIT, "post": "镇长"}}, "target.name"),
        ({"reason": "   "}, "reason"),
        ({"reason": None}, "reason"),
        ({"target": {"kind": "department", "unit": UNIT}}, "target.kind"),
    ],
)
async def test_a_measure_that_cannot_be_imposed_is_refused_with_the_field(
    client: httpx.AsyncClient, change: dict[str, Any], field: str
) -> None:
    body = {k: v for k, v in {**ADMONISHMENT, **change}.items() if v is not None}
    answer = await client.post("/v1/measures", json=body)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert field in [f["field"] for f in error["fields"]]
    assert error["message"]
    assert (await client.get("/v1/measures")).json()["total"] == 0


async def test_measures_are_listed_by_year_measure_and_unit(client: httpx.AsyncClient) -> None:
    elsewhere = {**NOTICE, "target": {"kind": "unit", "unit": "河西乡人民政府"}}
    for body in (ADMONISHMENT, NOTICE, elsewhere):
        assert (await client.post("/v1/measures", json=body)).status_code == 201
    year = now().astimezone(SHANGHAI).year

    async def listed(**params: Any) -> list[tuple[str, str]]:
        answer = await client.get("/v1/measures", params=params)
        assert answer.status_code == 200, answer.text
        return [(m["measure"], m["target"]["unit"]) for m in answer.json()["items"]]

    assert len(await listed(year=year)) == 3
    assert await listed(year=year - 1) == []
    assert await listed(measure="criticism_notice") == [
        ("criticism_notice", UNIT),
        ("criticism_notice", "河西乡人民政府"),
    ]
    assert await listed(unit=UNIT) == [("admonishment_talk", UNIT), ("criticism_notice", UNIT)]
    assert await listed(year=year, measure="criticism_notice", unit=UNIT) == [("criticism_notice", UNIT)]
    tally = {row["label"]: row["count"] for row in (await client.get("/v1/measures")).json()["tally"]}
    assert (tally["通报批评"], tally["诫勉谈话"], tally["书面检查"]) == (2, 1, 0)
    assert (await client.get("/v1/measures", params={"measure": "flogging"})).status_code == 422


async def test_a_units_record_shows_its_escalations_and_measures_in_order_in_chinese_and_shanghai_time(
    service: tuple[Deps, httpx.AsyncClient],
) -> None:
    deps, client = service
    first = cases_envelope(missed(UNIT), case_id="case-1", version=3)
    async with deps.pool.acquire() as conn:
        await count(conn, deps, first)
    measure_id = (await client.post("/v1/measures", json=ADMONISHMENT)).json()["measure_id"]
    second = cases_envelope(missed(UNIT, missed_count=2), case_id="case-1", version=5)
    async with deps.pool.acquire() as conn:
        await count(conn, deps, second)
    await client.post(f"/v1/measures/{measure_id}/revoke", json={"reason": "对象有误"})

    answer = await client.get(f"/v1/units/{UNIT}/record")
    assert answer.status_code == 200, answer.text
    record = answer.json()
    entries = record["entries"]
    assert [(e["type"], e["label"]) for e in entries] == [
        ("WarningIssued", "通报预警"),
        ("MeasureImposed", "问责：诫勉谈话"),
        ("SummonsIssued", "约谈督办"),
        ("MeasureRevoked", "撤销问责：诫勉谈话"),
    ]
    assert all(e["at"].endswith("+08:00") for e in entries)
    times = [datetime.fromisoformat(e["at"]) for e in entries]
    assert times == sorted(times)
    assert entries[0]["triggers"] == [
        {"event_id": str(first.event_id), "type": "DeadlineMissed", "label": DeadlineMissed.label}
    ]
    assert entries[1]["status_label"] == "已撤销" and entries[1]["target"]["name"] == "张三"
    assert entries[2]["summons_date"] is not None and entries[2]["level"] == 2.0
    assert entries[3]["reason"] == "对象有误"
    assert [(r["case_id"], r["level"], r["steps"]) for r in record["ladders"]] == [("case-1", 2.0, 2)]

    clean = (await client.get("/v1/units/县水利局/record")).json()
    assert clean == {"unit": "县水利局", "ladders": [], "entries": []}


async def test_the_policy_in_force_can_be_read(client: httpx.AsyncClient) -> None:
    policy = (await client.get("/v1/policy")).json()
    assert policy["weights"] == {"DeadlineMissed": 1.0, "ClosureRejected": 0.5, "Reopened": 1.0}
    assert policy["thresholds"]["summons"] == 2.0
