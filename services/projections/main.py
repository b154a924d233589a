"""Projections (统计): read models built only from the topics. The composition root."""

from pathlib import Path

from fastapi import FastAPI

from services.projections import live
from services.projections.api import (
    accountability,
    audit,
    cases,
    closure,
    dashboard,
    documents,
    enforcement,
    read_models,
    reports,
)
from services.projections.consumers import consumers
from services.projections.deps import Deps
from services.projections.offsets import LogEnds
from services.projections.read_tables.facts import topics
from services.projections.settings import ProjectionsSettings
from shared.audit.reads import audit_store
from shared.service import Platform, build_app, serve

MIGRATIONS = Path(__file__).parent / "migrations"


def compose(platform: Platform[ProjectionsSettings]) -> Deps:
    settings = platform.settings
    return Deps(
        settings=settings,
        pool=platform.pool,
        log_ends=LogEnds(settings.broker, topics(settings)),
        audit=audit_store(settings),
    )


def create_app(settings: ProjectionsSettings | None = None) -> FastAPI:
    return build_app(
        settings or ProjectionsSettings(),
        title="统计与报表服务 projections",
        compose=compose,
        routers=[
            closure.router,
            accountability.router,
            enforcement.router,
            cases.router,
            reports.router,
            read_models.router,
            dashboard.router,
            audit.router,
            documents.letters_router,
            documents.router,
        ],
        migrations=MIGRATIONS,
        consumers=consumers,
        # The consumer is started by the job, which follows the active generation of the read models.
        jobs=[live.follow_active_generation],
        # No event store of its own (its read models are rebuilt from the topics): no audit log to keep or prove.
        audit=False,
    )


def main() -> None:
    settings = ProjectionsSettings()
    serve(create_app(settings), settings)
