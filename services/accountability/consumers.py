"""Events of other services that accountability reacts to."""

import asyncpg

from shared.consumer import ConsumerRunner
from shared.envelope import Envelope
from shared.service import Platform

# Which handler runs for which event type: the one place to look.
HANDLERS: dict[str, object] = {}


async def apply(conn: asyncpg.Connection, envelope: Envelope) -> None:
    raise NotImplementedError(f"no handler for {envelope.type}")


def consumers(platform: Platform) -> list[ConsumerRunner]:
    settings = platform.settings
    return [
        ConsumerRunner(
            settings,
            platform.pool,
            name="accountability",
            topics=[settings.topic("cases.events")],
            handler=apply,
            handles=HANDLERS.keys(),
        )
    ]
