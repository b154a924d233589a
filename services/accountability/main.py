"""问责服务 accountability: escalation and measures"""

from pathlib import Path

from fastapi import FastAPI

from services.accountability import consumers
from services.accountability.settings import AccountabilitySettings
from shared.service import build_app, serve

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: AccountabilitySettings | None = None) -> FastAPI:
    app: FastAPI = build_app(
        settings or AccountabilitySettings(),
        title="问责服务 accountability: escalation and measures",
        routers=[],
        migrations=MIGRATIONS,
        consumers=consumers.consumers,
    )
    return app


def main() -> None:
    settings = AccountabilitySettings()
    serve(create_app(settings), settings)
