"""举报人信息保密 in intake: sealed at rest, readable only by an operator, every read recorded, keys rotatable."""

from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet, InvalidToken

from services.intake import privacy
from services.intake.main import create_app
from services.intake.privacy import ContactVault
from services.intake.rotate_keys import rotate
from services.intake.settings import IntakeSettings
from shared.auth import Role
from tests.conftest import SettingsFactory
from tests.integration.intake.conftest import bearer, problem
from tests.support.service import running

NAME, PHONE = "欧阳娜娜", "13912345678"


async def two_reports_of_one_problem(client: httpx.AsyncClient) -> tuple[str, list[str]]:
    first = await client.post(
        "/v1/reports", json={**problem(), "source": "media", "reporter": {"name": NAME, "phone": PHONE}}
    )
    call = {**problem(), "line": "hotline_12369", "call_ref": "12369-1", "caller": {"phone": "0710-3888888"}}
    second = await client.post("/v1/hotline-calls", json=call)
    assert second.json()["issue_id"] == first.json()["issue_id"]
    return first.json()["issue_id"], [first.json()["report_id"], second.json()["report_id"]]


async def test_an_operator_reads_the_contacts_of_every_report_of_an_issue_and_the_read_is_recorded(
    client: httpx.AsyncClient, settings: IntakeSettings
) -> None:
    issue_id, report_ids = await two_reports_of_one_problem(client)
    reader = bearer(settings, Role.OPERATOR, "wang")
    answer = await client.get(f"/v1/reports/{issue_id}/contacts", headers=reader)
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    contacts = answer.json()["contacts"]
    assert [(c["report_id"], c["name"], c["phone"], c["channel"]) for c in contacts] == [
        (report_ids[0], NAME, PHONE, "api"),
        (report_ids[1], None, "0710-3888888", "hotline_operator"),
    ]
    reads = (await client.get(f"/v1/reports/{issue_id}/contact-reads", headers=bearer(settings, Role.OPERATOR))).json()
    assert [(r["actor"], r["role"], r["report_ids"]) for r in reads] == [("wang", "operator", report_ids)]
    assert reads[0]["read_at"].endswith("+08:00") and reads[0]["address"] == "127.0.0.1"


async def test_no_one_but_an_operator_reads_a_contact(client: httpx.AsyncClient, settings: IntakeSettings) -> None:
    issue_id, _ = await two_reports_of_one_problem(client)
    anonymous = await client.get(f"/v1/reports/{issue_id}/contacts", auth=None)  # no token at all
    assert anonymous.status_code == 401
    for role in (Role.VIEWER, Role.LEADER, Role.UNIT, Role.INSPECTION_OFFICE, Role.PUBLIC):
        refused = await client.get(f"/v1/reports/{issue_id}/contacts", headers=bearer(settings, role))
        assert refused.status_code == 403, role
        assert NAME not in refused.text
    unknown = await client.get("/v1/reports/nope/contacts", headers=bearer(settings, Role.OPERATOR))
    assert unknown.status_code == 404


async def test_contacts_are_stored_sealed_and_nowhere_in_plain_text(
    client: httpx.AsyncClient, settings: IntakeSettings, db: Any
) -> None:
    issue_id, _ = await two_reports_of_one_problem(client)
    sealed = await db.fetch(
        "select name_sealed, phone_sealed, wrapped from reporter_contacts join contact_keys using (report_id)"
    )
    assert len(sealed) == 2, "each report's contact has a data key of its own"
    for row in sealed:
        for token in (row["name_sealed"], row["phone_sealed"]):
            assert token is None or (PHONE.encode() not in token and NAME.encode() not in token)
    vault = ContactVault(settings.contact_keys)
    assert vault.unwrap(sealed[0]["wrapped"]).open(sealed[0]["phone_sealed"]) in (PHONE, "0710-3888888")
    with pytest.raises(InvalidToken):  # the service's key alone opens the data key, not the contact
        vault.open(sealed[0]["phone_sealed"])
    stored = await db.fetchval("select string_agg(payload::text, ' ') from events")
    assert NAME not in stored and PHONE not in stored


async def test_after_key_rotation_the_old_key_can_be_retired(make_settings: SettingsFactory, topics: list[str]) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    base = make_settings(IntakeSettings, contact_keys=old)
    async with running(create_app(base)) as client:
        issue_id, _ = await two_reports_of_one_problem(client)
    assert await rotate(base.model_copy(update={"contact_keys": f"{new},{old}"})) == 2
    only_new = base.model_copy(update={"contact_keys": new})
    async with running(create_app(only_new)) as client:
        answer = await client.get(f"/v1/reports/{issue_id}/contacts", headers=bearer(only_new, Role.OPERATOR))
    assert answer.status_code == 200
    assert [c["phone"] for c in answer.json()["contacts"]] == [PHONE, "0710-3888888"]


async def test_a_contact_read_whose_record_cannot_be_stored_answers_no_contact(
    client: httpx.AsyncClient, settings: IntakeSettings, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    issue_id, _ = await two_reports_of_one_problem(client)

    async def unrecorded(*args: object) -> None:
        raise RuntimeError("the audit event could not be stored")

    monkeypatch.setattr(privacy, "record", unrecorded)
    with pytest.raises(RuntimeError, match="audit event"):
        await client.get(f"/v1/reports/{issue_id}/contacts", headers=bearer(settings, Role.OPERATOR))
    assert await db.fetchval("select count(*) from events where type = 'ContactRead'") == 0
