"""交办函 on cases.events reach projections as documents, never as cases; the letter read by number and by case."""

from datetime import timedelta
from urllib.parse import quote

from bench.county import publish
from services.projections.main import create_app
from services.projections.settings import ProjectionsSettings
from shared.auth import Role
from shared.clock import SHANGHAI, now
from shared.contracts.cases import Assigned, AssignedLeader, AssignmentLetterIssued, letter_stream
from shared.envelope import Envelope
from tests.conftest import SettingsFactory
from tests.integration.projections.support import caught_up
from tests.integration.projections.test_upcasting import history
from tests.support.documents import opened
from tests.support.issuer import issue_token
from tests.support.service import running

FIVE = {
    "problem": "河道两岸被挖空",
    "task": "清理采砂设备，恢复河岸",
    "unit": "城关镇人民政府",
    "measures": "逾期约谈",
    "leader": AssignedLeader(name="李红", post="副县长", liaison=None),
}


def letter(assigned: Envelope, seq: int) -> Envelope:
    year = assigned.occurred_at.astimezone(SHANGHAI).year
    event = AssignmentLetterIssued(
        letter_no=f"交办函〔{year}〕{seq}号",
        year=year,
        seq=seq,
        case_id=assigned.stream_id,
        assignment_event_id=str(assigned.event_id),
        reassigned=False,
        deadline=assigned.payload.deadline,  # type: ignore[attr-defined]
        **FIVE,
    )
    return Envelope.wrap(
        event,
        stream_id=letter_stream(year),
        stream_version=seq,
        occurred_at=assigned.occurred_at,
        actor="office:li",
        correlation_id="corr",
    )


async def test_letters_are_counted_and_read_by_number_and_by_case_and_fold_into_no_case(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    settings = make_settings(ProjectionsSettings)
    first = history("issue-a", Assigned(**FIVE, deadline=now() + timedelta(days=5)))
    second = history("issue-b", Assigned(**FIVE, deadline=now() + timedelta(days=5)))
    letters = [letter(first[2], 1), letter(second[2], 2)]
    year = letters[0].payload.year  # type: ignore[attr-defined]
    await publish(settings, first + second + letters)
    async with running(create_app(settings)) as client:
        await caught_up(client, len(first + second + letters))
        counted = (await client.get("/v1/stats/documents", params={"year": year})).json()
        assert counted["assignment_letters"] == 2
        # the year's letter stream is no case: the ledger holds the two problems only
        for params in ({}, {"as_of": now().isoformat()}):
            rates = (await client.get("/v1/stats/closure-rates", params=params)).json()
            assert rates["totals"]["total"] == 2
        trend = (await client.get("/v1/stats/closure-trend", params={"interval": "month"})).json()
        assert trend["points"][-1]["total"] == 2, trend["points"][-1]
        by_number = await client.get(f"/v1/documents/assignment-letters/{quote(f'交办函〔{year}〕2号')}")
        assert by_number.status_code == 200, by_number.text
        assert by_number.json()["document"]["content"]["case_id"] == "issue-b"
        missing = await client.get(f"/v1/documents/assignment-letters/{quote(f'交办函〔{year}〕9号')}")
        assert missing.status_code == 404
        of_case = (await client.get("/v1/documents/assignment-letters", params={"case_id": "issue-a"})).json()
        assert [i["content"]["letter_no"] for i in of_case["items"]] == [f"交办函〔{year}〕1号"]

        # the unit a letter is addressed to reads it; another unit is told it does not exist
        def unit(name: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {issue_token(settings, subject='clerk', role=Role.UNIT, unit=name)}"}

        own = await client.get(
            "/v1/documents/assignment-letters", params={"year": year}, headers=unit("城关镇人民政府")
        )
        assert own.json()["total"] == 2
        other = await client.get(by_number.request.url.path, headers=unit("河口镇人民政府"))
        assert other.status_code == 404
        listed = await client.get("/v1/documents/assignment-letters", headers=unit("河口镇人民政府"))
        assert listed.json()["total"] == 0
        assert (await client.get("/v1/stats/documents", headers=unit("城关镇人民政府"))).status_code == 403
        timeline = (await client.get("/v1/cases/issue-a/timeline")).json()["events"]
        assert any(e["summary"].startswith(f"印发交办函〔{year}〕1号") for e in timeline)

        # the .docx of a case's letter carries its latest letter's number; one by number states it as issued
        of_b = opened((await client.get("/v1/cases/issue-b/assignment-letter.docx")).content)
        assert of_b.paragraphs[1] == f"交办函〔{year}〕2号"
        docx_path = f"/v1/documents/assignment-letters/{quote(f'交办函〔{year}〕2号')}.docx"
        numbered = await client.get(docx_path)
        assert numbered.status_code == 200, numbered.text
        assert f"filename*=UTF-8''{quote(f'交办函〔{year}〕2号.docx')}" in numbered.headers["content-disposition"]
        content = by_number.json()["document"]["content"]
        document = opened(numbered.content)
        assert document.paragraphs[1] == content["letter_no"]
        assert f"{content['unit']}：" in document.paragraphs
        assert [row[1] for row in document.tables[0][1:4]] == [content["problem"], content["task"], content["unit"]]
        assert document.tables[0][4][1] == f"{content['leader']['name']}（{content['leader']['post']}）"
        assert "（问题编号issue-b，" in next(p for p in document.paragraphs if p.startswith("现将"))
        assert (await client.get(docx_path, headers=unit("城关镇人民政府"))).status_code == 200
        assert (await client.get(docx_path, headers=unit("河口镇人民政府"))).status_code == 404
        absent = f"/v1/documents/assignment-letters/{quote(f'交办函〔{year}〕9号')}.docx"
        assert (await client.get(absent)).status_code == 404
