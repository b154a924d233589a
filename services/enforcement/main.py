"""环境执法服务 enforcement: cases against polluters, penalties, detention, prosecution."""

from pathlib import Path

from fastapi import FastAPI

from services.enforcement import api, consumers, reads
from services.enforcement.settings import EnforcementSettings
from shared.service import build_app, serve

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: EnforcementSettings | None = None) -> FastAPI:
    app: FastAPI = build_app(
        settings or EnforcementSettings(),
        title="环境执法服务 enforcement",
        routers=[reads.router, api.router],
        migrations=MIGRATIONS,
        consumers=consumers.consumers,
    )
    return app


def main() -> None:
    settings = EnforcementSettings()
    serve(create_app(settings), settings)
