"""Events of other services that accountability reacts to: a unit's failures on a case."""

from collections.abc import Awaitable, Callable

import asyncpg

from services.accountability import handlers
from services.accountability.policy import Policy, Trigger
from shared.consumer import ConsumerRunner
from shared.envelope import Envelope
from shared.service import Platform

Apply = Callable[[asyncpg.Connection, Envelope], Awaitable[None]]


def handlers_for(platform: Platform, policy: Policy) -> dict[str, Apply]:
    """Which handler runs for which event type: the one place to look."""

    async def count_step(conn: asyncpg.Connection, envelope: Envelope) -> None:
        await handlers.count_step(conn, platform.store, policy, envelope)

    return {trigger.value: count_step for trigger in Trigger}


def consumers(platform: Platform, policy: Policy) -> list[ConsumerRunner]:
    settings = platform.settings
    table = handlers_for(platform, policy)

    async def apply(conn: asyncpg.Connection, envelope: Envelope) -> None:
        await table[envelope.type](conn, envelope)

    return [
        ConsumerRunner(
            settings,
            platform.pool,
            name="escalation",
            topics=[settings.topic("cases.events")],
            handler=apply,
            handles=table.keys(),
        )
    ]
