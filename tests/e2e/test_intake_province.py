"""The province's 交办 end to end: intake and cases as their own processes, the province only on Kafka.

The province publishes a 交办 on province.inbound; the county opens, assigns and closes
the case through the cases API; the province reads every status change and the result
on province.outbound as plain CloudEvents carrying its own reference.
"""

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from services.cases.settings import CasesSettings
from services.intake.settings import IntakeSettings
from shared.contracts.intake import IssueReported
from shared.contracts.province import ASSIGNMENT_TYPE
from tests.conftest import SettingsFactory
from tests.integration.cases.support import evidence_for
from tests.integration.intake.conftest import produce
from tests.support.kafka import read_topic, wait_for_events
from tests.support.service import free_port, service_processes, staff_client

REFERENCE = "SJ-2026-E2E-01"
ASSIGNMENT = {
    "reference": REFERENCE,
    "batch": "2026年第7批",
    "problem": "河口镇某养殖场粪污直排入河。群众多次反映",
    "township": "河口镇",
    "domain": "畜禽水产养殖",
    "address": "河口镇东湾村养殖场",
}


async def province_sees(
    settings: IntakeSettings, count: int, timeout: float = 20
) -> list[tuple[dict[str, str], dict[str, Any]]]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        records = await read_topic(settings.broker, settings.topic("province.outbound"))
        if len(records) >= count:
            return [({k: v.decode() for k, v in r.headers}, json.loads(r.value)) for r in records]
        assert asyncio.get_running_loop().time() < deadline, f"province saw only {len(records)} events"
        await asyncio.sleep(0.2)


async def test_the_province_follows_its_assignment_from_intake_to_closure(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    intake = make_settings(IntakeSettings, port=free_port())
    cases = make_settings(CasesSettings, port=free_port())
    async with service_processes(("services.intake", intake), ("services.cases", cases)) as (i, c):
        headers = [
            ("ce_specversion", b"1.0"),
            ("ce_id", b"prov-e2e-1"),
            ("ce_source", b"/province/eco-platform"),
            ("ce_type", ASSIGNMENT_TYPE.encode()),
            ("ce_time", b"2026-06-30T09:00:00+08:00"),
            ("content-type", b"application/json"),
        ]
        await produce(
            intake.broker,
            intake.topic("province.inbound"),
            [(REFERENCE.encode(), json.dumps(ASSIGNMENT, ensure_ascii=False).encode(), headers)],
        )
        [reported] = await wait_for_events(intake.broker, intake.own_topic, 1)
        issue_id = reported.stream_id
        assert isinstance(reported.payload, IssueReported)
        assert (reported.payload.source, reported.payload.external_ref) == ("province_platform", REFERENCE)
        [(_, opened)] = await province_sees(intake, 1)
        assert (opened["change"], opened["status_label"], opened["reference"]) == ("opened", "待交办", REFERENCE)

        async with staff_client(base_url=c.url, headers={"X-Actor": "duchaban"}, timeout=30) as county:
            deadline = (datetime.now(UTC) + timedelta(days=30)).isoformat()
            assigned = await county.post(
                f"/v1/cases/{issue_id}/assign",
                json={
                    "problem": "粪污直排",
                    "task": "建设粪污处理设施并停止直排",
                    "unit": "河口镇人民政府",
                    "leader": {"name": "周明", "post": "副县长"},
                    "deadline": deadline,
                    "measures": "逾期约谈",
                },
            )
            assert assigned.status_code < 300, assigned.text

            # A citizen reports the same place while the case is open: the answer is the province's issue.
            async with staff_client(base_url=i.url) as citizen:
                again = await citizen.post(
                    "/report",
                    headers={"Accept": "application/json"},
                    data={
                        "title": "养殖场又在排粪污",
                        "description": "东湾村河段",
                        "township": "河口镇",
                        "domain": "livestock_aquaculture",
                        "address": "河口镇 东湾村 养殖场",
                    },
                )
            assert (again.status_code, again.json()["status"], again.json()["issue_id"]) == (202, "linked", issue_id)

            evidence = await evidence_for(county, issue_id)
            for path, body in [
                ("request-closure", {"summary": "已建成沉淀池并接入还田管网", "evidence": evidence}),
                ("verify", {"passed": True, "note": "现场复核无直排", "verifier": "督察办陈静"}),
            ]:
                answer = await county.post(f"/v1/cases/{issue_id}/{path}", json=body)
                assert answer.status_code < 300, answer.text

        seen = await province_sees(intake, 5)
    assert [(h["ce_type"], d.get("change")) for h, d in seen[:5]] == [
        ("ProvinceStatusChanged", "opened"),
        ("ProvinceStatusChanged", "assigned"),
        ("ProvinceStatusChanged", "closure_requested"),
        ("ProvinceStatusChanged", "closed"),
        ("ProvinceResultReported", None),
    ]
    assert all(d["reference"] == REFERENCE and d["issue_id"] == issue_id for _, d in seen)
    assert all(h["ce_specversion"] == "1.0" and h["content-type"] == "application/json" for h, _ in seen)
    assert seen[1][1]["unit"] == "河口镇人民政府"
    result = seen[4][1]
    assert (result["summary"], result["verifier"], result["verification_note"]) == (
        "已建成沉淀池并接入还田管网",
        "督察办陈静",
        "现场复核无直排",
    )
