"""Scaling out and in under load, with real processes: every accepted report is one event and one case, once.

Instances of intake and cases are started and stopped as infra/services.sh does it (a new one takes requests once
it answers /readyz; one leaving takes no new request, then gets SIGTERM and finishes those it holds), while reports
keep coming. The consumers of a group share the topic's partitions and the relays share the outbox slots.
"""

import asyncio
import contextlib
import itertools
import signal
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment

from services.cases.settings import CasesSettings
from services.intake.settings import IntakeSettings
from shared.broker import Broker
from shared.settings import ServiceSettings
from shared.topics import ensure_topics
from tests.conftest import SettingsFactory
from tests.support.kafka import wait_for_events
from tests.support.service import ServiceProcess, free_port, staff_client
from tests.support.stack import Infrastructure

SLOT_LOCKS = 7_301_002  # shared/relay.py's namespace of the outbox slots' advisory locks


def report(n: int) -> dict[str, Any]:
    return {
        "source": "central_inspection",
        "title": f"河道非法采砂（第 {n} 件）",
        "description": "群众反映问题，需现场核实",
        "township": "城关镇",
        "domain": "quarrying_sand",
        "location": {"address": f"城关镇河西村 {n} 号"},
        "batch": "第二轮中央环保督察",
    }


class Service:
    """A service's instances and the ones the balancer sends requests to."""

    def __init__(self, module: str, settings: ServiceSettings) -> None:
        self.module = module
        self.settings = settings
        self.instances: list[ServiceProcess] = []
        self.balanced: list[ServiceProcess] = []

    async def scale_up(self, n: int) -> None:
        new = [ServiceProcess(self.module, self.settings.model_copy(update={"port": free_port()})) for _ in range(n)]
        for proc in new:
            proc.start()
        self.instances += new
        await asyncio.gather(*(proc.wait_ready() for proc in new))
        self.balanced += new

    async def scale_down(self, n: int) -> None:
        leaving = self.balanced[-n:]
        self.balanced = self.balanced[:-n]
        await asyncio.gather(*(asyncio.to_thread(proc.stop) for proc in leaving))
        for proc in leaving:
            # uvicorn shuts down gracefully, then raises the signal it got again: -SIGTERM, not SIGKILL's -9
            assert proc.process is not None and proc.process.returncode == -signal.SIGTERM, f"{proc.url} was killed"

    def stop(self) -> None:
        for proc in self.instances:
            proc.stop()


@contextlib.asynccontextmanager
async def services(*pairs: tuple[str, ServiceSettings]) -> AsyncIterator[list[Service]]:
    made = [Service(module, settings) for module, settings in pairs]
    try:
        yield made
    finally:
        for service in made:
            service.stop()


async def group_assignment(broker: Broker, group: str) -> list[set[tuple[str, int]]]:
    """The partitions each member of the group holds now."""
    admin = AIOKafkaAdminClient(**broker.client_options())
    await admin.start()
    try:
        [described] = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    held = []
    for member in described.groups[0][5]:
        assignment = ConsumerProtocolMemberAssignment.decode(member[4]).assignment if member[4] else []
        held.append({(topic, p) for topic, partitions in assignment for p in partitions})
    return held


async def slot_owners(settings: ServiceSettings) -> dict[int, int]:
    """Outbox slot → the backend pid of the relay connection that holds its lock."""
    conn = await asyncpg.connect(settings.database_dsn)
    try:
        rows = await conn.fetch(
            """select objid::int as slot, pid from pg_locks
                where locktype = 'advisory' and granted and classid = $1::bigint::oid
                  and database = (select oid from pg_database where datname = current_database())""",
            SLOT_LOCKS,
        )
    finally:
        await conn.close()
    return {r["slot"]: r["pid"] for r in rows}


async def until(check: Any, what: str, timeout: float = 20.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        got = await check()
        if got:
            return got
        assert asyncio.get_running_loop().time() < deadline, f"not in time: {what}"
        await asyncio.sleep(0.3)


async def consumers_share(broker: Broker, group: str, partitions: int, members: int) -> bool:
    """The group has `members` consumers, each holds some partitions of its topic, and together all of them."""
    held = await group_assignment(broker, group)
    everyone = [p for h in held for p in h]
    return len(held) == members and all(held) and len(everyone) == len(set(everyone)) == partitions


async def relays_share(settings: ServiceSettings, members: int) -> bool:
    """Every outbox slot is held by one relay, and each of `members` relays holds some."""
    owners = await slot_owners(settings)
    return sorted(owners) == list(range(settings.outbox_slots)) and len(set(owners.values())) == members


async def test_scaling_intake_and_cases_up_and_down_under_load_loses_and_doubles_nothing(
    make_settings: SettingsFactory, infrastructure: Infrastructure
) -> None:
    # the stack's default number of partitions, where the other tests make theirs with 3 (tests/conftest.py)
    stack_default = ServiceSettings.model_fields["topic_partitions"].default
    intake_settings = make_settings(IntakeSettings, topic_partitions=stack_default)
    cases_settings = make_settings(CasesSettings, topic_partitions=stack_default)
    assert stack_default == 12
    await ensure_topics(intake_settings)
    cases_group = f"{cases_settings.topic_prefix}cases.cases"  # cases' consumer of intake.events
    broker, partitions = infrastructure.broker, cases_settings.topic_partitions
    accepted: list[str] = []
    failures: list[str] = []
    sending = True

    async def send(client: httpx.AsyncClient, intake: Service, numbers: Any) -> None:
        # What a balancer does: the next request goes to the next instance it sends to.
        for n, i in zip(numbers, itertools.count(), strict=False):
            if not sending:
                return
            target = intake.balanced[i % len(intake.balanced)]
            try:
                answer = await client.post(f"{target.url}/v1/reports", json=report(n))
            except httpx.HTTPError as exc:
                failures.append(f"{target.url}: {exc!r}")
                continue
            if answer.status_code == 202:
                accepted.append(answer.json()["issue_id"])
            else:
                failures.append(f"{target.url}: {answer.status_code} {answer.text}")

    pairs = (("services.intake", intake_settings), ("services.cases", cases_settings))
    async with services(*pairs) as (intake, cases), staff_client(timeout=30) as client:
        await asyncio.gather(intake.scale_up(2), cases.scale_up(2))
        numbers = itertools.count()
        senders = [asyncio.create_task(send(client, intake, numbers)) for _ in range(4)]
        try:
            await until(lambda: relays_share(intake.settings, 2), "intake's two relays share the slots")
            await until(lambda: consumers_share(broker, cases_group, partitions, 2), "two cases consumers share")
            await asyncio.gather(intake.scale_up(1), cases.scale_up(1))
            await until(lambda: relays_share(intake.settings, 3), "three intake relays share the slots")
            await until(lambda: relays_share(cases.settings, 3), "three cases relays share the slots")
            await until(lambda: consumers_share(broker, cases_group, partitions, 3), "three cases consumers share")
            during_three = len(accepted)
            await asyncio.gather(intake.scale_down(2), cases.scale_down(2))
            await until(lambda: relays_share(intake.settings, 1), "the one intake relay holds every slot")
            await until(lambda: consumers_share(broker, cases_group, partitions, 1), "one cases consumer has all")
            await asyncio.sleep(1)
        finally:
            sending = False
            await asyncio.gather(*senders)

        assert not failures, failures[:5]
        assert during_three > 0 and len(accepted) > during_three, "reports were accepted while scaling"
        reported = await wait_for_events(infrastructure.broker, intake_settings.own_topic, len(accepted), timeout=30)
        opened = await wait_for_events(infrastructure.broker, cases_settings.own_topic, len(accepted), timeout=30)
    issues = Counter(e.stream_id for e in reported if e.type == "IssueReported")
    cases_opened = Counter(e.stream_id for e in opened if e.type == "CaseOpened")
    assert set(issues) == set(accepted) and set(issues.values()) == {1}, "each accepted report one event, once"
    assert set(cases_opened) == set(accepted) and set(cases_opened.values()) == {1}, "and one case, once"
