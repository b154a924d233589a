"""Every submission answers with its issue's version as the ETag, to send back as If-Match."""

import httpx

from tests.integration.intake.conftest import batch_xlsx, problem


async def test_each_submission_answers_with_the_version_its_issue_has_after_it(client: httpx.AsyncClient) -> None:
    first = await client.post("/v1/reports", json={**problem(), "source": "media"})
    assert first.json()["status"] == "accepted" and first.headers["etag"] == '"1"'
    repeat = await client.post("/v1/inspections", json={**problem(), "kind": "self_inspection"})
    assert repeat.json()["status"] == "linked" and repeat.headers["etag"] == '"2"'
    call = {**problem(), "line": "hotline_12369", "call_ref": "12369-0001"}
    assert (await client.post("/v1/hotline-calls", json=call)).headers["etag"] == '"3"'
    resent = await client.post("/v1/hotline-calls", json=call)
    assert resent.json()["status"] == "already_received" and resent.headers["etag"] == '"3"'
    issue = (await client.get(f"/v1/reports/{first.json()['issue_id']}")).json()
    assert issue["version"] == 3


async def test_the_form_answers_with_the_version_in_html_and_in_json(client: httpx.AsyncClient) -> None:
    form = {"title": "噪声扰民", "description": "夜间施工", "township": "河口镇", "domain": "noise", "lat": "30.5"}
    page = await client.post("/report", data={**form, "lon": "114.1"})
    assert page.status_code == 200 and page.headers["etag"] == '"1"'
    answer = await client.post("/report", data={**form, "lon": "114.1"}, headers={"Accept": "application/json"})
    assert answer.json()["status"] == "linked" and answer.headers["etag"] == '"2"'


async def test_a_batch_gives_each_row_its_issues_version_and_the_whole_no_etag(client: httpx.AsyncClient) -> None:
    files = {"file": ("交办表.xlsx", batch_xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}
    answer = await client.post("/v1/batches", data={"source": "central_inspection"}, files=files)
    assert "etag" not in answer.headers
    assert [r["version"] for r in answer.json()["accepted"]] == [1, 1]
