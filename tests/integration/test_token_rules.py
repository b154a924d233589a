"""What a bearer token must be to pass a service (finding 13; issue 13), over HTTP: issuer, audience, algorithm,
signing key, lifetime, clock skew, the one role.

Tokens are signed by the tests' issuer (tests/support/issuer.py) as Keycloak signs them, each breaking one rule, so
each refusal is for the rule it breaks.
"""

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt

from services.cases.main import create_app as cases_app
from services.cases.settings import CasesSettings
from tests.conftest import SettingsFactory
from tests.support.issuer import new_key, session_issuer
from tests.support.service import serving


def _no_auth(request: httpx.Request) -> httpx.Request:
    return request


def leader(**overrides: Any) -> dict[str, Any]:
    return session_issuer().claims(username="县领导 李", roles=["leader"], **overrides)


def unsigned(claims: dict[str, Any]) -> str:
    """`alg: none`: a token anyone can make."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    body = {**claims, "iat": int(claims["iat"].timestamp()), "exp": int(claims["exp"].timestamp())}
    return f"{part({'alg': 'none', 'typ': 'JWT', 'kid': session_issuer().kid})}.{part(body)}."


async def answers(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get("/v1/cases", headers={"Authorization": f"Bearer {token}"}, auth=_no_auth)


async def test_tokens_breaking_a_rule_get_401_with_its_code_and_good_ones_pass(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    issuer = session_issuer()
    an_hour_ago = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    refused = {
        "another realm (issuer)": ("token_invalid", issuer.sign(leader(issuer="http://127.0.0.1:8180/realms/other"))),
        "another audience": ("token_audience_mismatch", issuer.sign(leader(audience="another-system"))),
        "lives 24 h": ("token_lifetime_exceeded", issuer.sign(leader(ttl=timedelta(hours=24)))),
        "expired 45 s ago": (
            "token_expired",
            issuer.sign(leader(issued=an_hour_ago, ttl=timedelta(minutes=59, seconds=15))),
        ),
        "issued in a minute": ("token_not_yet_valid", issuer.sign(leader(issued=an_hour_ago + timedelta(minutes=61)))),
        "HS256 with a guessed key": (
            "token_invalid",
            jwt.encode(leader(), "county-env-secret-county-env-secret", algorithm="HS256", headers={"kid": issuer.kid}),
        ),
        "alg none": ("token_invalid", unsigned(leader())),
        "RS256 by another key under the issuer's key id": ("token_invalid", issuer.sign(leader(), key=new_key())),
        "no user name": (
            "token_invalid",
            issuer.sign({k: v for k, v in leader().items() if k != "preferred_username"}),
        ),
        "a unit without its unit": ("token_invalid", issuer.sign(issuer.claims(username="u", roles=["unit"]))),
    }
    passed = {
        "as Keycloak signs": issuer.sign(leader()),
        "expired 10 s ago (clock skew)": issuer.sign(leader(issued=an_hour_ago, ttl=timedelta(minutes=59, seconds=50))),
        "12 h exactly": issuer.sign(leader(issued=an_hour_ago, ttl=timedelta(hours=12))),
    }
    async with serving(cases_app(make_settings(CasesSettings))) as (client, _):
        for why, (code, token) in refused.items():
            answer = await answers(client, token)
            assert answer.status_code == 401, (why, answer.text)
            assert answer.headers["WWW-Authenticate"] == "Bearer"
            assert answer.json()["error"]["code"] == code, why
            assert answer.json()["error"]["message"]
        for why, token in passed.items():
            answer = await answers(client, token)
            assert answer.status_code == 200, (why, answer.text)


async def test_no_role_of_ours_or_two_of_them_get_403_in_chinese(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    issuer = session_issuer()
    async with serving(cases_app(make_settings(CasesSettings))) as (client, _):
        none = await answers(client, issuer.sign(issuer.claims(username="新人", roles=["uma_authorization"])))
        assert none.status_code == 403, none.text
        assert "未被授予本系统的任何角色" in none.json()["error"]["message"]
        two = await answers(client, issuer.sign(issuer.claims(username="兼职", roles=["leader", "operator"])))
        assert two.status_code == 403, two.text
        assert "多个角色（受理员、县领导）" in two.json()["error"]["message"]


async def test_an_unknown_key_id_fetches_the_keys_again_then_gets_401(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    issuer = session_issuer()
    settings = make_settings(CasesSettings, jwks_min_refresh_seconds=0)
    async with serving(cases_app(settings)) as (client, state):
        assert (await answers(client, issuer.sign(leader()))).status_code == 200
        assert state["keys"].fetches == 1
        forged = await answers(client, issuer.sign(leader(), key=new_key(), kid="rotated-key"))
        assert forged.status_code == 401 and forged.json()["error"]["code"] == "token_invalid"
        assert state["keys"].fetches == 2, "the unknown key id made the service ask the issuer once more"


async def test_a_flood_of_made_up_key_ids_reaches_the_issuer_at_most_once_per_interval(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    issuer = session_issuer()
    settings = make_settings(CasesSettings, jwks_min_refresh_seconds=60)
    async with serving(cases_app(settings)) as (client, state):
        assert (await answers(client, issuer.sign(leader()))).status_code == 200
        for n in range(50):
            forged = await answers(client, issuer.sign(leader(), key=new_key() if n == 0 else None, kid=f"forged-{n}"))
            assert forged.status_code == 401
        assert state["keys"].fetches == 1
        assert (await answers(client, issuer.sign(leader()))).status_code == 200, "the real key still works"
