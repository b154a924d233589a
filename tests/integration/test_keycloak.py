"""The identity provider as `make up` runs it: the realm imported from the repository, development users signing
in by password through the dev client, the workbench client's browser-only flow, lockout and password policy.

A real Keycloak (tests/support/keycloak.py, its own port and database)."""

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from services.cases.main import create_app as cases_app
from services.cases.settings import CasesSettings
from shared import identity, signin
from shared.auth import Principal, Role, verify_token
from shared.settings import ServiceSettings
from shared.signin import SignInSettings
from tests.conftest import SettingsFactory
from tests.support.issuer import issue_token
from tests.support.keycloak import PORT, Keycloak
from tests.support.service import serving

ROOT = Path(__file__).resolve().parents[2]
BUILT_IN_ROLES = {"default-roles-county", "offline_access", "uma_authorization"}

# The sign-in page's first render (its templates compiled) took over httpx's default 5 s beside another test worker.
PAGE_TIMEOUT = 30.0


@pytest.fixture
def admin(keycloak: Keycloak) -> Iterator[httpx.Client]:
    """Signed in afresh for each test: the admin's token lives a minute, which this module outlasts on a busy machine
    (a module-wide client got 401s in its last tests under two test workers)."""
    with identity.admin_client(keycloak.url, keycloak.admin_password) as client:
        yield client


@pytest.fixture(scope="module")
def dev_passwords(dev_sign_in: SignInSettings) -> dict[str, str]:
    """What `make up` runs, against the tests' Keycloak (the `dev_sign_in` fixture); the passwords it kept."""
    return identity.read_passwords(dev_sign_in.dev_users_file)


def _no_auth(request: httpx.Request) -> httpx.Request:
    return request


def verified(keycloak: Keycloak, token: str, *, audience: str) -> dict[str, Any]:
    """The token's claims, its RS256 signature checked against the realm's published keys (JWKS)."""
    keys = jwt.PyJWKClient(f"{keycloak.issuer}/protocol/openid-connect/certs")
    claims: dict[str, Any] = jwt.decode(
        token,
        keys.get_signing_key_from_jwt(token).key,
        algorithms=["RS256"],
        issuer=keycloak.issuer,
        audience=audience,
        options={"require": ["exp", "iat", "iss", "aud", "sub"]},
    )
    return claims


def test_the_realm_holds_the_eight_roles_with_chinese_descriptions(admin: httpx.Client) -> None:
    roles = admin.get("/county/roles").raise_for_status().json()
    assert {role["name"] for role in roles} - BUILT_IN_ROLES == {role.value for role in Role}
    for role in roles:
        if role["name"] not in BUILT_IN_ROLES:
            assert any("\u4e00" <= ch <= "\u9fff" for ch in role["description"]), role


def test_a_development_user_signs_in_by_password_and_the_token_names_issuer_audience_role_and_unit(
    keycloak: Keycloak, dev_passwords: dict[str, str]
) -> None:
    token = identity.password_grant(keycloak.url, "dev-unit-1", dev_passwords["dev-unit-1"])
    assert jwt.get_unverified_header(token["access_token"])["alg"] == "RS256"
    claims = verified(keycloak, token["access_token"], audience=ServiceSettings.model_fields["jwt_audience"].default)
    assert claims["iss"] == f"http://127.0.0.1:{PORT}/realms/county"
    assert "unit" in claims["realm_access"]["roles"]
    assert claims["unit"] == "城关镇人民政府"
    assert claims["exp"] - claims["iat"] == 300, "access tokens live 5 minutes"
    assert verified(keycloak, token["id_token"], audience="dev-cli")["unit"] == "城关镇人民政府"
    # A person without a unit has no unit claim.
    office = identity.password_grant(keycloak.url, "dev-inspection-office", dev_passwords["dev-inspection-office"])
    office_claims = verified(keycloak, office["access_token"], audience="county-env")
    assert "inspection_office" in office_claims["realm_access"]["roles"]
    assert "unit" not in office_claims


def test_every_role_has_a_development_user_and_a_second_run_keeps_their_passwords(
    keycloak: Keycloak, dev_passwords: dict[str, str], tmp_path: Path
) -> None:
    assert set(dev_passwords) == {user.username for user in identity.dev_users()}
    kept = tmp_path / "dev-users.env"
    identity.write_passwords(kept, dev_passwords)
    again = identity.ensure_dev_users(keycloak.url, keycloak.admin_password, kept, identity.dev_users())
    assert again == dev_passwords


def test_the_workbench_client_refuses_password_sign_in_and_requires_pkce(
    keycloak: Keycloak, dev_passwords: dict[str, str]
) -> None:
    with pytest.raises(httpx.HTTPStatusError) as refused:
        identity.password_grant(keycloak.url, "dev-viewer", dev_passwords["dev-viewer"], client_id="workbench")
    assert refused.value.response.json()["error"] == "unauthorized_client"
    authorize = f"{keycloak.issuer}/protocol/openid-connect/auth"
    query = {
        "client_id": "workbench",
        "response_type": "code",
        "scope": "openid",
        "redirect_uri": "http://127.0.0.1:8000/callback",
    }
    without_pkce = httpx.get(authorize, params=query, timeout=PAGE_TIMEOUT)
    assert without_pkce.status_code == 302
    assert "error=invalid_request" in without_pkce.headers["Location"]
    assert "code_challenge" in without_pkce.headers["Location"]
    plain = httpx.get(
        authorize,
        params=query | {"code_challenge": "x" * 43, "code_challenge_method": "plain"},
        timeout=PAGE_TIMEOUT,
    )
    assert "error=invalid_request" in plain.headers["Location"]
    s256 = httpx.get(
        authorize,
        params=query | {"code_challenge": "x" * 43, "code_challenge_method": "S256"},
        timeout=PAGE_TIMEOUT,
    )
    assert s256.status_code == 200, "the sign-in page"
    assert 'lang="zh-CN"' in s256.text, "in Chinese by default"


def test_six_wrong_passwords_lock_the_user_and_then_the_right_one_is_refused(
    keycloak: Keycloak, admin: httpx.Client, dev_passwords: dict[str, str]
) -> None:
    person = identity.DevUser(f"t-{uuid.uuid4().hex[:10]}", Role.VIEWER)
    password = identity.ensure_user(admin, person, None)
    # More than a second apart: failures quicker than that lock at once (quickLoginCheckMilliSeconds), which would
    # hide whether the fifth slow one does.
    for attempt in range(6):
        if attempt:
            time.sleep(1.05)
        with pytest.raises(httpx.HTTPStatusError):
            identity.password_grant(keycloak.url, person.username, "Wrong-password-1")
    with pytest.raises(httpx.HTTPStatusError) as refused:
        identity.password_grant(keycloak.url, person.username, password)
    assert refused.value.response.status_code in (400, 401)
    user_id = admin.get("/county/users", params={"username": person.username, "exact": "true"}).json()[0]["id"]
    status = admin.get(f"/county/attack-detection/brute-force/users/{user_id}").raise_for_status().json()
    assert status["disabled"] is True and status["numFailures"] >= 5


@pytest.mark.parametrize(
    ("weak", "rule"),
    [
        ("Short1abc", "MinLength"),
        ("alllowercase123", "MinUpperCaseChars"),
        ("ALLUPPERCASE123", "MinLowerCaseChars"),
        ("NoDigitsAtAllHere", "MinDigits"),
        ("{username}", "NotUsername"),
    ],
)
def test_a_weak_password_is_refused_by_the_policy(admin: httpx.Client, weak: str, rule: str) -> None:
    person = identity.DevUser(f"T-{uuid.uuid4().hex[:10]}1x", Role.VIEWER)
    identity.ensure_user(admin, person, None)
    user_id = admin.get("/county/users", params={"username": person.username, "exact": "true"}).json()[0]["id"]
    response = admin.put(
        f"/county/users/{user_id}/reset-password",
        json={"type": "password", "value": weak.format(username=person.username), "temporary": False},
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"] == f"invalidPassword{rule}Message"


async def test_a_service_accepts_a_development_users_token_with_the_role_and_unit_keycloak_gives(
    keycloak: Keycloak, dev_sign_in: SignInSettings, make_settings: SettingsFactory, topics: list[str]
) -> None:
    settings = make_settings(CasesSettings, oidc_issuer=keycloak.issuer)
    unit = signin.signed_in(Role.UNIT, "河口镇人民政府", dev_sign_in)
    async with serving(cases_app(settings)) as (client, state):
        principal = await verify_token(settings, state["keys"], await unit.atoken())
        assert principal == Principal(subject="dev-unit-2", role=Role.UNIT, unit="河口镇人民政府")
        assert (await client.get("/v1/cases", auth=unit)).status_code == 200
        # A unit may not assign: the role Keycloak gave is the one the service acts on.
        assign = await client.post("/v1/cases/any/assign", json={}, headers={"If-Match": "1"}, auth=unit)
        assert assign.status_code == 403, assign.text
        assert "责任单位" in assign.json()["error"]["message"]
        # The tests' own issuer is another realm to this service.
        other = await client.get(
            "/v1/cases",
            headers={"Authorization": f"Bearer {issue_token(subject='x', role=Role.LEADER)}"},
            auth=_no_auth,
        )
        assert other.status_code == 401 and other.json()["error"]["code"] == "token_invalid"


def test_the_tools_sign_in_keeps_the_access_token_fresh_by_refresh_token(dev_sign_in: SignInSettings) -> None:
    # A margin as long as the token's life: every request finds it due, and the refresh token renews it.
    auth = signin.SignedIn(signin.dev_account(Role.VIEWER, settings=dev_sign_in), margin=300)
    first, second = auth.token(), auth.token()
    assert first != second and auth.exchanges == 2
    for token in (first, second):
        claims = jwt.decode(token, options={"verify_signature": False})
        assert claims["preferred_username"] == "dev-viewer" and "viewer" in claims["realm_access"]["roles"]


def test_make_token_prints_the_access_token_of_the_roles_development_user(dev_sign_in: SignInSettings) -> None:
    env = os.environ | {"OIDC_ISSUER": dev_sign_in.oidc_issuer, "DEV_USERS_FILE": str(dev_sign_in.dev_users_file)}

    def make_token(unit: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "shared.signin", "--role", "unit", "--unit", unit]
        return subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)

    done = make_token("县生态环境局")
    claims = jwt.decode(done.stdout.strip(), options={"verify_signature": False})
    assert (claims["preferred_username"], claims["unit"]) == ("dev-unit-3", "县生态环境局")
    unknown = make_token("外县")
    assert unknown.returncode != 0 and "请先运行 make up" in unknown.stderr, unknown.stderr


def test_a_refused_sign_in_is_not_tried_again_by_every_request(keycloak: Keycloak) -> None:
    """A load generator's hundreds of requests must not each send a wrong password: the realm would lock the user."""
    auth = signin.SignedIn(signin.Account(keycloak.issuer, f"nobody-{uuid.uuid4().hex[:8]}", "Wrong-password-1"))
    for _ in range(3):
        with pytest.raises(httpx.HTTPStatusError):
            auth.token()
    assert auth.exchanges == 1
