"""What projections' routes and its job are given: built once in `main.compose`."""

from dataclasses import dataclass
from typing import Annotated

import asyncpg

from services.projections.assessment import AssessmentPolicy
from services.projections.offsets import LogEnds
from services.projections.settings import ProjectionsSettings
from services.projections.task_forces import TaskForces
from shared.eventstore import EventStore
from shared.service import dependency


@dataclass(frozen=True)
class Deps:
    """The settings, the database pool, the client that asks the broker where each partition's log ends, and the
    event store of the reads it records (ledger exports, timelines: audit.reads.projections, shared/audit/reads.py),
    and the county's task forces and assessment policy, read from their files at the start.

    Projections writes no domain events; its only events are those audit records. The consumer that fills the read
    models is the job's own (`live.py`): it changes when a rebuild switches generations, and nothing else reads it.
    """

    settings: ProjectionsSettings
    pool: asyncpg.Pool
    log_ends: LogEnds
    audit: EventStore
    task_forces: TaskForces  # 专项整治组 (task_forces.py)
    assessment: AssessmentPolicy  # 绩效考核计分办法 (assessment.py)


DepsDep = Annotated[Deps, dependency(Deps)]
