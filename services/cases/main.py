"""整改案件服务 cases: the closed loop 交办 → 督办 → 反馈 → 销号, with durable deadlines."""

from pathlib import Path

from fastapi import FastAPI

from services.cases import api, consumers, deadlines
from services.cases.settings import CasesSettings
from shared.service import build_app, serve

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: CasesSettings | None = None) -> FastAPI:
    app: FastAPI = build_app(
        settings or CasesSettings(),
        title="整改案件服务 cases: the closed loop 交办 → 督办 → 反馈 → 销号",
        routers=[api.router],
        migrations=MIGRATIONS,
        consumers=consumers.consumers,
        jobs=[deadlines.poll_deadlines],
    )
    return app


def main() -> None:
    settings = CasesSettings()
    serve(create_app(settings), settings)
