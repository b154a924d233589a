"""Projections (统计): read models built only from the topics."""

from pathlib import Path

from fastapi import FastAPI

from services.projections import api, api_cases, api_reports, dashboard, live
from services.projections.settings import ProjectionsSettings
from shared.service import build_app, serve

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: ProjectionsSettings | None = None) -> FastAPI:
    app: FastAPI = build_app(
        settings or ProjectionsSettings(),
        title="统计与报表服务 projections",
        routers=[api.router, api_cases.router, api_reports.router, api.read_models_router, dashboard.router],
        migrations=MIGRATIONS,
        # The consumer is started by the job, which follows the active generation of the read models.
        jobs=[live.follow_active_generation],
    )
    return app


def main() -> None:
    settings = ProjectionsSettings()
    serve(create_app(settings), settings)
