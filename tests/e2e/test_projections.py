"""Projections with the real services as processes, and the rebuild command against a running projections."""

import asyncio
import contextlib
import json
import sys
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import httpx

from bench.county import publish, simulate
from services.accountability.settings import AccountabilitySettings
from services.cases.settings import CasesSettings
from services.enforcement.settings import EnforcementSettings
from services.intake.settings import IntakeSettings
from services.projections.settings import ProjectionsSettings
from shared.clock import now
from tests.conftest import SettingsFactory
from tests.integration.cases.support import evidence_for
from tests.integration.projections.support import caught_up, eventually
from tests.support.service import free_port, service_processes, settings_env, staff_client
from tests.support.stack import ROOT

UNIT = "城关镇人民政府"


def report(title: str) -> dict[str, Any]:
    return {
        "source": "central_inspection",
        "title": title,
        "description": "群众反映，需现场核实",
        "township": "城关镇",
        "domain": "quarrying_sand",
        "batch": "第三轮中央环保督察",
    }


def five_definitions(deadline_in: timedelta) -> dict[str, Any]:
    return {
        "problem": "河道两岸被挖空",
        "task": "清理采砂设备，恢复河岸",
        "unit": UNIT,
        "leader": {"name": "王建国", "post": "城关镇党委书记"},
        "deadline": (now() + deadline_in).isoformat(),
        "measures": "按期完成通报表扬，逾期约谈",
    }


async def test_the_services_events_become_closure_rates_timelines_and_the_work_report(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    services = (
        ("services.intake", make_settings(IntakeSettings, port=free_port())),
        ("services.cases", make_settings(CasesSettings, port=free_port(), deadline_poll_seconds=0.2)),
        ("services.enforcement", make_settings(EnforcementSettings, port=free_port())),
        ("services.accountability", make_settings(AccountabilitySettings, port=free_port())),
        ("services.projections", make_settings(ProjectionsSettings, port=free_port())),
    )
    async with service_processes(*services) as (i, c, e, a, p), staff_client(timeout=10) as client:
        ids = []
        for title in ("河道非法采砂", "采砂场扬尘"):
            accepted = await client.post(f"{i.url}/v1/reports", json=report(title))
            assert accepted.status_code == 202, accepted.text
            ids.append(accepted.json()["issue_id"])
        closing, late = ids
        for case_id, deadline_in in ((closing, timedelta(days=30)), (late, timedelta(seconds=1))):
            await eventually(
                partial(client.get, f"{c.url}/v1/cases/{case_id}"),
                lambda r: r.status_code == 200,
                "opened",
            )
            assigned = await client.post(f"{c.url}/v1/cases/{case_id}/assign", json=five_definitions(deadline_in))
            assert assigned.status_code == 200, assigned.text
        evidence = await evidence_for(client, closing, base=c.url)
        await client.post(
            f"{c.url}/v1/cases/{closing}/request-closure", json={"summary": "已整改", "evidence": evidence}
        )
        verified = await client.post(f"{c.url}/v1/cases/{closing}/verify", json={"passed": True})
        assert verified.json()["status"] == "closed", verified.text
        filed = await client.post(
            f"{e.url}/v1/enforcement-cases",
            json={
                "enterprise": {"name": "某某砂石有限公司", "credit_code": "91110108551385082Q", "address": "城关镇"},
                "violation": "非法采砂",
                "legal_basis": "《矿产资源法》第三十九条",
                "officer": "王执法",
                "issue_id": late,
            },
        )
        assert filed.status_code == 201, filed.text
        location = filed.headers["location"]
        case_url = location if location.startswith("http") else f"{e.url}{location}"
        fined = await client.post(
            f"{case_url}/penalties",
            json={
                "amount": "12345.67",
                "decision_no": "环罚〔2026〕1号",
                "due_date": (now() + timedelta(days=30)).date().isoformat(),
            },
        )
        assert fined.status_code == 201, fined.text
        measure = await client.post(
            f"{a.url}/v1/measures",
            headers={"X-Actor": "county-discipline"},
            json={
                "target": {"kind": "person", "unit": UNIT, "name": "张三", "post": "副镇长"},
                "measure": "warning_talk",
                "reason": "整改超期",
                "case_ids": [late],
            },
        )
        assert measure.status_code == 201, measure.text

        stats = p.url + "/v1/stats"
        rates = await eventually(
            lambda: client.get(f"{stats}/closure-rates", params={"group_by": "source"}),
            lambda r: (
                (row := next(iter(r.json()["rows"]), None)) is not None and (row["closed"], row["overdue"]) == (1, 1)
            ),
            "one closed and one overdue central inspection problem",
        )
        central = rates.json()["rows"][0]
        assert (central["key"], central["total"], central["rate_percent"]) == ("central_inspection", 2, "50.0")
        overdue = (await client.get(f"{p.url}/v1/cases/overdue")).json()
        assert [(item["issue_id"], item["unit"], item["leader"]["name"]) for item in overdue["items"]] == [
            (late, UNIT, "王建国")
        ]

        expected = {
            "IssueReported",
            "CaseOpened",
            "Assigned",
            "DeadlineMissed",
            "WarningIssued",
            "EnforcementCaseOpened",
            "PenaltyIssued",
            "MeasureImposed",
        }

        def complete(r: httpx.Response) -> bool:
            return expected <= {event["type"] for event in r.json().get("events", [])}

        timeline = (
            await eventually(
                lambda: client.get(f"{p.url}/v1/cases/{late}/timeline"),
                complete,
                "the late case's events from every topic",
            )
        ).json()
        assert [event["type"] for event in timeline["events"]][:3] == ["IssueReported", "CaseOpened", "Assigned"]
        assert {event["topic"] for event in timeline["events"]} == {"intake", "cases", "enforcement", "accountability"}
        times = [datetime.fromisoformat(event["occurred_at"]) for event in timeline["events"]]
        assert times == sorted(times)

        summary = (await client.get(f"{p.url}/v1/reports/work-summary")).json()
        assert "历次中央环保督察共反馈我县问题2个，已销号1个，完成率50.0%。" in summary["text"]
        assert "立案查处环境违法行为1起，处罚1.23万元" in summary["text"]
        assert "提醒谈话1人次" in summary["text"]
        assert summary["enforcement"]["fines_issued_yuan"] == "12345.67"


async def test_the_rebuild_command_switches_a_running_service_to_new_read_models(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    settings = make_settings(ProjectionsSettings, port=free_port())
    county = simulate(seed=17, issues=120)
    await publish(settings, county.envelopes)
    async with service_processes(("services.projections", settings)) as (p,), staff_client(base_url=p.url) as client:
        await caught_up(client, len(county.envelopes))
        before = (await client.get("/v1/stats/closure-rates", params={"group_by": "township"})).json()
        command = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "services.projections.rebuild",
            "--grace-seconds",
            "1.5",
            cwd=ROOT,
            env=settings_env(settings),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        answers = []
        while command.returncode is None:
            answer = await client.get("/v1/stats/closure-rates", params={"group_by": "township"})
            answers.append((answer.status_code, answer.json()["rows"] == before["rows"]))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(command.wait(), 0.05)
        out, err = await command.communicate()
        assert command.returncode == 0, err.decode()[-2000:]
        lines = out.decode().splitlines()
        replay = json.loads(next(line for line in lines if line.startswith("{") and '"events_per_second"' in line))
        assert replay["events"] == len(county.envelopes) and replay["generation"] == 2
        assert any("读模型已重建并切换到第2代" in line for line in lines)
        assert answers and all(answer == (200, True) for answer in answers)

        after = (await client.get("/v1/stats/closure-rates", params={"group_by": "township"})).json()
        assert after["read_model"]["generation"] == 2 and after["rows"] == before["rows"]
        more = simulate(seed=18, issues=3)
        await publish(settings, more.envelopes)
        await caught_up(client, len(county.envelopes) + len(more.envelopes))
        grown = (await client.get("/v1/stats/closure-rates")).json()
        assert grown["totals"]["total"] == len(county.issues) + len(more.issues)
