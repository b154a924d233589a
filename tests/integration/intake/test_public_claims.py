"""A public submission speaks for itself only: no official source, batch or reference of its own choosing (issue 12, 4).

Anonymous callers and `public` tokens get the public source (县长信箱); naming another source, a batch or
an external reference is refused with 422, so an official reference can never be taken over from outside.
"""

from typing import Any

import httpx

from services.intake.settings import IntakeSettings
from shared.auth import Role
from tests.integration.intake.conftest import ANONYMOUS, bearer, problem, report_of
from tests.support.kafka import wait_for_events

CLAIM = {"source": "central_inspection", "batch": "第二轮第3批", "external_ref": "1"}
OFFICIAL_CSV = "批次,序号,问题,乡镇,领域,地址\n第二轮第3批,1,砖厂粉尘无组织排放,城关镇,砖瓦窑,城关镇南岗村\n".encode()


def refused_field(answer: httpx.Response) -> str:
    assert answer.status_code == 422, answer.text
    [field] = answer.json()["error"]["fields"]
    return str(field["field"])


async def test_a_public_report_claiming_an_inspection_batch_and_serial_does_not_absorb_the_official_row(
    client: httpx.AsyncClient, settings: IntakeSettings
) -> None:
    body = {**problem(township="城关镇", domain="brick_tile", location={"address": "城关镇北岗村"}), **CLAIM}
    anonymous = await client.post("/v1/reports", json=body, auth=ANONYMOUS)
    assert refused_field(anonymous) == "source"
    assert "县长信箱" in anonymous.json()["error"]["message"]
    with_a_public_token = await client.post("/v1/reports", json=body, headers=bearer(settings, Role.PUBLIC))
    assert refused_field(with_a_public_token) == "source"
    without_the_source = {k: v for k, v in body.items() if k != "source"}
    assert refused_field(await client.post("/v1/reports", json=without_the_source, auth=ANONYMOUS)) == "batch"
    only_a_reference = {k: v for k, v in without_the_source.items() if k != "batch"}
    assert refused_field(await client.post("/v1/reports", json=only_a_reference, auth=ANONYMOUS)) == "external_ref"

    uploaded = await client.post(
        "/v1/batches", data={"source": "central_inspection"}, files={"file": ("交办表.csv", OFFICIAL_CSV)}
    )
    report = uploaded.json()
    assert (report["created_count"], report["accepted"][0]["status"]) == (1, "accepted"), report
    [event] = await wait_for_events(settings.broker, settings.own_topic, 1)
    assert (event.type, event.stream_id) == ("IssueReported", report["accepted"][0]["issue_id"])
    assert (report_of(event).source, report_of(event).batch, report_of(event).external_ref) == (
        "central_inspection",
        "第二轮第3批",
        "1",
    )


async def test_a_public_report_may_say_it_is_a_letter_and_is_recorded_as_one(
    client: httpx.AsyncClient, settings: IntakeSettings
) -> None:
    answer = await client.post("/v1/reports", json={**problem(), "source": "mailbox"}, auth=ANONYMOUS)
    assert answer.status_code == 202
    [event] = await wait_for_events(settings.broker, settings.own_topic, 1)
    assert (report_of(event).source, report_of(event).batch, report_of(event).external_ref) == ("mailbox", None, None)


async def test_the_form_takes_no_source_batch_or_reference_whatever_it_is_sent(
    client: httpx.AsyncClient, settings: IntakeSettings
) -> None:
    form: dict[str, Any] = {
        "title": "砖厂粉尘",
        "description": "粉尘很大",
        "township": "城关镇",
        "domain": "brick_tile",
        "address": "城关镇南岗村",
        **CLAIM,
    }
    answer = await client.post("/report", data=form, headers={"Accept": "application/json"}, auth=ANONYMOUS)
    assert answer.status_code == 202
    [event] = await wait_for_events(settings.broker, settings.own_topic, 1)
    assert (report_of(event).source, report_of(event).batch, report_of(event).external_ref) == ("mailbox", None, None)


async def test_only_the_staff_who_enter_reports_name_an_official_source_batch_and_reference(
    client: httpx.AsyncClient, settings: IntakeSettings
) -> None:
    body = {**problem(), **CLAIM}
    for role in (Role.OPERATOR, Role.INSPECTION_OFFICE):
        entered = await client.post(
            "/v1/reports", json={**body, "external_ref": role.value}, headers=bearer(settings, role)
        )
        assert entered.status_code == 202, (role, entered.text)
    for role in (Role.UNIT, Role.LEADER, Role.VIEWER):
        assert refused_field(await client.post("/v1/reports", json=body, headers=bearer(settings, role))) == "source"
    events = await wait_for_events(settings.broker, settings.own_topic, 2)
    assert sorted((report_of(e).source, report_of(e).batch, report_of(e).external_ref) for e in events) == [
        ("central_inspection", "第二轮第3批", "inspection_office"),
        ("central_inspection", "第二轮第3批", "operator"),
    ]


async def test_no_one_enters_a_provincial_assignment_through_the_report_api(
    client: httpx.AsyncClient, settings: IntakeSettings
) -> None:
    body = {**problem(), "source": "province_platform", "external_ref": "SJ-2026-0001"}
    answer = await client.post("/v1/reports", json=body, headers=bearer(settings, Role.INSPECTION_OFFICE))
    assert refused_field(answer) == "source"
    assert "省级平台" in answer.json()["error"]["message"]
