"""Intake (受理): the doors through which problems reach the county."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware import Middleware

from services.intake.api import attachments, batches, form, objections, reports, staff
from services.intake.api.fast_path import ReportFastPath
from services.intake.batch_file import BatchReader
from services.intake.case_units import backfill_case_units
from services.intake.consumers import consumers
from services.intake.contact_reads import move_contact_reads
from services.intake.deps import Deps
from services.intake.group_commit import GroupCommit
from services.intake.handlers import Intake
from services.intake.limits import body_limits, default_body_limit
from services.intake.province_inbound import ProvinceInbound
from services.intake.province_outbound import ProvinceOutbound
from services.intake.rate_limit import PublicRateLimit
from services.intake.settings import IntakeSettings
from shared.audit.reads import audit_store
from shared.eventstore import EventStore
from shared.service import Platform, build_app, serve

HERE = Path(__file__).parent
MIGRATIONS = HERE / "migrations"


def compose(platform: Platform[IntakeSettings]) -> Deps:
    """The composition root: what the routes and the consumers share."""
    settings = platform.settings
    intake = Intake.from_settings(settings, platform.store)
    outbound = ProvinceOutbound(EventStore(topic=settings.topic("province.outbound"), slots=settings.outbox_slots))
    return Deps(
        settings=settings,
        pool=platform.pool,
        store=platform.store,
        audit=audit_store(settings),
        intake=intake,
        reports=GroupCommit(
            platform.pool, intake, max_batch=settings.report_batch_max, writers=settings.report_writers
        ),
        province_inbound=ProvinceInbound(intake, outbound),
        province_outbound=outbound,
        public_rate_limit=PublicRateLimit(platform.pool, settings.public_rate_limit, settings.trusted_proxies),
        batch_reader=BatchReader(
            max_rows=settings.max_batch_rows,
            max_unpacked_bytes=settings.max_batch_unpacked_bytes,
            seconds=settings.batch_read_seconds,
        ),
    )


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    settings = settings or IntakeSettings()
    app = build_app(
        settings,
        title="环境问题受理服务 intake",
        compose=compose,
        routers=[reports.router, attachments.router, staff.router, batches.router, form.router, objections.router],
        migrations=MIGRATIONS,
        consumers=consumers,
        jobs=[backfill_case_units, move_contact_reads],
        body_limit=default_body_limit(settings),
        body_limits=body_limits(settings),
        # Official reports without FastAPI's request machinery; everything else through it (issue 14).
        inner=[Middleware(ReportFastPath, limit=body_limits(settings).get(reports.PATH, default_body_limit(settings)))],
    )
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    return app


def main() -> None:
    settings = IntakeSettings()
    serve(create_app(settings), settings)
