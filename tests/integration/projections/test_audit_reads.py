"""查阅留痕 end to end: an operator reads a contact in intake, a viewer exports the ledger and opens a timeline in
projections; each read is an audit event on its service's audit topic, and 纪委 alone finds them in
`GET /v1/audit/reads`."""

from datetime import timedelta
from typing import Any

import asyncpg

from services.intake.main import create_app as intake_app
from services.intake.settings import IntakeSettings
from services.projections.main import create_app as projections_app
from services.projections.settings import ProjectionsSettings
from shared.audit.checkpoints import load_public_key
from shared.audit.log import verify_tree
from shared.auth import Role
from shared.clock import now
from tests.conftest import SettingsFactory
from tests.integration.projections.support import eventually
from tests.support.issuer import issue_token
from tests.support.service import running


def as_(settings: Any, role: Role, person: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(settings, subject=person, role=role)}"}


REPORT = {
    "source": "media",
    "title": "河道夜间非法采砂",
    "description": "夜里有采砂船作业",
    "township": "城关镇",
    "domain": "quarrying_sand",
    "reporter": {"name": "欧阳娜娜", "phone": "13912345678"},
}


async def test_discipline_finds_who_read_a_contact_exported_the_ledger_and_opened_a_timeline(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    started = now()
    intake = make_settings(IntakeSettings, trusted_proxies="127.0.0.1")
    projections = make_settings(ProjectionsSettings, trusted_proxies="127.0.0.1")
    async with running(intake_app(intake)) as reports, running(projections_app(projections)) as figures:
        issue_id = (await reports.post("/v1/reports", json=REPORT)).json()["issue_id"]
        # Behind the proxy (trusted): the client's address is the one it forwarded.
        forwarded = {"X-Forwarded-For": "203.0.113.7"}
        read = await reports.get(
            f"/v1/reports/{issue_id}/contacts", headers={**as_(intake, Role.OPERATOR, "wang"), **forwarded}
        )
        assert read.status_code == 200
        viewer = as_(projections, Role.VIEWER, "zhou")
        await eventually(
            lambda: figures.get(f"/v1/cases/{issue_id}/timeline", headers=viewer),
            lambda answer: answer.status_code == 200,
            "the issue's timeline",
        )
        ledger = await figures.get("/v1/exports/ledger.xlsx", params={"source": "media"}, headers=viewer)
        assert ledger.status_code == 200

        discipline = as_(projections, Role.DISCIPLINE, "jiwei")

        async def reads(**params: str) -> dict[str, Any]:
            answer = await figures.get("/v1/audit/reads", params=params, headers=discipline)
            assert answer.status_code == 200, answer.text
            body: dict[str, Any] = answer.json()
            return body

        everything = await eventually(reads, lambda body: body["total"] >= 3, "three audit events")
        by_type = {item["type"]: item for item in everything["items"]}
        contact = by_type["ContactRead"]
        assert (contact["actor"], contact["role"], contact["role_label"]) == ("wang", "operator", "受理员")
        assert (contact["address"], contact["resource"], contact["resource_id"]) == ("203.0.113.7", "contact", issue_id)
        assert contact["label"] == "查阅举报人信息" and contact["at"].endswith("+08:00")
        assert contact["detail"]["report_ids"] and "13912345678" not in str(everything)
        timeline = by_type["TimelineOpened"]
        assert (timeline["actor"], timeline["resource"], timeline["resource_id"]) == ("zhou", "timeline", issue_id)
        exported = by_type["LedgerExported"]
        assert exported["detail"]["filters"]["source"] == "media" and exported["detail"]["cases"] == 1

        assert {i["type"] for i in (await reads(person="wang"))["items"]} == {"ContactRead"}
        assert (await reads(resource="ledger"))["total"] == 1
        assert (await reads(resource="timeline", resource_id=issue_id))["total"] >= 1
        later = (started + timedelta(hours=1)).isoformat()
        assert (await reads(**{"from": later}))["total"] == 0
        assert (await reads(to=started.isoformat()))["total"] == 0
        page = await reads(limit="1", offset="1")
        assert len(page["items"]) == 1 and page["total"] == everything["total"]

        assert (await figures.get("/v1/audit/reads", auth=None)).status_code == 401
        for role in (Role.VIEWER, Role.LEADER, Role.OPERATOR, Role.INSPECTION_OFFICE):
            denied = await figures.get("/v1/audit/reads", headers=as_(projections, role, "x"))
            assert denied.status_code == 403 and "纪委" in denied.json()["error"]["message"], role
        too_many = await figures.get("/v1/audit/reads", params={"limit": "201"}, headers=discipline)
        assert too_many.status_code == 422 and too_many.json()["error"]["fields"][0]["field"] == "query.limit"
        backwards = await figures.get(
            "/v1/audit/reads", params={"from": later, "to": started.isoformat()}, headers=discipline
        )
        assert backwards.status_code == 422 and "结束时间" in backwards.text
        unknown = await figures.get("/v1/audit/reads", params={"resource": "payroll"}, headers=discipline)
        assert unknown.status_code == 422

        # Projections' own records of reads are a log it signs like every service's: a checkpoint over them, which
        # its published key verifies and `make verify`'s tree check recomputes from its events.
        signed = await figures.post("/v1/audit/checkpoints", headers=discipline)
        assert signed.status_code == 201, signed.text
        assert signed.json()["service"] == "projections" and signed.json()["size"] >= 2
        published = [load_public_key(k["public_key"]) for k in (await figures.get("/v1/audit/keys")).json()["keys"]]
        conn = await asyncpg.connect(projections.database_dsn)
        try:
            tree = await verify_tree(conn, "projections", published)
        finally:
            await conn.close()
        assert tree.checkpoints >= 1 and not tree.problems
