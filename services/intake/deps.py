"""What intake's routes and consumers share, built once by `main.compose`."""

from dataclasses import dataclass
from typing import Annotated

import asyncpg

from services.intake.batch_file import BatchReader
from services.intake.group_commit import GroupCommit
from services.intake.handlers import Intake
from services.intake.province_inbound import ProvinceInbound
from services.intake.province_outbound import ProvinceOutbound
from services.intake.rate_limit import PublicRateLimit
from services.intake.settings import IntakeSettings
from shared.eventstore import EventStore
from shared.service import dependency


@dataclass(frozen=True)
class Deps:
    settings: IntakeSettings
    pool: asyncpg.Pool
    store: EventStore
    # The audit events of contact reads and erasures: this database's events and outbox, topic audit.reads.intake.
    audit: EventStore
    # Receives every report, whichever door it came through.
    intake: Intake
    # The reports sent over HTTP, through `intake` in batches: one transaction for the reports that come together.
    reports: GroupCommit
    # 省级平台: its 交办 in, and the cases' progress back out.
    province_inbound: ProvinceInbound
    province_outbound: ProvinceOutbound
    public_rate_limit: PublicRateLimit
    # 交办批次文件, read off the event loop.
    batch_reader: BatchReader


DepsDep = Annotated[Deps, dependency(Deps)]
