"""The documents of the supervision end to end: the 督察办's commands on accountability, their events on the topic,
projections' counts, lists and the work report's paragraph; the refusals change nothing."""

import asyncio
from datetime import date
from typing import Any

import httpx

from services.accountability.main import create_app as accountability_app
from services.accountability.settings import AccountabilitySettings
from services.projections.main import create_app as projections_app
from services.projections.settings import ProjectionsSettings
from shared.auth import Role
from shared.clock import SHANGHAI, now
from tests.conftest import SettingsFactory
from tests.integration.projections.support import eventually
from tests.support.issuer import issue_token
from tests.support.service import running

MEETING = {
    "kind": "standing_committee",
    "held_on": "2026-01-08",
    "title": "县委常委会专题研究环保督察整改工作",
    "decisions": ["成立六个专项整治组", "建立县级领导包案制度"],
    "case_ids": ["issue-1"],
}


def as_role(settings: AccountabilitySettings, role: Role, unit: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(settings, subject='someone', role=role, unit=unit)}"}


async def counts(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    answer = await client.get("/v1/stats/documents", params=params)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def test_the_offices_documents_are_counted_listed_and_reported_and_refusals_change_nothing(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    acc_settings: AccountabilitySettings = make_settings(AccountabilitySettings)
    year = now().astimezone(SHANGHAI).year
    async with (
        running(accountability_app(acc_settings)) as acc,
        running(projections_app(make_settings(ProjectionsSettings))) as proj,
    ):
        before = now()
        # refusals first: a responsible unit may not record a meeting (403), an unknown kind is a 422 naming it
        refused = await acc.post(
            "/v1/meetings", json=MEETING, headers=as_role(acc_settings, Role.UNIT, "城关镇人民政府")
        )
        assert refused.status_code == 403
        unknown = await acc.post("/v1/meetings", json={**MEETING, "kind": "tea_party"})
        assert unknown.status_code == 422 and "kind" in unknown.text

        meeting = await acc.post("/v1/meetings", json={**MEETING, "held_on": f"{year}-01-08"})
        assert meeting.status_code == 201, meeting.text
        summons = await acc.post(
            "/v1/summons-meetings",
            json={"held_on": f"{year}-04-02", "units": ["城关镇人民政府", "河口镇人民政府"], "host": "县委副书记 赵明"},
        )
        assert summons.status_code == 201, summons.text

        opened = await acc.post(
            "/v1/rounds",
            json={
                "name": "第一轮联合督查",
                "member_units": ["县生态环境局", "县自然资源局"],
                "lead_unit": "县生态环境局",
                "period_from": f"{year}-03-01",
                "period_to": f"{year}-03-31",
            },
        )
        assert opened.status_code == 201, opened.text
        round_path = opened.headers["Location"]
        finding = await acc.post(f"{round_path}/findings", json={"issue_id": "issue-7", "note": "石料厂未覆盖"})
        assert finding.status_code == 200, finding.text
        assert (await acc.post(f"{round_path}/close", json={"summary": "发现问题1个"})).status_code == 200
        late = await acc.post(f"{round_path}/findings", json={"issue_id": "issue-8", "note": "结束后"})
        assert late.status_code == 409 and late.json()["error"]["code"] == "round_closed"

        # the draft from projections, issued twice at once: 第1期 and 第2期, never one number twice
        draft = await proj.get("/v1/documents/bulletin-draft", params={"from": f"{year}-01-01", "to": f"{year}-03-31"})
        assert draft.status_code == 200, draft.text
        body = {key: draft.json()[key] for key in ("overdue", "units", "text")}
        body |= {"title": "督查通报", "period_from": f"{year}-01-01", "period_to": f"{year}-03-31"}
        issued = await asyncio.gather(*(acc.post("/v1/bulletins", json=body) for _ in range(2)))
        assert sorted(a.status_code for a in issued) == [201, 201], [a.text for a in issued]
        numbers = sorted(a.json()["events"][0]["payload"]["number"] for a in issued)
        assert numbers == [1, 2]

        expected = {
            "assignment_letters": 0,
            "rounds": 1,
            "findings": 1,
            "bulletins": 2,
            "summons_meetings": 1,
            "units_summoned": 2,
            "meetings_total": 1,
        }
        found = await eventually(
            lambda: counts(proj, year=year),
            lambda c: {k: c[k] for k in expected} == expected,
            "the documents counted",
        )
        assert {m["kind"]: m["count"] for m in found["meetings"]}["standing_committee"] == 1
        assert (await counts(proj, year=year, as_of=before.isoformat()))["meetings_total"] == 0
        assert (await counts(proj, year=year - 1))["bulletins"] == 0

        rounds = (await proj.get("/v1/documents/rounds", params={"year": year})).json()
        [one] = rounds["items"]
        assert [f["content"]["issue_id"] for f in one["findings"]] == ["issue-7"] and one["closed"] is not None
        second = await proj.get(f"/v1/documents/bulletins/{year}/2")
        assert second.status_code == 200 and second.json()["document"]["content"]["bulletin_no"] == f"{year}年第2期"
        meetings = (await proj.get("/v1/documents/meetings", params={"year": year})).json()
        assert meetings["total"] == 1 and meetings["items"][0]["content"]["decisions"] == MEETING["decisions"]

        report = (await proj.get("/v1/reports/work-summary", params={"year": year})).json()
        assert report["documents"]["bulletins"] == 2
        assert any("常委会1次" in p and "印发督查通报2期" in p and "约谈单位2个" in p for p in report["paragraphs"])
        assert report["enforcement_years"]["year"] == year
        assert any(f"（{year - 1}年全年0起，同期0起）" in p for p in report["paragraphs"])
        assert date.fromisoformat(draft.json()["period_to"]) == date(year, 3, 31)
