"""Events intake reacts to: the province's 交办 in, and the cases' progress (for duplicates and the province)."""

from collections.abc import Awaitable, Callable

import asyncpg

from services.intake.province_inbound import ProvinceInbound, decode_inbound
from services.intake.province_outbound import CASE_EVENT_TYPES, ProvinceOutbound
from shared.consumer import ConsumerRunner
from shared.contracts.province import ProvinceAssignment
from shared.envelope import Envelope
from shared.service import Platform

Handler = Callable[[asyncpg.Connection, Envelope], Awaitable[None]]


def handlers(inbound: ProvinceInbound, outbound: ProvinceOutbound) -> dict[str, Handler]:
    """Which handler runs for which event type: the one place to look."""
    return {
        ProvinceAssignment.event_type(): inbound.on_assignment,
        **{event_type: outbound.on_case_event for event_type in CASE_EVENT_TYPES},
    }


def consumers(platform: Platform, inbound: ProvinceInbound, outbound: ProvinceOutbound) -> list[ConsumerRunner]:
    settings = platform.settings
    table = handlers(inbound, outbound)

    async def apply(conn: asyncpg.Connection, envelope: Envelope) -> None:
        await table[envelope.type](conn, envelope)

    return [
        # The province's records are its own CloudEvents, read by decode_inbound; poison goes to the DLQ.
        ConsumerRunner(
            settings,
            platform.pool,
            name="province-inbound",
            topics=[settings.topic("province.inbound")],
            handler=apply,
            handles=[ProvinceAssignment.event_type()],
            decode=decode_inbound,
        ),
        ConsumerRunner(
            settings,
            platform.pool,
            name="case-progress",
            topics=[settings.topic("cases.events")],
            handler=apply,
            handles=CASE_EVENT_TYPES,
        ),
    ]
