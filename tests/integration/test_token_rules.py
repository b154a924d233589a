"""What a bearer token must be to pass a service (finding 13), over HTTP: audience, lifetime, clock skew.

Tokens are signed with the service's own key, so each refusal is for the rule it breaks, not for the key.
"""

from datetime import UTC, datetime, timedelta

import httpx
import jwt

from services.cases.main import create_app as cases_app
from services.cases.settings import CasesSettings
from shared.auth import Role, issue_token
from shared.settings import ServiceSettings
from tests.conftest import SettingsFactory
from tests.support.service import running


def _no_auth(request: httpx.Request) -> httpx.Request:
    return request


def crafted(settings: ServiceSettings, *, issued_ago: timedelta, lives: timedelta, audience: str) -> str:
    iat = datetime.now(UTC).replace(microsecond=0) - issued_ago
    claims = {"sub": "x", "role": "leader", "iss": settings.jwt_issuer, "aud": audience, "iat": iat, "exp": iat + lives}
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")


async def test_tokens_for_another_audience_too_long_lived_or_expired_beyond_the_leeway_get_401(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    settings = make_settings(CasesSettings)
    audience = settings.jwt_audience
    refused = {
        "token_audience_mismatch": crafted(
            settings, issued_ago=timedelta(0), lives=timedelta(hours=1), audience="another-system"
        ),
        "token_lifetime_exceeded": crafted(
            settings, issued_ago=timedelta(0), lives=timedelta(hours=24), audience=audience
        ),
        "token_expired": issue_token(settings, subject="x", role=Role.LEADER, ttl=timedelta(seconds=-45)),
    }
    passed = {
        "as make token signs": issue_token(settings, subject="x", role=Role.LEADER),
        "expired 10 s ago (clock skew)": issue_token(
            settings, subject="x", role=Role.LEADER, ttl=timedelta(seconds=-10)
        ),
        "12 h exactly": crafted(settings, issued_ago=timedelta(hours=1), lives=timedelta(hours=12), audience=audience),
    }
    async with running(cases_app(settings)) as client:
        for code, token in refused.items():
            answer = await client.get("/v1/cases", headers={"Authorization": f"Bearer {token}"}, auth=_no_auth)
            assert answer.status_code == 401, (code, answer.text)
            assert answer.headers["WWW-Authenticate"] == "Bearer"
            assert answer.json()["error"]["code"] == code
            assert answer.json()["error"]["message"]
        for why, token in passed.items():
            answer = await client.get("/v1/cases", headers={"Authorization": f"Bearer {token}"}, auth=_no_auth)
            assert answer.status_code == 200, (why, answer.text)
