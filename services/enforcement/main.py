"""环境执法服务 enforcement: cases against polluters, penalties, detention, prosecution."""

from pathlib import Path

from fastapi import FastAPI

from services.enforcement import api
from services.enforcement.consumers import consumers
from services.enforcement.deps import Deps
from services.enforcement.settings import EnforcementSettings
from shared.service import Platform, build_app, serve

MIGRATIONS = Path(__file__).parent / "migrations"


def compose(platform: Platform[EnforcementSettings]) -> Deps:
    return Deps(settings=platform.settings, pool=platform.pool, store=platform.store)


def create_app(settings: EnforcementSettings | None = None) -> FastAPI:
    return build_app(
        settings or EnforcementSettings(),
        title="环境执法服务 enforcement",
        compose=compose,
        routers=[api.router],
        migrations=MIGRATIONS,
        consumers=consumers,
    )


def main() -> None:
    settings = EnforcementSettings()
    serve(create_app(settings), settings)
