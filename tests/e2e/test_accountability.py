"""Accountability as its own process, with a custom policy file: escalations and measures end to end over Kafka."""

from collections import Counter
from datetime import timedelta
from pathlib import Path

import asyncpg

from services.accountability.settings import AccountabilitySettings
from shared.clock import SHANGHAI
from shared.contracts.accountability import DisciplineReferralMade, SummonsIssued
from tests.conftest import SettingsFactory
from tests.integration.accountability.helpers import cases_envelope, eventually, missed, produce, record, rejected
from tests.support.events import payload
from tests.support.kafka import read_events, wait_for_events
from tests.support.service import free_port, service_processes, staff_client

UNIT = "城关镇人民政府"

# Only what this county changes: a rejected verification counts as much as a missed deadline,
# and the summons is two calendar days later.
CUSTOM_POLICY = """
[weights]
closure_rejected = 1

[summons]
after_days = 2
day_kind = "calendar"
"""


async def test_escalations_follow_a_custom_policy_and_measures_are_imposed_and_revoked_end_to_end(
    make_settings: SettingsFactory, topics: list[str], tmp_path: Path
) -> None:
    policy_file = tmp_path / "county-policy.toml"
    policy_file.write_text(CUSTOM_POLICY, encoding="utf-8")
    settings = make_settings(AccountabilitySettings, port=free_port(), accountability_policy=policy_file)
    miss = cases_envelope(missed(UNIT), case_id="case-1", version=4)
    rejection = cases_envelope(rejected(UNIT), case_id="case-1", version=7)
    third = cases_envelope(missed(UNIT, missed_count=2), case_id="case-1", version=10)

    async with service_processes(("services.accountability", settings)) as [service]:
        async with staff_client(base_url=service.url) as client:
            policy = (await client.get("/v1/policy")).json()
            assert policy["weights"]["ClosureRejected"] == 1.0 and policy["day_kind"] == "calendar"

            await produce(settings, [record(miss), record(miss), record(rejection), record(third), record(miss)])
            imposed = await client.post(
                "/v1/measures",
                json={
                    "target": {"kind": "person", "unit": UNIT, "name": "张三", "post": "镇长"},
                    "measure": "written_self_criticism",
                    "reason": "河道采砂问题三次未按期整改",
                    "case_ids": ["case-1"],
                },
                headers={"X-Actor": "county-discipline"},
            )
            assert imposed.status_code == 201, imposed.text
            measure_id = imposed.json()["measure_id"]
            revoked = await client.post(f"/v1/measures/{measure_id}/revoke", json={"reason": "对象有误，应为副镇长"})
            assert revoked.status_code == 200, revoked.text

            events = await wait_for_events(settings.broker, settings.own_topic, 6, timeout=30)
            assert Counter(e.type for e in events) == Counter(
                [
                    "WarningIssued",
                    "SummonsIssued",
                    "CriticismNoticeIssued",
                    "DisciplineReferralMade",
                    "MeasureImposed",
                    "MeasureRevoked",
                ]
            )
            by_type = {e.type: e for e in events}
            summons = by_type["SummonsIssued"].payload
            assert isinstance(summons, SummonsIssued)
            assert summons.trigger_event_ids == [str(rejection.event_id)]
            assert summons.summons_date == rejection.occurred_at.astimezone(SHANGHAI).date() + timedelta(days=2)
            assert payload(by_type["DisciplineReferralMade"], DisciplineReferralMade).case_ids == ["case-1"]

            # The repeated DeadlineMissed (same event id, twice) is applied and changes nothing.
            conn = await asyncpg.connect(settings.database_dsn)
            try:

                async def all_applied() -> bool:
                    return int(await conn.fetchval('select coalesce(sum("offset"), 0) from consumer_positions')) == 5

                async def all_published() -> bool:
                    return int(await conn.fetchval("select count(*) from outbox")) == 0

                await eventually(all_applied, "all five cases records applied")
                await eventually(all_published, "the outbox drained")
            finally:
                await conn.close()
            assert len(await read_events(settings.broker, settings.own_topic)) == 6

            record_ = (await client.get(f"/v1/units/{UNIT}/record")).json()
            assert [e["label"] for e in record_["entries"] if not e["type"].startswith("Measure")] == [
                "通报预警",
                "约谈督办",
                "通报批评",
                "移交纪委监委",
            ]
            assert [(r["case_id"], r["level"], r["steps"]) for r in record_["ladders"]] == [("case-1", 3.0, 3)]
            params = {"unit": UNIT, "measure": "written_self_criticism"}
            listed = (await client.get("/v1/measures", params=params)).json()
            assert [(m["measure_id"], m["status_label"]) for m in listed["items"]] == [(measure_id, "已撤销")]
