"""Events of other services that accountability reacts to: a unit's failures on a case."""

from services.accountability import handlers
from services.accountability.deps import Deps
from shared.consumer import ConsumerRunner, Dispatch, On
from shared.contracts.cases import ClosureRejected, DeadlineMissed, Reopened
from shared.db import Connection
from shared.envelope import Envelope


def escalation(deps: Deps) -> Dispatch:
    """Which handler runs for which event type: the one place to look."""

    async def count_step(conn: Connection, envelope: Envelope, failure: handlers.Failure) -> None:
        await handlers.count_step(conn, deps.store, deps.policy, envelope, failure)

    return Dispatch(
        On(DeadlineMissed, count_step),
        On(ClosureRejected, count_step),
        On(Reopened, count_step),
    )


def consumers(deps: Deps) -> list[ConsumerRunner]:
    return [
        ConsumerRunner(
            deps.settings,
            deps.pool,
            name="escalation",
            topics=[deps.settings.topic("cases.events")],
            handler=escalation(deps),
            gather_ms=deps.settings.background_gather_ms,
        )
    ]
