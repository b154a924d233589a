"""The documents of the supervision (督查): rounds, bulletins, summons meetings and meetings on the work, decided."""

from datetime import UTC, date, datetime
from functools import reduce
from typing import Any

import pytest

from services.accountability.commands import (
    CloseRound,
    HoldSummonsMeeting,
    IssueBulletin,
    OpenRound,
    RecordFinding,
    RecordWorkMeeting,
)
from services.accountability.domain import bulletins, meetings, rounds, summons
from shared.contracts.accountability import (
    BulletinIssued,
    FindingRecorded,
    OverdueItem,
    RoundClosed,
    RoundOpened,
    SummonsMeetingHeld,
    UnitStanding,
    WorkMeetingHeld,
)
from shared.contracts.codes import MeetingKind
from shared.errors import InvalidCommand, NotFound, RuleViolation


def open_round(**changes: Any) -> OpenRound:
    fields: dict[str, Any] = {
        "round_id": "r-1",
        "name": "2026年第一轮联合督查",
        "member_units": ["县生态环境局", "县自然资源局", "县生态环境局"],
        "lead_unit": "县生态环境局",
        "period_from": date(2026, 3, 1),
        "period_to": date(2026, 3, 31),
    }
    return OpenRound(**{**fields, **changes})


def played(decider: Any, *commands: Any) -> Any:
    """The state after each command's events, from the initial state."""

    def step(state: Any, command: Any) -> Any:
        return reduce(decider.evolve, decider.decide(command, state), state)

    return reduce(step, commands, decider.initial)


FINDING = RecordFinding(round_id="r-1", finding_id="f-1", issue_id="issue-1", note="石料厂未覆盖")


def test_a_round_opens_with_its_members_once_each_and_its_lead() -> None:
    [event] = rounds.decide(open_round(), None)
    assert event == RoundOpened(
        round_id="r-1",
        name="2026年第一轮联合督查",
        member_units=["县生态环境局", "县自然资源局"],
        lead_unit="县生态环境局",
        period_from=date(2026, 3, 1),
        period_to=date(2026, 3, 31),
    )


def test_a_round_whose_lead_is_not_a_member_or_whose_period_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(InvalidCommand) as lead:
        rounds.decide(open_round(lead_unit="县水利局"), None)
    assert lead.value.field == "lead_unit"
    with pytest.raises(InvalidCommand) as period:
        rounds.decide(open_round(period_to=date(2026, 2, 1)), None)
    assert period.value.field == "period_to"


def test_findings_are_recorded_while_the_round_is_open_one_per_issue() -> None:
    state = played(rounds.decider, open_round(), FINDING)
    assert state.findings == (
        FindingRecorded(round_id="r-1", finding_id="f-1", issue_id="issue-1", note="石料厂未覆盖"),
    )
    with pytest.raises(RuleViolation) as again:
        rounds.decide(RecordFinding(round_id="r-1", finding_id="f-2", issue_id="issue-1", note="再次"), state)
    assert again.value.code == "finding_exists"


def test_a_closed_round_records_no_finding_and_closes_only_once() -> None:
    state = played(rounds.decider, open_round(), CloseRound(round_id="r-1", summary="发现问题1个"))
    assert state.closed == RoundClosed(round_id="r-1", summary="发现问题1个")
    for command in (FINDING, CloseRound(round_id="r-1", summary="再次")):
        with pytest.raises(RuleViolation) as closed:
            rounds.decide(command, state)
        assert closed.value.code == "round_closed"


def test_a_round_is_opened_once_and_nothing_happens_to_a_round_never_opened() -> None:
    with pytest.raises(RuleViolation) as exists:
        rounds.decide(open_round(), played(rounds.decider, open_round()))
    assert exists.value.code == "round_exists"
    with pytest.raises(NotFound):
        rounds.decide(FINDING, None)


def bulletin(**changes: Any) -> IssueBulletin:
    fields: dict[str, Any] = {
        "year": 2026,
        "title": "关于3月份生态环境问题整改情况的通报",
        "period_from": date(2026, 3, 1),
        "period_to": date(2026, 3, 31),
        "overdue": [
            OverdueItem(
                issue_id="issue-1",
                title="河道非法采砂",
                unit="城关镇人民政府",
                deadline=datetime(2026, 3, 10, 10, tzinfo=UTC),
                days_overdue=21,
            )
        ],
        "units": [UnitStanding(unit="城关镇人民政府", total=4, closed=1, overdue=1, rate_percent="25.0")],
        "text": "3月份，城关镇人民政府整改进度滞后。",
    }
    return IssueBulletin(**{**fields, **changes})


def test_bulletins_are_numbered_one_after_another_in_their_year() -> None:
    [first] = bulletins.decide(bulletin(), bulletins.decider.initial)
    assert isinstance(first, BulletinIssued) and (first.number, first.bulletin_no) == (1, "2026年第1期")
    state = played(bulletins.decider, bulletin(), bulletin())
    [third] = bulletins.decide(bulletin(), state)
    assert (third.number, third.bulletin_no) == (3, "2026年第3期")
    assert third.overdue == bulletin().overdue and third.units == bulletin().units


def test_a_bulletin_whose_period_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(InvalidCommand) as refused:
        bulletins.decide(bulletin(period_to=date(2026, 2, 1)), bulletins.decider.initial)
    assert refused.value.field == "period_to"


def test_a_summons_meeting_names_each_unit_and_case_once_and_is_recorded_once() -> None:
    command = HoldSummonsMeeting(
        meeting_id="s-1",
        held_on=date(2026, 4, 2),
        units=["城关镇人民政府", "河口镇人民政府", "城关镇人民政府"],
        case_ids=["issue-1", "issue-1", "issue-2"],
        host="县委副书记 赵明",
    )
    [event] = summons.decide(command, None)
    assert event == SummonsMeetingHeld(
        meeting_id="s-1",
        held_on=date(2026, 4, 2),
        units=["城关镇人民政府", "河口镇人民政府"],
        case_ids=["issue-1", "issue-2"],
        host="县委副书记 赵明",
    )
    with pytest.raises(RuleViolation) as again:
        summons.decide(command, summons.evolve(None, event))
    assert again.value.code == "meeting_exists"


def test_a_meeting_on_the_work_keeps_its_decisions_and_needs_one() -> None:
    command = RecordWorkMeeting(
        meeting_id="m-1",
        kind=MeetingKind.STANDING_COMMITTEE,
        held_on=date(2026, 1, 8),
        title="县委常委会研究环保督察整改工作",
        decisions=["成立六个专项整治组", "  "],
        case_ids=["issue-1"],
    )
    [event] = meetings.decide(command, None)
    assert isinstance(event, WorkMeetingHeld) and event.decisions == ["成立六个专项整治组"]
    with pytest.raises(InvalidCommand) as empty:
        meetings.decide(RecordWorkMeeting(**{**command.__dict__, "decisions": [" "]}), None)
    assert empty.value.field == "decisions"
    with pytest.raises(RuleViolation):
        meetings.decide(command, meetings.evolve(None, event))
