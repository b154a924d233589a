"""Intake follows which unit each issue's case is assigned to: a unit token reads the reports of its own cases only."""

from datetime import UTC, datetime, timedelta

from services.intake.province_outbound import Tracked, track
from shared.contracts.cases import Assigned, AssignedLeader, Closed, Reassigned, Reopened

AT = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)
FIVE = {
    "problem": "粉尘",
    "task": "安装除尘设施",
    "leader": AssignedLeader(name="王县长", post="副县长", liaison=None),
    "deadline": AT + timedelta(days=30),
    "measures": "约谈",
}


def test_a_case_not_yet_assigned_belongs_to_no_unit() -> None:
    assert Tracked().unit is None


def test_the_unit_is_the_one_of_the_latest_assignment() -> None:
    tracked = track(Tracked(), Assigned(unit="城关镇人民政府", **FIVE))
    assert tracked.unit == "城关镇人民政府"
    tracked = track(tracked, Reassigned(unit="县水利局", previous_unit="城关镇人民政府", **FIVE))
    assert tracked.unit == "县水利局"


def test_closing_and_reopening_keep_the_unit() -> None:
    tracked = track(Tracked(), Assigned(unit="城关镇人民政府", **FIVE))
    tracked = track(tracked, Closed(verifier="李娜", unit="城关镇人民政府"))
    tracked = track(tracked, Reopened(reason="反弹", new_deadline=AT + timedelta(days=60), unit="城关镇人民政府"))
    assert tracked.unit == "城关镇人民政府"
