"""What projections' routes and its job are given: built once in `main.compose`."""

from dataclasses import dataclass
from typing import Annotated

import asyncpg

from services.projections.offsets import LogEnds
from services.projections.settings import ProjectionsSettings
from shared.eventstore import EventStore
from shared.service import dependency


@dataclass(frozen=True)
class Deps:
    """The settings, the database pool, the client that asks the broker where each partition's log ends, and the
    event store of the reads it records (ledger exports, timelines: audit.reads.projections, shared/audit/reads.py).

    Projections writes no domain events; its only events are those audit records. The consumer that fills the read
    models is the job's own (`live.py`): it changes when a rebuild switches generations, and nothing else reads it.
    """

    settings: ProjectionsSettings
    pool: asyncpg.Pool
    log_ends: LogEnds
    audit: EventStore


DepsDep = Annotated[Deps, dependency(Deps)]
