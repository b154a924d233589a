"""What enforcement's routes, handlers and consumers run on: one object, built by main.compose."""

from dataclasses import dataclass
from typing import Annotated

import asyncpg

from services.enforcement.settings import EnforcementSettings
from shared.eventstore import EventStore
from shared.service import dependency


@dataclass(frozen=True)
class Deps:
    settings: EnforcementSettings
    pool: asyncpg.Pool
    store: EventStore


DepsDep = Annotated[Deps, dependency(Deps)]
