"""The demo's closure procedure on the five services: under demo/closure_policy.toml (the shipped steps, a 公示期 of
seconds) every closed problem of the short year goes through 公示, 审签 and, for inspection problems, the province's
复核 (the demo answering on province.inbound), one objection on the public page sends a case back to be verified
again, one rejected review has it rectified again, and only 销号 counts as closed."""

import dataclasses
from datetime import timedelta
from pathlib import Path

import httpx
from aiokafka import AIOKafkaProducer

from demo.client import County, Urls
from demo.main import caught_up
from demo.plan import Fate, Year, plan_year
from demo.play import Pace, Player
from demo.private_stack import DEMO_CLOSURE_POLICY
from demo.province import Province
from services.accountability.settings import AccountabilitySettings
from services.cases.settings import CasesSettings
from services.enforcement.settings import EnforcementSettings
from services.intake.settings import IntakeSettings
from services.projections.settings import ProjectionsSettings
from shared.auth import Role
from shared.contracts.codes import Source
from tests.conftest import SettingsFactory
from tests.support.issuer import Bearer, issue_token, people
from tests.support.service import free_port, service_processes

# Problem numbers the plan marks: 7 draws an objection (number % 25 == 7), 3 and 11 a rejected review (number % 8 == 3).
CENTRAL = {3: Source.CENTRAL_INSPECTION, 7: Source.HOTLINE_12369, 11: Source.HOTLINE_12369, 12: Source.MAILBOX}


def short_year() -> Year:
    year = plan_year(seed=5, problems=len(CENTRAL), run="E2ED", enforcement_cases=0)
    problems = tuple(
        dataclasses.replace(
            p, number=n, source=source, batch="第二轮中央环保督察" if n == 3 else None, fate=Fate.CLOSED
        )
        for p, (n, source) in zip(year.problems, CENTRAL.items(), strict=True)
    )
    return dataclasses.replace(year, problems=tuple(dataclasses.replace(p, month=0) for p in problems), measures=())


async def test_the_demo_plays_every_step_of_the_closure_procedure_to_closure(
    make_settings: SettingsFactory, topics: list[str], tmp_path: Path
) -> None:
    policy = tmp_path / "closure.toml"
    # the demo's policy, its 公示期 shorter still: the test's months are 0.2 s
    policy.write_text(DEMO_CLOSURE_POLICY.read_text(encoding="utf-8").replace('"PT15S"', '"PT2S"'), encoding="utf-8")
    cases_settings = make_settings(CasesSettings, port=free_port(), closure_policy=policy, deadline_poll_seconds=0.2)
    services = (
        ("services.intake", make_settings(IntakeSettings, port=free_port())),
        ("services.cases", cases_settings),
        ("services.enforcement", make_settings(EnforcementSettings, port=free_port())),
        ("services.accountability", make_settings(AccountabilitySettings, port=free_port())),
        ("services.projections", make_settings(ProjectionsSettings, port=free_port())),
    )
    viewer = issue_token(subject="e2e-viewer", role=Role.VIEWER, ttl=timedelta(hours=1))
    producer = AIOKafkaProducer(**cases_settings.broker.client_options(), acks="all")
    await producer.start()
    try:
        async with (
            service_processes(*services) as (i, c, e, a, p),
            httpx.AsyncClient(timeout=15, headers={"Authorization": f"Bearer {viewer}"}) as client,
        ):
            urls = Urls(i.url, c.url, e.url, a.url, p.url)
            year = short_year()
            province = Province(producer, f"{cases_settings.topic_prefix}province.inbound")
            pace = Pace(month_seconds=0.2, deadline_seconds=3.0, wait_seconds=30.0)
            player = Player(County(urls, people, client, concurrency=8), year, pace, province)
            await player.play()
            t = player.tally
            assert (t.closed, t.filed, t.in_notice, t.in_review) == (4, 4, 0, 0)
            # the objection (problem 7), the central inspection problem's two reviews, the first rejected (3)
            assert (t.objections, t.reviewed, t.review_rejected) == (1, 2, 1)
            totals = await caught_up(client, urls, Bearer(viewer), len(CENTRAL), timeout=60)
            assert (totals["total"], totals["closed"]) == (4, 4)

            histories: dict[int, list[str]] = {}
            for number, issue in player.ids.items():
                answer = await client.get(f"{c.url}/v1/cases/{issue}/history")
                assert answer.status_code == 200, answer.text
                histories[number] = [entry["type"] for entry in answer.json()["events"]]
            for types in histories.values():
                assert types.count("Closed") == 1 and types[-1] == "ClosureFiled", types
                assert "NoticeStarted" in types and "NoticeCompleted" in types and "SignedOff" in types
            # problem 7's objection is upheld (异议成立): verification fails, the unit rectifies, a new 公示
            assert "ObjectionReceived" in histories[7] and histories[7].count("NoticeStarted") == 2
            assert "ClosureRejected" in histories[7] and t.rejected == 1
            assert "ReviewRejected" in histories[3] and "ReviewPassed" in histories[3]
            assert "ReviewRequested" not in histories[12]  # a mailbox problem takes 公示 and 审签 only
    finally:
        await producer.stop()
