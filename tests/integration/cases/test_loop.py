"""The closed loop through HTTP and Kafka: a report becomes a case, and the case is driven to 销号."""

import asyncio
from datetime import timedelta

from services.cases.main import create_app
from services.cases.settings import CasesSettings
from shared import clock
from shared.clock import shown
from shared.workdays import working_days_deadline
from tests.integration.cases.support import (
    NOT_UPLOADED,
    envelope_of,
    events_on_topic,
    evidence_for,
    five_definitions,
    issue_reported,
    open_case,
    produce,
    wait_for_case,
    wait_on_topic,
)
from tests.support.service import running


async def test_a_reported_issue_becomes_one_case_however_often_it_arrives(settings: CasesSettings) -> None:
    async with running(create_app(settings)) as client:
        event = issue_reported("issue-dup-1")
        first = envelope_of(event)
        # the same record redelivered, and the same issue under another event id
        await produce(settings, first, first, envelope_of(event))
        case = await wait_for_case(client, "issue-dup-1")
        assert case["status"] == "reported" and case["status_label"] == "待交办"
        assert case["source_label"] == "中央环保督察" and case["domain_label"] == "非法采砂采石"
        assert case["batch"] == "第二轮中央环保督察" and case["reported_at"].endswith("+08:00")
        await asyncio.sleep(1.0)  # give the repeats time to be (not) applied
        history = (await client.get("/v1/cases/issue-dup-1/history")).json()
        assert [e["type"] for e in history["events"]] == ["CaseOpened"]
        assert history["events"][0]["actor"] == "system:intake"
        listed = (await client.get("/v1/cases")).json()
        assert listed["total"] == 1
        opened = await wait_on_topic(settings, 1, "CaseOpened", "issue-dup-1")
        assert len(opened) == 1 and opened[0].causation_id == str(first.event_id)


async def test_assign_request_closure_verify_closes_the_case_and_closed_reaches_the_topic(
    settings: CasesSettings,
) -> None:
    async with running(create_app(settings)) as client:
        case_id = await open_case(client, settings)
        assigned = await client.post(f"/v1/cases/{case_id}/assign", json=five_definitions())
        assert assigned.status_code == 200, assigned.text
        assert assigned.json() | {"case_id": case_id} == {
            "case_id": case_id,
            "version": 2,
            "status": "assigned",
            "status_label": "整改中",
            "events": ["Assigned"],
        }
        assert assigned.headers["ETag"] == '"2"'
        evidence = await evidence_for(client, case_id)
        requested = await client.post(
            f"/v1/cases/{case_id}/request-closure", json={"summary": "设备已清理，河岸已复绿", "evidence": evidence}
        )
        assert requested.json()["version"] == 3 and requested.json()["status"] == "closure_requested"
        verified = await client.post(
            f"/v1/cases/{case_id}/verify", json={"passed": True, "note": "现场核实已整改"}, headers={"X-Actor": "li-na"}
        )
        assert verified.json() == {
            "case_id": case_id,
            "version": 4,
            "status": "closed",
            "status_label": "已销号",
            "events": ["Closed"],
        }

        closed = await wait_on_topic(settings, 1, "Closed", case_id)
        assert len(closed) == 1 and closed[0].actor == "li-na"
        assert closed[0].payload.model_dump() == {
            "verifier": "li-na",
            "note": "现场核实已整改",
            "unit": "城关镇人民政府",
        }
        assert [e.type for e in await events_on_topic(settings, case_id=case_id)] == [
            "CaseOpened",
            "Assigned",
            "ClosureRequested",
            "Closed",
        ]
        case = (await client.get(f"/v1/cases/{case_id}")).json()
        assert case["status"] == "closed" and case["verification"]["passed_label"] == "通过"
        assert case["closure_request"]["evidence"] == evidence


async def test_every_step_of_the_loop_is_in_the_history_and_on_the_topic(settings: CasesSettings) -> None:
    async with running(create_app(settings)) as client:
        case_id = await open_case(client, settings)
        base = f"/v1/cases/{case_id}"
        now = clock.now()
        office = {"X-Actor": "%E7%9D%A3%E5%AF%9F%E5%8A%9E"}  # 督察办, percent-encoded in the header
        steps = [
            ("assign", five_definitions(now + timedelta(days=30)), office),
            ("assign", five_definitions(now + timedelta(days=30), unit="县水利局", reason="职责调整"), office),
            (
                "supervise",
                {
                    "note": "请加快进度",
                    "letter_no": "督办〔2025〕3号",
                    "new_deadline": (now + timedelta(days=20)).isoformat(),
                },
                office,
            ),
            ("progress", {"note": "已拆除采砂设备", "percent": 60}, {"X-Actor": "water-bureau"}),
            (
                "extend",
                {
                    "new_deadline": (now + timedelta(days=40)).isoformat(),
                    "reason": "汛期",
                    "approved_by": "副县长 陈明",
                },
                office,
            ),
            ("request-closure", {"summary": "已整改"}, {"X-Actor": "water-bureau"}),
            ("verify", {"passed": False, "note": "河岸未复绿"}, office),
            ("request-closure", {"summary": "已复绿"}, {"X-Actor": "water-bureau"}),
            ("verify", {"passed": True}, office),
            ("reopen", {"reason": "回头看发现反弹", "new_deadline": (now + timedelta(days=15)).isoformat()}, office),
        ]
        for version, (path, body, headers) in enumerate(steps, start=2):
            if path == "request-closure":  # the unit the case is assigned to then uploads its evidence first
                body |= {"evidence": await evidence_for(client, case_id)}
            response = await client.post(f"{base}/{path}", json=body, headers=headers)
            assert response.status_code == 200, (path, response.text)
            assert response.json()["version"] == version

        history = (await client.get(f"{base}/history")).json()
        assert [(e["version"], e["label"]) for e in history["events"]] == list(
            enumerate(
                [
                    "立案",
                    "交办",
                    "重新交办",
                    "督办",
                    "进展反馈",
                    "延期",
                    "申请销号",
                    "验收不通过",
                    "申请销号",
                    "销号",
                    "回头看重新打开",
                ],
                start=1,
            )
        )
        assert history["events"][1]["actor"] == "督察办" and history["events"][4]["actor"] == "water-bureau"
        assert history["events"][9]["data"]["verifier"] == "督察办"  # the actor verifies when no verifier is named
        assert all(e["occurred_at"].endswith("+08:00") for e in history["events"])
        assert history["events"][3]["data"]["new_deadline"].endswith("+08:00")

        case = (await client.get(base)).json()
        assert case["status"] == "assigned" and case["reopenings"] == 1 and case["extensions"] == 1
        assert case["assignment"]["unit"] == "县水利局" and case["progress"] == {
            "note": "已拆除采砂设备",
            "percent": 60,
            "photos": [],
        }
        assert case["deadline"].endswith("+08:00") and case["version"] == 11

        on_topic = await wait_on_topic(settings, 1, "Reopened", case_id)
        assert len(on_topic) == 1
        assert [e.stream_version for e in await events_on_topic(settings, case_id=case_id)] == list(range(1, 12))


async def test_the_rules_answer_409_and_bad_fields_422_with_the_field(settings: CasesSettings) -> None:
    async with running(create_app(settings)) as client:
        case_id = await open_case(client, settings)
        base = f"/v1/cases/{case_id}"

        # No unit has the case yet, so no unit may ask for its closure (the domain's not_assigned rule is unit-tested).
        early = await client.post(f"{base}/request-closure", json={"summary": "已整改", "evidence": NOT_UPLOADED})
        assert early.status_code == 403 and early.json()["error"]["code"] == "forbidden"
        unverifiable = await client.post(f"{base}/verify", json={"passed": True})
        assert unverifiable.status_code == 409 and unverifiable.json()["error"]["code"] == "no_pending_closure"

        past = await client.post(f"{base}/assign", json=five_definitions(clock.now() - timedelta(minutes=1)))
        assert past.status_code == 422 and past.json()["error"]["fields"][0]["field"] == "deadline"
        naive = await client.post(f"{base}/assign", json=five_definitions() | {"deadline": "2030-01-01T18:00:00"})
        assert naive.status_code == 422 and naive.json()["error"]["fields"][0]["field"] == "deadline"

        assert (await client.post(f"{base}/assign", json=five_definitions())).status_code == 200
        no_evidence = await client.post(f"{base}/request-closure", json={"summary": "已整改", "evidence": []})
        assert no_evidence.status_code == 422 and no_evidence.json()["error"]["fields"][0]["field"] == "evidence"
        bad_hash = await client.post(
            f"{base}/request-closure", json={"summary": "x", "evidence": [NOT_UPLOADED[0] | {"sha256": "nope"}]}
        )
        assert bad_hash.status_code == 422 and bad_hash.json()["error"]["fields"][0]["field"] == "evidence.0.sha256"
        earlier = await client.post(
            f"{base}/extend",
            json={"new_deadline": (clock.now() + timedelta(days=1)).isoformat(), "reason": "r", "approved_by": "a"},
        )
        assert earlier.status_code == 409 and earlier.json()["error"]["code"] == "extension_not_later"

        stale = await client.post(f"{base}/progress", json={"note": "进展"}, headers={"If-Match": "1"})
        assert stale.status_code == 409 and stale.json()["error"]["code"] == "version_conflict"
        assert stale.json()["error"]["current_version"] == 2
        fresh = await client.post(f"{base}/progress", json={"note": "进展"}, headers={"If-Match": '"2"'})
        assert fresh.status_code == 200 and fresh.json()["version"] == 3
        garbled = await client.post(f"{base}/progress", json={"note": "进展"}, headers={"If-Match": "abc"})
        assert garbled.status_code == 422 and garbled.json()["error"]["fields"][0]["field"] == "If-Match"

        missing = await client.post("/v1/cases/no-such-case/assign", json=five_definitions())
        assert missing.status_code == 404 and "no-such-case" in missing.json()["error"]["message"]
        assert (await client.get("/v1/cases/no-such-case")).status_code == 404
        assert (await client.get("/v1/cases/no-such-case/history")).status_code == 404

        # nothing refused was stored
        assert [e["type"] for e in (await client.get(f"{base}/history")).json()["events"]] == [
            "CaseOpened",
            "Assigned",
            "ProgressReported",
        ]


async def test_concurrent_commands_with_the_same_if_match_let_one_win_and_answer_409_to_the_other(
    settings: CasesSettings,
) -> None:
    async with running(create_app(settings)) as client:
        case_id = await open_case(client, settings)
        await client.post(f"/v1/cases/{case_id}/assign", json=five_definitions())
        for round_ in range(5):
            version = (await client.get(f"/v1/cases/{case_id}")).json()["version"]
            answers = await asyncio.gather(
                *(
                    client.post(
                        f"/v1/cases/{case_id}/progress",
                        json={"note": f"第{round_}轮 {who}"},
                        headers={"If-Match": str(version), "X-Actor": who},
                    )
                    for who in ("a", "b")
                )
            )
            assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
            winner = next(a for a in answers if a.status_code == 200)
            assert winner.json()["version"] == version + 1
        history = (await client.get(f"/v1/cases/{case_id}/history")).json()
        assert len(history["events"]) == 2 + 5


async def test_concurrent_commands_without_if_match_take_turns_and_both_succeed(settings: CasesSettings) -> None:
    async with running(create_app(settings)) as client:
        case_id = await open_case(client, settings)
        await client.post(f"/v1/cases/{case_id}/assign", json=five_definitions())
        answers = await asyncio.gather(
            *(client.post(f"/v1/cases/{case_id}/progress", json={"note": f"进展 {i}"}) for i in range(6))
        )
        assert [a.status_code for a in answers] == [200] * 6
        assert sorted(a.json()["version"] for a in answers) == list(range(3, 9))


async def test_the_list_filters_by_status_unit_township_and_overdue_and_pages(settings: CasesSettings) -> None:
    async with running(create_app(settings)) as client:
        ids = [
            await open_case(client, settings, township=t) for t in ("城关镇", "城关镇", "河口乡", "河口乡", "河口乡")
        ]
        await client.post(f"/v1/cases/{ids[0]}/assign", json=five_definitions(unit="县水利局"))
        await client.post(f"/v1/cases/{ids[1]}/assign", json=five_definitions(unit="城关镇人民政府"))
        soon = clock.now() + timedelta(seconds=1)
        await client.post(f"/v1/cases/{ids[2]}/assign", json=five_definitions(soon, unit="县水利局"))
        await asyncio.sleep(max((soon - clock.now()).total_seconds(), 0) + 0.1)

        async def listed(**params: str) -> set[str]:
            body = (await client.get("/v1/cases", params=params)).json()
            return {item["case_id"] for item in body["items"]}

        assert await listed(status="reported") == {ids[3], ids[4]}
        assert await listed(unit="县水利局") == {ids[0], ids[2]}
        assert await listed(township="河口乡", status="assigned") == {ids[2]}
        assert await listed(overdue="true") == {ids[2]}
        assert await listed(overdue="false") == set(ids) - {ids[2]}
        page = (await client.get("/v1/cases", params={"page": 2, "page_size": 2})).json()
        assert (page["total"], page["page"], len(page["items"])) == (5, 2, 2)
        assert (await client.get("/v1/cases", params={"page": 4, "page_size": 2})).json()["items"] == []
        item = next(
            i
            for i in (await client.get("/v1/cases", params={"unit": "县水利局"})).json()["items"]
            if i["case_id"] == ids[2]
        )
        assert item["overdue"] and item["status_label"] == "整改中" and item["leader"]["name"] == "王建国"
        bad = await client.get("/v1/cases", params={"status": "lost"})
        assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "query.status"


async def test_a_deadline_in_working_days_is_counted_by_the_holiday_calendar(settings: CasesSettings) -> None:
    async with running(create_app(settings)) as client:
        case_id = await open_case(client, settings)
        expected = shown(working_days_deadline(clock.now(), 5))
        assigned = await client.post(f"/v1/cases/{case_id}/assign", json=five_definitions(deadline_working_days=5))
        assert assigned.status_code == 200, assigned.text
        case = (await client.get(f"/v1/cases/{case_id}")).json()
        assert (case["deadline"], case["deadline_working_days"]) == (expected, 5)
        assert case["deadline"].endswith("T23:59:59+08:00")


async def test_a_read_that_waits_answers_as_soon_as_the_reported_issue_is_opened(settings: CasesSettings) -> None:
    async with running(create_app(settings)) as client:
        waiting = asyncio.create_task(client.get("/v1/cases/issue-awaited", params={"wait": 10}))
        await asyncio.sleep(0.5)  # the read has found no case and waits for its opening
        assert not waiting.done()
        started = asyncio.get_running_loop().time()
        await produce(settings, envelope_of(issue_reported("issue-awaited")))
        answer = await asyncio.wait_for(waiting, 15)
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "reported" and answer.headers["ETag"] == '"1"'
        assert asyncio.get_running_loop().time() - started < 8  # woken by the opening, not at the end of the wait


async def test_a_read_that_waits_for_a_case_never_opened_is_a_404_after_the_wait(settings: CasesSettings) -> None:
    async with running(create_app(settings)) as client:
        started = asyncio.get_running_loop().time()
        answer = await client.get("/v1/cases/never-reported", params={"wait": 0.3})
        assert answer.status_code == 404
        assert asyncio.get_running_loop().time() - started >= 0.3
        too_long = await client.get("/v1/cases/never-reported", params={"wait": 11})
        assert too_long.status_code == 422 and "wait" in too_long.text
