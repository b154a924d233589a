"""问责服务 accountability: the escalation ladder on a unit's failures, and measures against units and officials."""

from functools import partial
from pathlib import Path

from fastapi import FastAPI

from services.accountability import api, consumers
from services.accountability.policy import load_policy
from services.accountability.settings import AccountabilitySettings
from shared.service import build_app, serve

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: AccountabilitySettings | None = None) -> FastAPI:
    settings = settings or AccountabilitySettings()
    # Read at start so that a broken policy file stops the service instead of the first escalation.
    policy = load_policy(settings.accountability_policy)

    app: FastAPI = build_app(
        settings,
        title="问责服务 accountability",
        routers=[api.measures_router, api.units_router, api.policy_router],
        migrations=MIGRATIONS,
        consumers=partial(consumers.consumers, policy=policy),
    )
    app.state.policy = policy
    return app


def main() -> None:
    settings = AccountabilitySettings()
    serve(create_app(settings), settings)
