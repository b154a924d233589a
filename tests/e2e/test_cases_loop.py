"""The closed loop with real processes: intake and two cases instances on one database."""

import asyncio
from datetime import timedelta
from typing import Any

import httpx

from services.cases.settings import CasesSettings
from services.intake.settings import IntakeSettings
from shared.clock import now
from tests.conftest import SettingsFactory
from tests.integration.cases.support import evidence_for
from tests.support.kafka import read_events
from tests.support.service import free_port, service_processes, staff_client


def report(title: str, address: str) -> dict[str, Any]:
    return {
        "source": "central_inspection",
        "title": title,
        "description": "群众反映问题，需现场核实",
        "township": "城关镇",
        "domain": "quarrying_sand",
        "location": {"address": address},
        "batch": "第二轮中央环保督察",
    }


def five_definitions(deadline_in: timedelta) -> dict[str, Any]:
    return {
        "problem": "河道两岸被挖空",
        "task": "清理采砂设备，恢复河岸",
        "unit": "城关镇人民政府",
        "leader": {"name": "王建国", "post": "城关镇党委书记"},
        "deadline": (now() + deadline_in).isoformat(),
        "measures": "按期完成通报表扬，逾期约谈",
    }


async def opened(client: httpx.AsyncClient, url: str, case_id: str, timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while (await client.get(f"{url}/v1/cases/{case_id}")).status_code != 200:
        assert asyncio.get_running_loop().time() < deadline, f"case {case_id} not opened"
        await asyncio.sleep(0.2)


async def test_reports_become_cases_one_closes_and_one_misses_its_deadline_once(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    intake = make_settings(IntakeSettings, port=free_port())
    # the same test prefix gives both instances the same database and topics
    first, second = (make_settings(CasesSettings, port=free_port(), deadline_poll_seconds=0.2) for _ in range(2))
    assert first.database == second.database
    services = (("services.intake", intake), ("services.cases", first), ("services.cases", second))
    async with service_processes(*services) as (i, a, b), staff_client(timeout=10) as client:
        ids = []
        for title, address in (("河道非法采砂", "城关镇河西村"), ("砖瓦窑冒黑烟", "城关镇东岗村")):
            accepted = await client.post(f"{i.url}/v1/reports", json=report(title, address))
            assert accepted.status_code == 202, accepted.text
            ids.append(accepted.json()["issue_id"])
        closing, late = ids
        await opened(client, a.url, closing)
        await opened(client, b.url, late)

        for url, case_id, deadline_in in ((a.url, closing, timedelta(days=30)), (b.url, late, timedelta(seconds=1.5))):
            assigned = await client.post(f"{url}/v1/cases/{case_id}/assign", json=five_definitions(deadline_in))
            assert assigned.status_code == 200, assigned.text
        evidence = await evidence_for(client, closing, base=b.url)
        requested = await client.post(
            f"{b.url}/v1/cases/{closing}/request-closure", json={"summary": "已整改", "evidence": evidence}
        )
        assert requested.json()["version"] == 3
        verified = await client.post(
            f"{a.url}/v1/cases/{closing}/verify", json={"passed": True}, headers={"If-Match": "3"}
        )
        assert verified.json()["status"] == "closed", verified.text

        topic = first.own_topic
        started = asyncio.get_running_loop().time()
        while asyncio.get_running_loop().time() - started < 15:
            events = await read_events(first.broker, topic)
            if any(e.type == "DeadlineMissed" for e in events) and any(e.type == "Closed" for e in events):
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)  # both pollers go round five more times
        events = await read_events(first.broker, topic)
        by_case = {case_id: [e.type for e in events if e.stream_id == case_id] for case_id in ids}
        assert by_case[closing] == ["CaseOpened", "Assigned", "ClosureRequested", "Closed"]
        # 1.5 s ahead is within the 3-day lead: a reminder first, then the miss, once
        assert by_case[late] == ["CaseOpened", "Assigned", "DeadlineApproaching", "DeadlineMissed"]
        listed = (await client.get(f"{b.url}/v1/cases", params={"overdue": "true"})).json()
        assert [item["case_id"] for item in listed["items"]] == [late]
