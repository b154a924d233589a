"""整改案件服务 cases: the closed loop 交办 → 督办 → 反馈 → 销号, with durable deadlines."""

from pathlib import Path

from fastapi import FastAPI

from services.cases import consumers, deadlines, openings
from services.cases.api import calendar, cases, evidence
from services.cases.closure_policy import load_policy
from services.cases.deps import Deps
from services.cases.settings import CasesSettings
from shared.service import Platform, build_app, serve

MIGRATIONS = Path(__file__).parent / "migrations"


def compose(platform: Platform[CasesSettings]) -> Deps:
    """Reads the closure policy at start, so that a broken policy file stops the service, not the first 验收."""
    return Deps(
        settings=platform.settings,
        pool=platform.pool,
        store=platform.store,
        openings=openings.Openings(),
        closure_policy=load_policy(platform.settings.closure_policy),
    )


def create_app(settings: CasesSettings | None = None) -> FastAPI:
    settings = settings or CasesSettings()
    return build_app(
        settings,
        title="整改案件服务 cases: the closed loop 交办 → 督办 → 反馈 → 销号",
        compose=compose,
        routers=[cases.router, evidence.router, calendar.router],
        body_limits=evidence.body_limits(settings.evidence_max_bytes),
        migrations=MIGRATIONS,
        consumers=consumers.consumers,
        jobs=[deadlines.poll_deadlines, openings.listen],
    )


def main() -> None:
    settings = CasesSettings()
    serve(create_app(settings), settings)
