"""The whole chain as processes: a report becomes a case, its deadlines pass, and accountability escalates."""

import asyncio
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from services.accountability.settings import AccountabilitySettings
from services.cases.settings import CasesSettings
from services.intake.settings import IntakeSettings
from shared.clock import now
from tests.conftest import SettingsFactory
from tests.support.service import free_port, service_processes, staff_client

UNIT = "城关镇人民政府"
REPORT = {
    "source": "hotline_12369",
    "title": "河道非法采砂",
    "description": "夜间有采砂船作业",
    "township": "城关镇",
    "domain": "quarrying_sand",
}


async def until(fetch: Any, ready: Any, what: str, timeout: float = 30.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await fetch()
        if ready(value):
            return value
        assert asyncio.get_running_loop().time() < deadline, f"not reached in {timeout}s: {what}; last: {value}"
        await asyncio.sleep(0.2)


async def test_two_missed_deadlines_of_a_case_bring_a_warning_then_a_summons(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    intake = make_settings(IntakeSettings, port=free_port())
    cases = make_settings(CasesSettings, port=free_port(), deadline_poll_seconds=0.2)
    accountability = make_settings(AccountabilitySettings, port=free_port())
    services = (
        ("services.intake", intake),
        ("services.cases", cases),
        ("services.accountability", accountability),
    )
    async with service_processes(*services) as (i, c, a), staff_client(timeout=10) as client:
        reported = await client.post(f"{i.url}/v1/reports", json=REPORT)
        assert reported.status_code == 202, reported.text
        case_id = reported.json()["issue_id"]
        await until(lambda: client.get(f"{c.url}/v1/cases/{case_id}"), lambda r: r.status_code == 200, "case opened")

        assigned = await client.post(
            f"{c.url}/v1/cases/{case_id}/assign",
            json={
                "problem": "河道非法采砂",
                "task": "清理砂场，恢复河岸",
                "unit": UNIT,
                "leader": {"name": "李四", "post": "副镇长"},
                "deadline": (now() + timedelta(seconds=1)).isoformat(),
                "measures": "逾期按问责办法处理",
            },
        )
        assert assigned.status_code == 200, assigned.text
        record_url = f"{a.url}/v1/units/{quote(UNIT)}/record"

        async def record() -> dict[str, Any]:
            answer: dict[str, Any] = (await client.get(record_url)).json()
            return answer

        first = await until(record, lambda r: len(r["entries"]) >= 1, "a warning after the first miss")
        assert [(e["type"], e["case_ids"]) for e in first["entries"]] == [("WarningIssued", [case_id])]

        extended = await client.post(
            f"{c.url}/v1/cases/{case_id}/extend",
            json={
                "new_deadline": (now() + timedelta(seconds=1)).isoformat(),
                "reason": "汛期无法施工",
                "approved_by": "王五",
            },
        )
        assert extended.status_code == 200, extended.text
        second = await until(record, lambda r: len(r["entries"]) >= 2, "a summons after the second miss")
        assert [e["label"] for e in second["entries"]] == ["通报预警", "约谈督办"]
        assert second["entries"][1]["summons_date"] is not None
        assert [(r["case_id"], r["level"]) for r in second["ladders"]] == [(case_id, 2.0)]
