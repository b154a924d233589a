"""Enforcement as its own process: a case from an issue, an order ignored, the daily penalty, the issue's status."""

import asyncio

from aiokafka import AIOKafkaProducer

from services.enforcement.settings import EnforcementSettings
from shared.envelope import to_record
from tests.conftest import SettingsFactory
from tests.integration.enforcement.support import case_events
from tests.support.kafka import wait_for_events
from tests.support.service import free_port, service_processes, staff_client

ISSUE = "issue-e2e-1"


async def publish_case_assigned(settings: EnforcementSettings) -> None:
    """What the cases service would publish when the issue is reported and assigned (交办)."""
    producer = AIOKafkaProducer(**settings.broker.client_options())
    await producer.start()
    try:
        for envelope in case_events(ISSUE)[:2]:
            key, value, headers = to_record(envelope, source="/county/cases")
            await producer.send_and_wait(settings.topic("cases.events"), value=value, key=key, headers=headers)
    finally:
        await producer.stop()


async def test_an_enforcement_process_runs_the_daily_penalty_and_shows_the_issue_status(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    settings = make_settings(EnforcementSettings, port=free_port())
    async with (
        service_processes(("services.enforcement", settings)) as (service,),
        staff_client(base_url=service.url) as client,
    ):
        body = {
            "enterprise": {"name": "某某化工有限公司", "credit_code": "91110108551385082Q", "address": "城关镇"},
            "violation": "通过暗管排放超标废水",
            "legal_basis": "《环境保护法》第六十三条",
            "officer": "王执法",
            "issue_id": ISSUE,
        }
        opened = await client.post("/v1/enforcement-cases", json=body)
        assert opened.status_code == 201, opened.text
        case_url = opened.headers["location"]
        fine = await client.post(
            f"{case_url}/penalties", json={"amount": "20000", "decision_no": "罚1号", "due_date": "2024-04-01"}
        )
        assert fine.status_code == 201
        order = await client.post(
            f"{case_url}/rectification-orders",
            json={"requirements": "拆除暗管", "served_on": "2024-03-01", "deadline": "2024-03-10T18:00:00+08:00"},
        )
        order_id = order.json()["events"][0]["payload"]["order_id"]
        reinspected = await client.post(
            f"{case_url}/reinspections",
            json={"order_id": order_id, "inspected_on": "2024-03-11", "complied": False, "decision_no": "按日1号"},
        )
        assert reinspected.json()["events"][1]["payload"]["amount_fen"] == 10 * 2_000_000

        await publish_case_assigned(settings)
        deadline = asyncio.get_running_loop().time() + 15
        while (case := (await client.get(case_url)).json())["rectification_case"]["status"] != "assigned":
            assert asyncio.get_running_loop().time() < deadline, case["rectification_case"]
            await asyncio.sleep(0.1)
        assert case["totals"]["penalty_total"] == "220000.00"

    published = await wait_for_events(settings.broker, settings.own_topic, 5)
    assert [e.type for e in published] == [
        "EnforcementCaseOpened",
        "PenaltyIssued",
        "RectificationOrdered",
        "ReinspectionDone",
        "PenaltyIssued",
    ]
