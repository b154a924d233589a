"""What cases' routes, consumers and deadline poller run on: one object, built once by `main.compose`."""

from dataclasses import dataclass
from typing import Annotated

import asyncpg

from services.cases.closure_policy import ClosurePolicy
from services.cases.openings import Openings
from services.cases.settings import CasesSettings
from shared.eventstore import EventStore
from shared.service import dependency


@dataclass(frozen=True)
class Deps:
    settings: CasesSettings
    pool: asyncpg.Pool
    store: EventStore
    openings: Openings
    closure_policy: ClosurePolicy  # 销号工作规程, read once at start


DepsDep = Annotated[Deps, dependency(Deps)]
