"""What accountability's routes and consumers share: one object, built once by `main.compose`."""

from dataclasses import dataclass
from typing import Annotated

import asyncpg

from services.accountability.policy import Policy
from services.accountability.settings import AccountabilitySettings
from shared.eventstore import EventStore
from shared.service import dependency


@dataclass(frozen=True)
class Deps:
    settings: AccountabilitySettings
    pool: asyncpg.Pool
    store: EventStore
    policy: Policy  # the escalation policy in force, read once at start


DepsDep = Annotated[Deps, dependency(Deps)]
