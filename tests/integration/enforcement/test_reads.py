"""Lists of cases and an enterprise's record across cases."""

from datetime import datetime

from shared.clock import SHANGHAI
from tests.integration.enforcement.support import TENCENT, XIAOMI, Enforcement

THIS_YEAR = datetime.now(SHANGHAI).year


async def fined(e: Enforcement, case_id: str, amount: str, number: str) -> None:
    await e.command(case_id, "penalties", {"amount": amount, "decision_no": number, "due_date": "2024-04-01"})


async def test_cases_are_listed_by_enterprise_year_and_status(enforcement: Enforcement) -> None:
    e = enforcement
    first = await e.open_case(XIAOMI)
    second = await e.open_case(XIAOMI.lower())
    other = await e.open_case(
        TENCENT, enterprise={"name": "某某50%_养殖场", "credit_code": TENCENT, "address": "河西村"}
    )
    await e.command(first, "close", {"outcome": "结案"}, status=200)

    async def listed(**params: str | int) -> list[str]:
        page = (await e.client.get("/v1/enforcement-cases", params=params)).json()
        assert page["total"] == len(page["items"])
        return [item["case_id"] for item in page["items"]]

    assert await listed() == [other, second, first]  # newest first
    assert await listed(enterprise=XIAOMI) == [second, first]
    assert await listed(enterprise="化工") == [second, first]
    assert await listed(enterprise="50%_") == [other]  # LIKE wildcards are taken literally
    assert await listed(enterprise="5%0") == []  # unescaped, % would match the "50" in the name
    assert await listed(status="closed") == [first]
    assert await listed(status="open", enterprise=XIAOMI.lower()) == [second]
    assert await listed(year=THIS_YEAR) == [other, second, first]
    assert await listed(year=THIS_YEAR - 1) == []
    page = (await e.client.get("/v1/enforcement-cases", params={"limit": 1, "offset": 1})).json()
    assert ([i["case_id"] for i in page["items"]], page["total"]) == ([second], 3)
    bad = await e.client.get("/v1/enforcement-cases", params={"status": "pending"})
    assert bad.status_code == 422


async def test_an_enterprise_record_counts_every_case_against_it(enforcement: Enforcement) -> None:
    e = enforcement
    first = await e.open_case(XIAOMI)
    await fined(e, first, "20000", "罚1号")
    await e.command(first, "detentions", {"persons": [{"name": "张三", "days": 10}], "police_unit": "县公安局"})
    await e.command(first, "close", {"outcome": "结案"}, status=200)
    second = await e.open_case(XIAOMI)
    await fined(e, second, "30000.50", "罚2号")
    await e.open_case(TENCENT)

    record = (await e.client.get(f"/v1/enforcement-cases/by-enterprise/{XIAOMI.lower()}")).json()
    assert (record["credit_code"], record["enterprise_name"]) == (XIAOMI, "某某化工有限公司")
    assert (record["case_count"], record["open_case_count"], record["repeat_offender"]) == (2, 1, True)
    assert [c["case_id"] for c in record["cases"]] == [first, second]  # oldest first
    assert record["totals"]["penalty_total"] == "50000.50"
    assert record["totals"]["penalty_total_fen"] == 5_000_050
    assert record["totals"]["detained_persons"] == 1
    assert [c["status_label"] for c in record["cases"]] == ["已结案", "办理中"]

    once = (await e.client.get(f"/v1/enforcement-cases/by-enterprise/{TENCENT}")).json()
    assert (once["case_count"], once["repeat_offender"]) == (1, False)


async def test_an_enterprise_without_cases_has_an_empty_record(enforcement: Enforcement) -> None:
    record = (await enforcement.client.get(f"/v1/enforcement-cases/by-enterprise/{TENCENT}")).json()
    assert record == {
        "credit_code": TENCENT,
        "enterprise_name": None,
        "case_count": 0,
        "open_case_count": 0,
        "repeat_offender": False,
        "totals": {
            "penalty_total": "0.00",
            "penalty_total_fen": 0,
            "paid_total": "0.00",
            "paid_total_fen": 0,
            "outstanding_total": "0.00",
            "outstanding_total_fen": 0,
            "daily_penalty_rounds": 0,
            "detained_persons": 0,
            "criminal_measure_persons": 0,
            "referred_persons": 0,
        },
        "cases": [],
    }


async def test_an_offset_beyond_any_list_is_422_not_a_server_error(enforcement: Enforcement) -> None:
    answer = await enforcement.client.get("/v1/enforcement-cases", params={"offset": 16141740881494644736})
    assert answer.status_code == 422 and answer.json()["error"]["fields"][0]["field"] == "query.offset"
