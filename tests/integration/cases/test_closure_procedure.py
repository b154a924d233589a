"""The closure procedure (销号工作规程) across the boundaries: HTTP commands by role, an objection from
intake.events, and 复核 through the province (requested on province.outbound, its result as a CloudEvent on
province.inbound, recorded by intake, applied by cases)."""

import asyncio
import json
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from services.cases.main import create_app as cases_app
from services.cases.settings import CasesSettings
from services.intake.main import create_app as intake_app
from services.intake.settings import IntakeSettings
from shared import clock
from shared.auth import Role
from shared.contracts.intake import ObjectionFiled
from shared.contracts.province import REVIEW_TYPE, ProvinceClosureFiled, ProvinceReviewRequested
from shared.envelope import Envelope
from tests.conftest import SettingsFactory
from tests.integration.cases.support import evidence_for, five_definitions, open_case, produce, wait_for_case
from tests.integration.intake.conftest import produce as produce_records
from tests.support.issuer import issue_token
from tests.support.kafka import read_events
from tests.support.service import running

SIGNOFF_AND_REVIEW = '[steps]\ncentral_inspection = ["signoff", "review"]\n'


def review_result(issue_id: str, event_id: str, **data: Any) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """The province's 复核 result as a binary-mode CloudEvent."""
    headers = {
        "ce_specversion": "1.0",
        "ce_id": event_id,
        "ce_source": "/province/eco-platform",
        "ce_type": REVIEW_TYPE,
        "ce_time": clock.now().isoformat(),
        "content-type": "application/json",
    }
    body = {"issue_id": issue_id, "reviewer": "省生态环境厅", **data}
    return (
        issue_id.encode(),
        json.dumps(body, ensure_ascii=False).encode(),
        [(k, v.encode()) for k, v in headers.items()],
    )


async def until_status(client: httpx.AsyncClient, case_id: str, status: str, timeout: float = 20.0) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        case = (await client.get(f"/v1/cases/{case_id}")).json()
        if case["status"] == status:
            return dict(case)
        assert asyncio.get_running_loop().time() < deadline, f"{case_id} stayed {case['status']}, not {status}"
        await asyncio.sleep(0.1)


async def to_verified(client: httpx.AsyncClient, case_id: str, *, assign: bool = True) -> httpx.Response:
    if assign:
        assert (await client.post(f"/v1/cases/{case_id}/assign", json=five_definitions())).status_code == 200
    evidence = await evidence_for(client, case_id)
    requested = await client.post(
        f"/v1/cases/{case_id}/request-closure", json={"summary": "已整改", "evidence": evidence}
    )
    assert requested.status_code == 200, requested.text
    return await client.post(f"/v1/cases/{case_id}/verify", json={"passed": True, "note": "现场核实"})


async def outbound(settings: IntakeSettings, issue_id: str, type_: str, count: int = 1) -> list[Envelope]:
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        found = [
            e
            for e in await read_events(settings.broker, settings.topic("province.outbound"))
            if e.type == type_ and getattr(e.payload, "issue_id", None) == issue_id
        ]
        if len(found) >= count or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.2)


async def test_review_goes_to_the_province_and_its_result_on_province_inbound_moves_the_case(
    make_settings: SettingsFactory, topics: list[str], tmp_path: Path
) -> None:
    policy = tmp_path / "closure.toml"
    policy.write_text(SIGNOFF_AND_REVIEW, encoding="utf-8")
    cases_settings: CasesSettings = make_settings(CasesSettings, closure_policy=policy)
    intake_settings: IntakeSettings = make_settings(IntakeSettings)
    async with running(intake_app(intake_settings)) as intake, running(cases_app(cases_settings)) as cases:
        reported = await intake.post(
            "/v1/reports",
            json={
                "source": "central_inspection",
                "title": "河道非法采砂",
                "description": "夜间有采砂船作业，河岸被挖空",
                "township": "城关镇",
                "domain": "quarrying_sand",
                "batch": "第二轮中央环保督察",
            },
        )
        assert reported.status_code == 202, reported.text
        case_id = reported.json()["issue_id"]
        await wait_for_case(cases, case_id)
        verified = await to_verified(cases, case_id)
        assert verified.json()["status"] == "awaiting_signoff" and verified.json()["events"] == ["VerificationPassed"]
        base = f"/v1/cases/{case_id}"

        office = {
            "Authorization": f"Bearer {issue_token(cases_settings, subject='office', role=Role.INSPECTION_OFFICE)}"
        }
        assert (await cases.post(f"{base}/sign-off", json={}, headers=office)).status_code == 403
        early = await cases.post(f"{base}/request-review", json={})
        assert early.status_code == 409 and early.json()["error"]["code"] == "signoff_pending"
        signed = await cases.post(f"{base}/sign-off", json={"opinion": "同意"}, headers={"X-Actor": "chen"})
        assert signed.json()["status"] == "awaiting_review", signed.text
        assert (await cases.post(f"{base}/request-review", json={"note": "请省厅复核"})).status_code == 200
        again = await cases.post(f"{base}/request-review", json={})
        assert again.status_code == 409 and again.json()["error"]["code"] == "review_pending"
        closing = await cases.post(f"{base}/close", json={})
        assert closing.status_code == 409 and closing.json()["error"]["code"] == "steps_pending"

        (requested,) = await outbound(intake_settings, case_id, "ProvinceReviewRequested")
        assert isinstance(requested.payload, ProvinceReviewRequested)
        assert requested.payload.source == "central_inspection" and requested.payload.unit == "城关镇人民政府"

        # 复核不通过 → rectified again, to the review's deadline
        new_deadline = (clock.now() + timedelta(days=20)).replace(microsecond=0)
        rejected = review_result(
            case_id, "rev-1", passed=False, opinion="复绿不达标", new_deadline=new_deadline.isoformat()
        )
        await produce_records(intake_settings.broker, intake_settings.topic("province.inbound"), [rejected, rejected])
        case = await until_status(cases, case_id, "assigned")
        assert case["procedure"] is None and case["deadline"].startswith(
            new_deadline.astimezone(clock.SHANGHAI).isoformat()[:16]
        )

        # and again, to 复核通过 → 待销号 → 销号 → 报备
        assert (await to_verified(cases, case_id, assign=False)).json()["status"] == "awaiting_signoff"
        assert (await cases.post(f"{base}/sign-off", json={})).status_code == 200
        assert (await cases.post(f"{base}/request-review", json={})).status_code == 200
        passed = review_result(case_id, "rev-2", passed=True, opinion="同意销号")
        await produce_records(intake_settings.broker, intake_settings.topic("province.inbound"), [passed])
        await until_status(cases, case_id, "awaiting_closure")
        closed = await cases.post(f"{base}/close", json={"note": "同意销号"})
        assert closed.json()["status"] == "closed", closed.text
        filed = await cases.post(f"{base}/file-closure", json={})
        assert filed.json()["events"] == ["ClosureFiled"], filed.text
        (filing,) = await outbound(intake_settings, case_id, "ProvinceClosureFiled")
        assert isinstance(filing.payload, ProvinceClosureFiled) and filing.payload.filed_to == "省生态环境厅"
        history = [e["type"] for e in (await cases.get(f"{base}/history")).json()["events"]]
        assert history.count("ReviewRejected") == 1 and history.count("ReviewPassed") == 1  # the repeat applied once


async def test_an_objection_during_notice_returns_the_case_to_verification_and_one_outside_is_ignored(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    settings: CasesSettings = make_settings(CasesSettings, closure_policy=None)  # the shipped policy: 公示 7 days
    async with running(cases_app(settings)) as client:
        in_notice, elsewhere = await open_case(client, settings), await open_case(client, settings)
        assert (await to_verified(client, in_notice)).json()["status"] == "awaiting_notice"
        assert (await to_verified(client, elsewhere)).json()["status"] == "awaiting_notice"
        started = await client.post(f"/v1/cases/{in_notice}/start-notice", json={"summary": "河道采砂问题已整改"})
        assert started.json()["status"] == "in_notice", started.text
        case = (await client.get(f"/v1/cases/{in_notice}")).json()
        assert case["procedure"]["notice_ends"] and [s["step"] for s in case["procedure"]["steps"]] == [
            "notice",
            "signoff",
            "review",
        ]
        early = await client.post(f"/v1/cases/{in_notice}/complete-notice", json={})
        assert early.status_code == 409 and early.json()["error"]["code"] == "notice_not_over"
        malformed = await client.post(f"/v1/cases/{elsewhere}/start-notice", json={"summary": ""})
        assert malformed.status_code == 422 and "summary" in malformed.text

        def objection(case_id: str, version: int) -> Envelope:
            event = ObjectionFiled(
                objection_id=str(uuid.uuid4()), case_id=case_id, text="河岸仍有采砂船停靠", received_at=clock.now()
            )
            # one stream (one partition, in order): the objection outside 公示 is consumed first
            return Envelope.wrap(
                event, stream_id="objections", stream_version=version, actor="public", correlation_id="corr-test"
            )

        await produce(settings, objection(elsewhere, 1), objection(in_notice, 2))
        case = await until_status(client, in_notice, "closure_requested")
        assert case["objection"]["text"] == "河岸仍有采砂船停靠" and case["procedure"] is None
        # the objection to a case not in 公示, consumed before the other, is recorded nowhere on it (and not a DLQ's)
        other = (await client.get(f"/v1/cases/{elsewhere}/history")).json()
        assert "ObjectionReceived" not in [e["type"] for e in other["events"]]
        again = await client.post(f"/v1/cases/{in_notice}/verify", json={"passed": True})
        assert again.json()["status"] == "awaiting_notice"


async def test_a_deadline_passing_during_the_procedure_is_held_and_never_missed(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    """The unit's work is verified: its deadline waits (held, as while 待验收), the poller never picks it up."""
    settings: CasesSettings = make_settings(CasesSettings, closure_policy=None, deadline_poll_seconds=0.2)
    async with running(cases_app(settings)) as client:
        case_id = await open_case(client, settings)
        due = clock.now() + timedelta(seconds=3)
        assigned = await client.post(f"/v1/cases/{case_id}/assign", json=five_definitions(due))
        assert assigned.status_code == 200, assigned.text
        assert (await to_verified(client, case_id, assign=False)).json()["status"] == "awaiting_notice"
        await asyncio.sleep(max((due - clock.now()).total_seconds(), 0) + 1.5)
        conn = await asyncpg.connect(settings.database_dsn)
        try:
            held = await conn.fetchval("select held from case_deadlines where case_id = $1", case_id)
        finally:
            await conn.close()
        assert held is True
        history = (await client.get(f"/v1/cases/{case_id}/history")).json()["events"]
        assert "DeadlineMissed" not in [e["type"] for e in history]
