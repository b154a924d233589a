"""Intake (受理): the doors through which problems reach the county."""

from pathlib import Path

from fastapi import FastAPI

from services.intake import api
from services.intake.settings import IntakeSettings
from shared.service import build_app, serve

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    app: FastAPI = build_app(
        settings or IntakeSettings(), title="环境问题受理服务 intake", routers=[api.router], migrations=MIGRATIONS
    )
    return app


def main() -> None:
    settings = IntakeSettings()
    serve(create_app(settings), settings)
