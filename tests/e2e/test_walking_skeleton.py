"""One report travels intake → Kafka → projections, with both services as their own processes."""

import asyncio

from services.intake.settings import IntakeSettings
from services.projections.settings import ProjectionsSettings
from tests.conftest import SettingsFactory
from tests.support.service import free_port, service_processes, staff_client

REPORT = {
    "source": "central_inspection",
    "title": "河道非法采砂",
    "description": "夜间有采砂船作业，河岸被挖空",
    "township": "城关镇",
    "domain": "quarrying_sand",
    "location": {"address": "城关镇河西村", "lat": 30.12, "lon": 114.31},
    "batch": "第二轮中央环保督察",
}
# Outside development /metrics answers only its own bearer token (shared/web.py).
METRICS_TOKEN = "walking-skeleton-metrics-token-0123456789"
METRICS_AUTH = {"Authorization": f"Bearer {METRICS_TOKEN}"}


async def test_a_report_is_counted_by_projections_within_five_seconds(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    intake = make_settings(IntakeSettings, port=free_port(), metrics_token=METRICS_TOKEN)
    projections = make_settings(ProjectionsSettings, port=free_port(), metrics_token=METRICS_TOKEN)
    async with service_processes(("services.intake", intake), ("services.projections", projections)) as (i, p):
        async with staff_client() as client:
            accepted = await client.post(f"{i.url}/v1/reports", json=REPORT)
            assert accepted.status_code == 202
            issue_id = accepted.json()["issue_id"]
            started = asyncio.get_running_loop().time()
            counted = None
            while asyncio.get_running_loop().time() - started < 5:
                stats = (await client.get(f"{p.url}/v1/stats/closure-rates", params={"group_by": "source"})).json()
                counted = next((r for r in stats["rows"] if r["key"] == "central_inspection"), None)
                if counted:
                    break
                await asyncio.sleep(0.1)
            assert counted is not None, "projections did not count the report within five seconds"
            # Rows carry more figures and drill-down links; these five are the contract the skeleton set.
            assert {k: counted[k] for k in ("key", "label", "total", "closed", "rate")} == {
                "key": "central_inspection",
                "label": "中央环保督察",
                "total": 1,
                "closed": 0,
                "rate": 0.0,
            }
            partitions = stats["positions"][projections.topic("intake.events")]
            assert sum(p["applied_offset"] for p in partitions.values()) == 1
            assert all(p["lag"] == 0 for p in partitions.values())

            intake_metrics = (await client.get(f"{i.url}/metrics", headers=METRICS_AUTH)).text
            assert 'events_appended_total{type="IssueReported"} 1.0' in intake_metrics
            assert 'http_request_duration_seconds_count{handler="/v1/reports",method="POST"' in intake_metrics
            projection_metrics = (await client.get(f"{p.url}/metrics", headers=METRICS_AUTH)).text
            assert 'events_consumed_total{consumer="read-models",type="IssueReported"} 1.0' in projection_metrics

            report = (await client.get(f"{i.url}/v1/reports/{issue_id}")).json()
            assert report["title"] == REPORT["title"]
            assert report["reported_at"].endswith("+08:00")
