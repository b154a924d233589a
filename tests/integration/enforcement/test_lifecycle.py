"""The whole enforcement lifecycle through HTTP, carried on enforcement.events."""

from shared.contracts.enforcement import EnforcementCaseOpened
from tests.integration.enforcement.support import Enforcement
from tests.support.kafka import wait_for_events

LIFECYCLE = [
    "EnforcementCaseOpened",
    "PenaltyIssued",
    "RectificationOrdered",
    "ReinspectionDone",
    "PenaltyIssued",
    "ReinspectionDone",
    "PenaltyIssued",
    "PenaltyPaid",
    "ProductionStopOrdered",
    "ReinspectionDone",
    "DetentionOrdered",
    "CriminalMeasuresTaken",
    "ReferredForProsecution",
    "EnforcementCaseClosed",
]


async def test_the_whole_lifecycle_goes_through_the_api_and_onto_enforcement_events(enforcement: Enforcement) -> None:
    e = enforcement
    case_id = await e.open_case(issue_id="issue-1")

    fine = await e.command(
        case_id, "penalties", {"amount": "53210.55", "decision_no": "县环罚〔2024〕1号", "due_date": "2024-04-01"}
    )
    penalty_id = fine["events"][0]["payload"]["penalty_id"]
    assert fine["events"][0]["payload"]["amount_fen"] == 5_321_055

    order = await e.command(
        case_id,
        "rectification-orders",
        {"requirements": "拆除暗管，停止超标排放", "served_on": "2024-02-20", "deadline": "2024-03-01T17:00:00+08:00"},
    )
    order_id = order["events"][0]["payload"]["order_id"]

    first = await e.command(
        case_id,
        "reinspections",
        {"order_id": order_id, "inspected_on": "2024-03-05", "complied": False, "decision_no": "县环按日罚〔2024〕1号"},
    )
    assert [ev["type"] for ev in first["events"]] == ["ReinspectionDone", "PenaltyIssued"]
    assert first["events"][1]["payload"] | {"penalty_id": None} == {
        "penalty_id": None,
        "amount_fen": 74_494_770,
        "basis": "daily_continuous",
        "decision_no": "县环按日罚〔2024〕1号",
        "due_date": None,
        "period_start": "2024-02-21",
        "period_end": "2024-03-05",
        "days": 14,
        "daily_amount_fen": 5_321_055,
        "order_id": order_id,
        "original_penalty_id": penalty_id,
    }
    assert "按日连续处罚 14 日，计 744947.70 元" in first["message"]

    second = await e.command(
        case_id,
        "reinspections",
        {"order_id": order_id, "inspected_on": "2024-03-20", "complied": False, "decision_no": "县环按日罚〔2024〕2号"},
    )
    assert second["events"][1]["payload"]["amount_fen"] == 79_815_825

    await e.command(case_id, "payments", {"penalty_id": penalty_id, "amount": 53210.55, "paid_on": "2024-03-25"})
    await e.command(case_id, "production-stops", {"ordered_on": "2024-03-26", "note": "停产整治"})
    after_stop = await e.command(
        case_id, "reinspections", {"order_id": order_id, "inspected_on": "2024-04-10", "complied": False}
    )
    assert [ev["type"] for ev in after_stop["events"]] == ["ReinspectionDone"]
    await e.command(
        case_id,
        "detentions",
        {"persons": [{"name": "张三", "days": 10}, {"name": "李四", "days": 5}], "police_unit": "县公安局"},
    )
    await e.command(
        case_id, "criminal-measures", {"persons": [{"name": "张三"}], "measure": "刑事拘留", "police_unit": "县公安局"}
    )
    await e.command(case_id, "referrals", {"persons": [{"name": "张三"}], "procuratorate": "县人民检察院"})
    closed = await e.command(case_id, "close", {"outcome": "移送起诉，罚款部分缴纳，余款申请强制执行"}, status=200)
    assert closed["version"] == len(LIFECYCLE)

    refused = await e.client.post(
        f"/v1/enforcement-cases/{case_id}/penalties",
        json={"amount": "100", "decision_no": "县环罚〔2024〕9号", "due_date": "2024-05-01"},
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "case_closed"

    case = (await e.client.get(f"/v1/enforcement-cases/{case_id}")).json()
    assert (case["status"], case["status_label"], case["version"]) == ("closed", "已结案", len(LIFECYCLE))
    assert case["opened_by"] == "wang" and case["opened_at"].endswith("+08:00")
    assert case["totals"] == {
        "penalty_total": "1596316.50",
        "penalty_total_fen": 5_321_055 + 74_494_770 + 79_815_825,
        "paid_total": "53210.55",
        "paid_total_fen": 5_321_055,
        "outstanding_total": "1543105.95",
        "outstanding_total_fen": 74_494_770 + 79_815_825,
        "daily_penalty_rounds": 2,
        "detained_persons": 2,
        "criminal_measure_persons": 1,
        "referred_persons": 1,
    }
    assert [p["basis_label"] for p in case["penalties"]] == ["罚款", "按日连续处罚", "按日连续处罚"]
    assert case["penalties"][0]["outstanding"] == "0.00"
    assert [r["result_label"] for r in case["rectification_orders"][0]["reinspections"]] == ["拒不改正"] * 3
    assert case["production_stopped_on"] == "2024-03-26"

    history = (await e.client.get(f"/v1/enforcement-cases/{case_id}/history")).json()
    assert [ev["type"] for ev in history["events"]] == LIFECYCLE
    assert history["events"][0]["label"] == EnforcementCaseOpened.label  # 执法立案

    published = await wait_for_events(e.settings.broker, e.settings.own_topic, len(LIFECYCLE))
    mine = [ev for ev in published if ev.stream_id == case_id]
    assert [ev.type for ev in mine] == LIFECYCLE
    assert [ev.stream_version for ev in mine] == list(range(1, len(LIFECYCLE) + 1))
    assert mine[0].actor == "wang" and mine[1].actor == "anonymous"


async def test_a_case_that_was_never_opened_is_not_found(enforcement: Enforcement) -> None:
    for response in (
        await enforcement.client.get("/v1/enforcement-cases/nope"),
        await enforcement.client.get("/v1/enforcement-cases/nope/history"),
        await enforcement.client.post("/v1/enforcement-cases/nope/close", json={"outcome": "结案"}),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["message"] == "未找到执法案件：nope"
