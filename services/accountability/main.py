"""问责服务 accountability: the escalation ladder on a unit's failures, and measures against units and officials."""

from pathlib import Path

from fastapi import FastAPI

from services.accountability import consumers
from services.accountability.api import bulletins, measures, meetings, policy, rounds, summons_meetings, units
from services.accountability.deps import Deps
from services.accountability.policy import load_policy
from services.accountability.settings import AccountabilitySettings
from shared.service import Platform, build_app, serve

MIGRATIONS = Path(__file__).parent / "migrations"


def compose(platform: Platform[AccountabilitySettings]) -> Deps:
    """Reads the policy at start, so that a broken policy file stops the service instead of the first escalation."""
    return Deps(
        settings=platform.settings,
        pool=platform.pool,
        store=platform.store,
        policy=load_policy(platform.settings.accountability_policy),
    )


def create_app(settings: AccountabilitySettings | None = None) -> FastAPI:
    return build_app(
        settings or AccountabilitySettings(),
        title="问责服务 accountability",
        compose=compose,
        routers=[
            measures.router,
            units.router,
            policy.router,
            rounds.router,
            bulletins.router,
            summons_meetings.router,
            meetings.router,
        ],
        migrations=MIGRATIONS,
        consumers=consumers.consumers,
    )


def main() -> None:
    settings = AccountabilitySettings()
    serve(create_app(settings), settings)
