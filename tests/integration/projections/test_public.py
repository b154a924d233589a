"""信息公开 (issue 17 item 2): the public read model and its API, with no token, over a county's events read from the
real broker into the real database.

Only public fields leave (no description, leader, 五定 text, photo, reporter); a case withheld (MarkedConfidential) is
in no answer; the cases in 公示 carry their NoticeStarted's period and summary; paging is bounded and bad parameters
are a 422 naming them. NoticeStarted and MarkedConfidential are the closure procedure's events (another change): their
facts are recorded here as the consumer records any fact, and derived by the same statements (consumers.derive).
"""

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from bench.county import LEADERS, County, publish, simulate
from services.projections.main import create_app
from services.projections.read_tables import public
from services.projections.schemas import PublicNotice, PublicProblem
from services.projections.settings import ProjectionsSettings
from shared.auth import Role
from shared.clock import now
from shared.contracts import cases
from shared.contracts.intake import ObjectionFiled
from shared.envelope import Envelope
from tests.conftest import SettingsFactory
from tests.integration.projections.support import caught_up, record_facts, set_status
from tests.support.issuer import issue_token
from tests.support.service import running

ANONYMOUS = httpx.Auth()


@dataclass
class Live:
    client: httpx.AsyncClient
    county: County
    settings: ProjectionsSettings
    at: datetime


@pytest.fixture
async def live(make_settings: SettingsFactory, topics: list[str]) -> AsyncIterator[Live]:
    settings = make_settings(ProjectionsSettings)
    at = now()
    county = simulate(seed=17, issues=45, now=at)
    await publish(settings, county.envelopes)
    async with running(create_app(settings)) as client:
        await caught_up(client, len(county.envelopes))
        yield Live(client, county, settings, at)


async def every_problem(client: httpx.AsyncClient, **params: str) -> list[dict[str, Any]]:
    first = (await client.get("/v1/public/problems", params=params, auth=ANONYMOUS)).json()
    items: list[dict[str, Any]] = list(first["items"])
    for page in range(2, first["pages"] + 1):
        answer = await client.get("/v1/public/problems", params={**params, "page": str(page)}, auth=ANONYMOUS)
        assert answer.status_code == 200, answer.text
        items += answer.json()["items"]
    assert len(items) == first["total"]
    return items


def last_version(county: County, case_id: str) -> int:
    return max(e.stream_version for e in county.envelopes if e.stream_id == case_id and e.type in CASE_TYPES)


CASE_TYPES = {cls.event_type() for cls in cases.EVENTS}


async def test_the_public_reads_every_case_with_public_fields_only_and_the_result_once_closed(live: Live) -> None:
    items = await every_problem(live.client)
    opened = {e.stream_id for e in live.county.of_type(cases.CaseOpened)}
    assert {i["case_id"] for i in items} == opened
    assert all(set(i) == set(PublicProblem.model_fields) for i in items)
    text = json.dumps(items, ensure_ascii=False)
    for private in ("群众反映的环境问题", "存在环境问题", "彻底整改到位", "约谈", *(name for name, _ in LEADERS)):
        assert private not in text, private
    summaries = {
        e.stream_id: e.payload.summary
        for e in sorted(live.county.of_type(cases.ClosureRequested), key=lambda e: e.stream_version)
        if isinstance(e.payload, cases.ClosureRequested)
    }
    closed = [i for i in items if i["status"] == "closed"]
    assert closed and all(i["result_summary"] == summaries[i["case_id"]] and i["closed_at"] for i in closed)
    assert all(i["result_summary"] is None for i in items if i["status"] != "closed")
    assert {i["status_label"] for i in closed} == {"已销号"}
    assert all(i["deadline"] is None or i["deadline"].endswith("+08:00") for i in items)


async def test_filters_per_source_and_batch_and_bounded_pages(live: Live) -> None:
    first = (await live.client.get("/v1/public/problems", auth=ANONYMOUS)).json()
    assert first["page_size"] == public.PAGE_SIZE and len(first["items"]) == min(public.PAGE_SIZE, first["total"])
    assert sum(s["total"] for s in first["sources"]) == first["total"]
    source = first["sources"][0]
    by_source = await every_problem(live.client, source=source["key"])
    assert len(by_source) == source["total"] and {i["source"] for i in by_source} == {source["key"]}
    assert {i["source_label"] for i in by_source} == {source["label"]}
    batch = first["batches"][0]
    by_batch = await every_problem(live.client, batch=batch["key"])
    assert len(by_batch) == batch["total"] and {i["batch"] for i in by_batch} == {batch["key"]}
    without = await every_problem(live.client, batch="")
    assert {i["batch"] for i in without} == {None}
    assert len(without) + sum(b["total"] for b in first["batches"]) == first["total"]

    for params, field in (
        ({"page": "0"}, "page"),
        ({"page": str(public.MAX_PAGE + 1)}, "page"),
        ({"page": "x"}, "page"),
        ({"source": "martian"}, "source"),
        ({"batch": "b" * 101}, "batch"),
    ):
        refused = await live.client.get("/v1/public/problems", params=params, auth=ANONYMOUS)
        assert refused.status_code == 422, (params, refused.text)
        assert [f["field"] for f in refused.json()["error"]["fields"]] == [f"query.{field}"]


async def test_a_case_in_notice_is_listed_with_its_notice_and_a_withheld_case_is_in_no_answer(live: Live) -> None:
    items = await every_problem(live.client)
    noticed, withheld = items[0]["case_id"], items[1]["case_id"]
    starts = live.at.replace(microsecond=0)
    v = last_version(live.county, noticed)
    # two notices of one case, the later one recorded first: the later stream version wins whatever the order
    await record_facts(
        live.settings,
        [
            (
                public.NOTICE_STARTED,
                noticed,
                v + 2,
                {
                    "starts": starts.isoformat(),
                    "ends": (starts + timedelta(days=7)).isoformat(),
                    "summary": "第二次公示",
                },
            )
        ],
    )
    await record_facts(
        live.settings,
        [
            (
                public.NOTICE_STARTED,
                noticed,
                v + 1,
                {"starts": "2020-01-01T00:00:00Z", "ends": "2020-01-08T00:00:00Z", "summary": "第一次"},
            )
        ],
    )
    await set_status(live.settings, noticed, "in_notice")
    notices = (await live.client.get("/v1/public/notices", auth=ANONYMOUS)).json()
    assert [n["case_id"] for n in notices["items"]] == [noticed]
    notice = notices["items"][0]
    assert set(notice) == set(PublicNotice.model_fields)
    assert (notice["notice_summary"], notice["status_label"]) == ("第二次公示", "公示中")
    assert datetime.fromisoformat(notice["notice_ends_at"]) == starts + timedelta(days=7)
    assert "督察办" in notices["objection_note"]

    # withheld: in no list, no facet, no notice; released again: back
    v = last_version(live.county, withheld)
    await record_facts(live.settings, [(public.MARKED_CONFIDENTIAL, withheld, v + 1, {"reason": "涉及在办案件"})])
    await record_facts(live.settings, [(public.MARKED_CONFIDENTIAL, noticed, 1000, {"confidential": True})])
    after = await every_problem(live.client)
    assert {i["case_id"] for i in after} == {i["case_id"] for i in items} - {withheld, noticed}
    facets = (await live.client.get("/v1/public/problems", auth=ANONYMOUS)).json()
    assert sum(s["total"] for s in facets["sources"]) == len(items) - 2
    assert (await live.client.get("/v1/public/notices", auth=ANONYMOUS)).json()["items"] == []
    await record_facts(live.settings, [(public.MARKED_CONFIDENTIAL, withheld, v + 2, {"confidential": False})])
    assert withheld in {i["case_id"] for i in await every_problem(live.client)}


def test_the_public_fields_name_nothing_private() -> None:
    private = {"description", "leader_name", "leader_post", "problem", "task", "measures", "reporter", "attachments"}
    assert not private & set(PublicNotice.model_fields)


async def test_an_objection_appears_on_its_cases_timeline_for_the_county_not_for_the_unit(live: Live) -> None:
    assigned = next(e for e in live.county.envelopes if isinstance(e.payload, cases.Assigned))
    assert isinstance(assigned.payload, cases.Assigned)
    case_id, unit = assigned.stream_id, assigned.payload.unit
    objection = ObjectionFiled(objection_id="objection-1", case_id=case_id, text="河岸并未复绿", received_at=live.at)
    envelope = Envelope.wrap(objection, stream_id="objection-1", stream_version=1, actor="public", correlation_id="o-1")
    await publish(live.settings, [envelope])
    await caught_up(live.client, len(live.county.envelopes) + 1)
    timeline = (await live.client.get(f"/v1/cases/{case_id}/timeline")).json()
    assert [e["summary"] for e in timeline["events"] if e["type"] == "ObjectionFiled"] == ["公示异议：河岸并未复绿"]
    # the unit objected to reads its case's timeline without the objection (it goes to the 督察办)
    as_unit = {"Authorization": f"Bearer {issue_token(live.settings, subject='clerk', role=Role.UNIT, unit=unit)}"}
    seen = (await live.client.get(f"/v1/cases/{case_id}/timeline", headers=as_unit, auth=ANONYMOUS)).json()
    assert seen["events"] and "ObjectionFiled" not in {e["type"] for e in seen["events"]}
