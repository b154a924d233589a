"""What the API refuses, and how: 422 naming the field, 409 with a stable code, never a half-done command.

The tests share one service (each opens cases of its own), but the one that reads the topic.
"""

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from tests.integration.enforcement.support import XIAOMI, Enforcement, case_body
from tests.support.kafka import read_events

PENALTY = '{{"amount": {amount}, "decision_no": "县环罚〔2024〕1号", "due_date": "2024-04-01"}}'


def fields(response: Any) -> list[str]:
    return [f["field"] for f in response.json()["error"]["fields"]]


async def post_penalty(enforcement: Enforcement, case_id: str, amount: str) -> httpx.Response:
    """The body as raw JSON text, so that a number reaches the service exactly as written here."""
    return await enforcement.client.post(
        f"/v1/enforcement-cases/{case_id}/penalties",
        content=PENALTY.format(amount=amount).encode(),
        headers={"content-type": "application/json"},
    )


@pytest.mark.parametrize(
    "code",
    ["91110108551385082R", "9111010855138508", "91110108551385O82Q", "01110108551385082Q", ""],
)
async def test_an_invalid_credit_code_is_refused_with_422_naming_the_field(
    shared_enforcement: Enforcement, code: str
) -> None:
    response = await shared_enforcement.client.post("/v1/enforcement-cases", json=case_body(code))
    assert response.status_code == 422, response.text
    assert fields(response) == ["enterprise.credit_code"]
    by_enterprise = await shared_enforcement.client.get(f"/v1/enforcement-cases/by-enterprise/{code or 'x'}")
    assert by_enterprise.status_code == 422
    assert fields(by_enterprise) == ["credit_code"]


@pytest.mark.parametrize(
    "amount",
    [
        "-100",  # negative
        "0",
        '"-0.01"',
        "0.30000000000000004",  # the float 0.1 + 0.2: not an amount of yuan
        "100.001",  # finer than the fen
        '"100.001"',
        "1e-7",
        '"五万元"',
        "true",
        "null",
    ],
)
async def test_amounts_that_are_not_exact_positive_yuan_are_refused_with_422(
    shared_enforcement: Enforcement, amount: str
) -> None:
    case_id = await shared_enforcement.open_case()
    response = await post_penalty(shared_enforcement, case_id, amount)
    assert response.status_code == 422, response.text
    assert fields(response) == ["amount"]
    case = (await shared_enforcement.client.get(f"/v1/enforcement-cases/{case_id}")).json()
    assert case["penalties"] == [] and case["version"] == 1
    await shared_enforcement.command(case_id, "close", {"outcome": "结案"}, status=200)
    on_closed = await post_penalty(shared_enforcement, case_id, amount)
    assert (on_closed.status_code, fields(on_closed)) == (422, ["amount"])  # what is wrong in itself is said first


@pytest.mark.parametrize(
    ("amount", "fen"), [("53210.55", 5_321_055), ("0.1", 10), ("50000", 5_000_000), ('"1E+3"', 100_000)]
)
async def test_a_json_number_that_is_an_exact_amount_is_taken_as_written(
    shared_enforcement: Enforcement, amount: str, fen: int
) -> None:
    case_id = await shared_enforcement.open_case()
    response = await post_penalty(shared_enforcement, case_id, amount)
    assert response.status_code == 201, response.text
    assert response.json()["events"][0]["payload"]["amount_fen"] == fen


@pytest.mark.parametrize(
    ("person", "field"),
    [
        ({"name": "张三", "days": 0}, "persons.0.days"),
        ({"name": "张三", "days": -1}, "persons.0.days"),
        ({"name": "张三", "days": 1.5}, "persons.0.days"),
        ({"name": "张三", "days": "3"}, "persons.0.days"),
        ({"name": "张三", "days": 21}, "persons.0.days"),
        ({"name": "", "days": 3}, "persons.0.name"),
    ],
)
async def test_detention_needs_named_persons_and_positive_whole_days(
    shared_enforcement: Enforcement, person: dict[str, Any], field: str
) -> None:
    case_id = await shared_enforcement.open_case()
    response = await shared_enforcement.client.post(
        f"/v1/enforcement-cases/{case_id}/detentions", json={"persons": [person], "police_unit": "县公安局"}
    )
    assert response.status_code == 422, response.text
    assert fields(response) == [field]
    nobody = await shared_enforcement.client.post(
        f"/v1/enforcement-cases/{case_id}/detentions", json={"persons": [], "police_unit": "县公安局"}
    )
    assert (nobody.status_code, fields(nobody)) == (422, ["persons"])


async def test_rules_of_the_case_answer_409_with_a_code_and_a_chinese_message(shared_enforcement: Enforcement) -> None:
    e = shared_enforcement
    case_id = await e.open_case()
    no_order = await e.client.post(
        f"/v1/enforcement-cases/{case_id}/reinspections",
        json={"order_id": "o-1", "inspected_on": "2024-03-20", "complied": False},
    )
    assert no_order.status_code == 409
    assert no_order.json()["error"]["code"] == "no_rectification_order"
    assert "须先责令改正" in no_order.json()["error"]["message"]

    order = await e.command(
        case_id,
        "rectification-orders",
        {"requirements": "整改", "served_on": "2024-03-01", "deadline": "2024-03-15T18:00:00+08:00"},
    )
    order_id = order["events"][0]["payload"]["order_id"]
    no_fine = await e.client.post(
        f"/v1/enforcement-cases/{case_id}/reinspections",
        json={"order_id": order_id, "inspected_on": "2024-03-20", "complied": False, "decision_no": "按日1号"},
    )
    assert no_fine.status_code == 409
    assert no_fine.json()["error"]["code"] == "no_original_fine"

    fine = await e.command(case_id, "penalties", {"amount": "1000", "decision_no": "罚1号", "due_date": "2024-04-01"})
    penalty_id = fine["events"][0]["payload"]["penalty_id"]
    too_much = await e.client.post(
        f"/v1/enforcement-cases/{case_id}/payments",
        json={"penalty_id": penalty_id, "amount": "1000.01", "paid_on": "2024-03-20"},
    )
    assert too_much.status_code == 409
    assert too_much.json()["error"]["code"] == "payment_exceeds_penalty"
    case = (await e.client.get(f"/v1/enforcement-cases/{case_id}")).json()
    assert case["version"] == 3  # opened, ordered, fined: nothing of the refused commands


async def test_two_payments_at_once_cannot_together_exceed_the_fine(shared_enforcement: Enforcement) -> None:
    e = shared_enforcement
    case_id = await e.open_case()
    fine = await e.command(case_id, "penalties", {"amount": "1000", "decision_no": "罚1号", "due_date": "2024-04-01"})
    penalty_id = fine["events"][0]["payload"]["penalty_id"]
    payment = {"penalty_id": penalty_id, "amount": "600", "paid_on": "2024-03-20"}
    url = f"/v1/enforcement-cases/{case_id}/payments"
    answers = await asyncio.gather(*(e.client.post(url, json=payment) for _ in range(4)))
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409]
    case = (await e.client.get(f"/v1/enforcement-cases/{case_id}")).json()
    assert case["totals"]["paid_total_fen"] == 60_000


async def test_a_stale_if_match_is_a_conflict(shared_enforcement: Enforcement) -> None:
    case_id = await shared_enforcement.open_case()
    body = {"ordered_on": "2024-03-20"}
    stale = await shared_enforcement.client.post(
        f"/v1/enforcement-cases/{case_id}/production-stops", json=body, headers={"If-Match": "0"}
    )
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "version_conflict"
    fresh = await shared_enforcement.client.post(
        f"/v1/enforcement-cases/{case_id}/production-stops", json=body, headers={"If-Match": '"1"'}
    )
    assert fresh.status_code == 201


async def test_a_command_answers_with_the_case_version_as_the_etag_to_send_back(
    shared_enforcement: Enforcement,
) -> None:
    correlation_id = str(uuid.uuid4())
    opened = await shared_enforcement.client.post(
        "/v1/enforcement-cases", json=case_body(), headers={"X-Correlation-ID": correlation_id}
    )
    assert opened.headers["ETag"] == '"1"'
    stopped = await shared_enforcement.client.post(
        f"{opened.headers['Location']}/production-stops",
        json={"ordered_on": "2024-03-20"},
        headers={"If-Match": opened.headers["ETag"]},
    )
    assert stopped.status_code == 201, stopped.text
    assert stopped.headers["ETag"] == f'"{stopped.json()["version"]}"' == '"2"'
    history = (await shared_enforcement.client.get(f"{opened.headers['Location']}/history")).json()
    assert history["events"][0]["correlation_id"] == correlation_id


async def test_refused_commands_publish_nothing(enforcement: Enforcement) -> None:
    await enforcement.client.post("/v1/enforcement-cases", json=case_body("91110108551385082R"))
    case_id = await enforcement.open_case(XIAOMI)
    await enforcement.client.post(f"/v1/enforcement-cases/{case_id}/close", json={"outcome": ""})
    await enforcement.command(case_id, "close", {"outcome": "结案"}, status=200)
    settings = enforcement.settings
    deadline = asyncio.get_running_loop().time() + 10
    while len(events := await read_events(settings.broker, settings.own_topic)) < 2:
        assert asyncio.get_running_loop().time() < deadline, "the relay did not publish in time"
        await asyncio.sleep(0.1)
    assert [e.type for e in events] == ["EnforcementCaseOpened", "EnforcementCaseClosed"]
