"""Projections (统计): read models built only from the topics. The composition root."""

from pathlib import Path

from fastapi import FastAPI

from services.projections import live
from services.projections.api import (
    accountability,
    assessment,
    audit,
    cases,
    closure,
    dashboard,
    enforcement,
    read_models,
    reports,
    task_forces,
)
from services.projections.assessment import load_assessment_policy
from services.projections.consumers import consumers
from services.projections.deps import Deps
from services.projections.offsets import LogEnds
from services.projections.read_tables.facts import topics
from services.projections.settings import ProjectionsSettings
from services.projections.task_forces import load_task_forces
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
        # a file that cannot be used stops the start here, naming the file and the key
        task_forces=load_task_forces(settings.task_forces_file),
        assessment=load_assessment_policy(settings.assessment_policy),
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
            task_forces.router,
            assessment.router,
        ],
        migrations=MIGRATIONS,
        consumers=consumers,
        # The consumer is started by the job, which follows the active generation of the read models.
        jobs=[live.follow_active_generation],
    )


def main() -> None:
    settings = ProjectionsSettings()
    serve(create_app(settings), settings)
