"""Phone and ID-card numbers typed into a report leave intake masked; the operator reads the original (issue 12, 17)."""

from typing import Any

import httpx

from services.intake.masking import ID_CARD_MASK, MOBILE_MASK
from services.intake.settings import IntakeSettings
from shared.auth import Role
from tests.integration.intake.conftest import ANONYMOUS, bearer, report_of
from tests.support.kafka import wait_for_events

MOBILE, ID_CARD, OLD_ID_CARD = "13812345678", "42010619880715123X", "420106880715123"
FORM = {
    "title": f"砖厂偷排，请联系{MOBILE}",
    "description": f"老板王某身份证{ID_CARD}，夜里偷排。我的电话 139 1234 5602",
    "township": "城关镇",
    "domain": "water",
    "address": f"河西村（看门人{OLD_ID_CARD}）",
    "name": "欧阳娜娜",
}
NUMBERS = (MOBILE, ID_CARD, OLD_ID_CARD, "139 1234 5602")


async def test_numbers_in_a_reports_text_are_masked_in_its_event_its_report_and_the_database(
    client: httpx.AsyncClient, settings: IntakeSettings, db: Any
) -> None:
    answer = await client.post("/report", data=FORM, headers={"Accept": "application/json"}, auth=ANONYMOUS)
    assert answer.status_code == 202, answer.text
    issue_id = answer.json()["issue_id"]
    [event] = await wait_for_events(settings.broker, settings.own_topic, 1)
    reported = report_of(event)
    assert reported.title == f"砖厂偷排，请联系{MOBILE_MASK}"
    assert reported.description == f"老板王某身份证{ID_CARD_MASK}，夜里偷排。我的电话 {MOBILE_MASK}"
    assert reported.location is not None and reported.location.address == f"河西村（看门人{ID_CARD_MASK}）"
    shown = (await client.get(f"/v1/reports/{issue_id}", headers=bearer(settings, Role.LEADER))).text
    plain_tables = await db.fetchval(
        """select concat_ws(' ', (select string_agg(payload::text, ' ') from events),
                                 (select string_agg(address_key, ' ') from issue_index))"""
    )
    for text in (event.payload.model_dump_json(), shown, plain_tables):
        assert [n for n in NUMBERS if n in text] == []


async def test_the_operator_reads_the_original_text_with_the_contact_and_the_read_is_recorded(
    client: httpx.AsyncClient, settings: IntakeSettings
) -> None:
    with_name = await client.post("/report", data=FORM, headers={"Accept": "application/json"}, auth=ANONYMOUS)
    issue_id = with_name.json()["issue_id"]
    # A repeat report with a number and no contact at all: its original is kept all the same.
    staff_entry = {
        "title": "又在偷排",
        "description": f"知情人电话{MOBILE}",
        "township": "城关镇",
        "domain": "water",
        "location": {"address": FORM["address"]},
        "source": "hotline_12369",
    }
    repeat = await client.post("/v1/reports", json=staff_entry, headers=bearer(settings, Role.OPERATOR))
    assert repeat.json()["issue_id"] == issue_id
    operator = bearer(settings, Role.OPERATOR, "wang")
    read = await client.get(f"/v1/reports/{issue_id}/contacts", headers=operator)
    assert read.status_code == 200
    contacts = read.json()["contacts"]
    assert [(c["name"], c["original_text"]) for c in contacts] == [
        ("欧阳娜娜", {"title": FORM["title"], "description": FORM["description"], "address": FORM["address"]}),
        (None, {"description": f"知情人电话{MOBILE}", "address": FORM["address"]}),
    ]
    reads = (await client.get(f"/v1/reports/{issue_id}/contact-reads", headers=operator)).json()
    assert [len(r["report_ids"]) for r in reads] == [2]
    for role in (Role.LEADER, Role.UNIT, Role.INSPECTION_OFFICE):
        refused = await client.get(f"/v1/reports/{issue_id}/contacts", headers=bearer(settings, role))
        assert refused.status_code == 403 and MOBILE not in refused.text


async def test_the_original_text_is_stored_sealed(client: httpx.AsyncClient, settings: IntakeSettings, db: Any) -> None:
    await client.post("/report", data=FORM, headers={"Accept": "application/json"}, auth=ANONYMOUS)
    [sealed] = await db.fetch("select text_sealed from reporter_contacts")
    assert sealed["text_sealed"] is not None
    assert [n for n in NUMBERS if n.encode() in sealed["text_sealed"]] == []
