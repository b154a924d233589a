"""Token verification without a service: the rules of shared/auth.py and the key cache of shared/jwks.py, with the
issuer's JWKS answered in memory (httpx.MockTransport) so that each fetch can be counted and made to fail."""

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from fastapi import HTTPException

from shared import auth
from shared.auth import Role, verify_token
from shared.errors import Forbidden
from shared.jwks import MAX_KEYS, SigningKeys, rsa_signing_keys
from shared.settings import ServiceSettings
from tests.support.issuer import TestIssuer, new_key, public_jwk, session_issuer


class FakeIssuer:
    """The session issuer's JWKS answered in memory; `down` makes it fail; `fetches` counts the requests."""

    def __init__(self, issuer: TestIssuer) -> None:
        self.document: dict[str, Any] = issuer.jwks()
        self.down = False
        self.fetches = 0

    def transport(self) -> httpx.MockTransport:
        def answer(request: httpx.Request) -> httpx.Response:
            self.fetches += 1
            return httpx.Response(503) if self.down else httpx.Response(200, json=self.document)

        return httpx.MockTransport(answer)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def settings() -> ServiceSettings:
    return ServiceSettings(kafka_password="unused", oidc_issuer=session_issuer().issuer)


@pytest.fixture
def fake() -> FakeIssuer:
    return FakeIssuer(session_issuer())


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def keys(settings: ServiceSettings, fake: FakeIssuer, clock: Clock) -> AsyncIterator[SigningKeys]:
    signing = SigningKeys(
        settings.jwks_url, min_refresh_seconds=30, max_age_seconds=600, transport=fake.transport(), clock=clock
    )
    yield signing
    await signing.aclose()


def token(**overrides: Any) -> str:
    issuer = session_issuer()
    claims = issuer.claims(
        username=overrides.pop("username", "li"),
        roles=overrides.pop("roles", ["viewer"]),
        unit=overrides.pop("unit", None),
        issued=overrides.pop("issued", None),
        ttl=overrides.pop("ttl", timedelta(minutes=5)),
        audience=overrides.pop("audience", "county-env"),
    )
    for name, value in overrides.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return issuer.sign(claims)


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


async def refused(settings: ServiceSettings, keys: SigningKeys, raw: str) -> str:
    """The code of the 401 that refuses `raw`."""
    with pytest.raises(HTTPException) as caught:
        await verify_token(settings, keys, raw)
    assert caught.value.status_code == 401
    assert caught.value.headers == {"WWW-Authenticate": "Bearer"}
    detail: Any = caught.value.detail
    return str(detail["code"])


async def test_a_token_names_the_person_by_user_name_with_role_and_unit(
    settings: ServiceSettings, keys: SigningKeys
) -> None:
    principal = await verify_token(settings, keys, token(username="li", roles=["unit"], unit="生态环境局"))
    assert (principal.subject, principal.role, principal.unit, principal.actor) == (
        "li",
        Role.UNIT,
        "生态环境局",
        "li",
    )


async def test_keycloaks_own_roles_are_ignored_and_one_of_ours_decides(
    settings: ServiceSettings, keys: SigningKeys
) -> None:
    principal = await verify_token(settings, keys, token(roles=["uma_authorization", "enforcement"]))
    assert principal.role is Role.ENFORCEMENT


@pytest.mark.parametrize(("roles", "says"), [([], "未被授予本系统的任何角色"), (["leader", "viewer"], "多个角色")])
async def test_no_role_of_ours_or_two_are_forbidden(
    settings: ServiceSettings, keys: SigningKeys, roles: list[str], says: str
) -> None:
    with pytest.raises(Forbidden, match=says):
        await verify_token(settings, keys, token(roles=roles))


async def test_another_issuer_another_audience_or_none_are_refused(
    settings: ServiceSettings, keys: SigningKeys
) -> None:
    assert await refused(settings, keys, token(iss="http://127.0.0.1:8180/realms/other")) == "token_invalid"
    assert await refused(settings, keys, token(audience="another-system")) == "token_audience_mismatch"
    assert await refused(settings, keys, token(aud=None)) == "token_audience_mismatch"


async def test_the_leeway_holds_for_expiry_and_issue_time(settings: ServiceSettings, keys: SigningKeys) -> None:
    hour_ago = now() - timedelta(hours=1)
    assert await verify_token(settings, keys, token(issued=hour_ago, ttl=timedelta(minutes=59, seconds=40)))
    assert await refused(settings, keys, token(issued=hour_ago, ttl=timedelta(minutes=59, seconds=20))) == (
        "token_expired"
    )
    assert await verify_token(settings, keys, token(issued=now() + timedelta(seconds=20)))
    assert await refused(settings, keys, token(issued=now() + timedelta(minutes=2))) == "token_not_yet_valid"


async def test_a_token_that_lives_longer_than_the_maximum_is_refused(
    settings: ServiceSettings, keys: SigningKeys
) -> None:
    assert await verify_token(settings, keys, token(ttl=timedelta(hours=12)))
    assert await refused(settings, keys, token(ttl=timedelta(hours=12, seconds=1))) == "token_lifetime_exceeded"
    short = settings.model_copy(update={"jwt_max_lifetime_hours": 1.0})
    assert await refused(short, keys, token(ttl=timedelta(hours=2))) == "token_lifetime_exceeded"


@pytest.mark.parametrize("missing", ["iat", "exp", "sub", "preferred_username"])
async def test_a_token_without_a_required_claim_is_refused(
    settings: ServiceSettings, keys: SigningKeys, missing: str
) -> None:
    assert await refused(settings, keys, token(**{missing: None})) == "token_invalid"


@pytest.mark.parametrize("raw", ["", "not-a-jwt", "a.b.c"])
async def test_a_malformed_token_is_refused(settings: ServiceSettings, keys: SigningKeys, raw: str) -> None:
    assert await refused(settings, keys, raw) == "token_invalid"


async def test_only_rs256_passes_never_hs256_or_none(settings: ServiceSettings, keys: SigningKeys) -> None:
    claims = session_issuer().claims(username="x", roles=["leader"])
    kid = {"kid": session_issuer().kid}
    assert await refused(settings, keys, jwt.encode(claims, "a-guessed-key-a-guessed-key-32b!", "HS256", kid)) == (
        "token_invalid"
    )
    assert await refused(settings, keys, jwt.encode(claims, None, "none", kid)) == "token_invalid"  # type: ignore[arg-type]


async def test_another_key_under_the_issuers_key_id_is_refused(settings: ServiceSettings, keys: SigningKeys) -> None:
    issuer = session_issuer()
    forged = issuer.sign(issuer.claims(username="x", roles=["leader"]), key=new_key())
    assert await refused(settings, keys, forged) == "token_invalid"


async def test_a_unit_without_its_unit_is_refused(settings: ServiceSettings, keys: SigningKeys) -> None:
    assert await refused(settings, keys, token(roles=["unit"])) == "token_invalid"


async def test_the_keys_are_fetched_once_and_kept(
    settings: ServiceSettings, keys: SigningKeys, fake: FakeIssuer
) -> None:
    for _ in range(5):
        await verify_token(settings, keys, token())
    assert fake.fetches == 1


async def test_an_unknown_key_id_fetches_again_at_most_once_per_interval(
    settings: ServiceSettings, keys: SigningKeys, fake: FakeIssuer, clock: Clock
) -> None:
    issuer = session_issuer()
    await verify_token(settings, keys, token())
    for n in range(20):
        assert await refused(settings, keys, issuer.sign(issuer.claims(username="x", roles=["leader"]), kid=f"k{n}"))
    assert fake.fetches == 1, "within the interval the made-up key ids cost the issuer nothing"
    clock.now += 30
    await refused(settings, keys, issuer.sign(issuer.claims(username="x", roles=["leader"]), kid="k-late"))
    assert fake.fetches == 2


async def test_a_rotated_key_is_accepted_after_one_fetch(
    settings: ServiceSettings, keys: SigningKeys, fake: FakeIssuer, clock: Clock
) -> None:
    issuer = session_issuer()
    await verify_token(settings, keys, token())
    rotated = new_key()  # the issuer publishes a second key and signs with it
    fake.document = {"keys": [*fake.document["keys"], public_jwk(rotated, "rotated")]}
    clock.now += 30
    claims = issuer.claims(username="wang", roles=["leader"])
    assert (await verify_token(settings, keys, issuer.sign(claims, key=rotated, kid="rotated"))).subject == "wang"


async def test_held_keys_keep_working_while_the_issuer_is_down_and_none_held_is_503(
    settings: ServiceSettings, keys: SigningKeys, fake: FakeIssuer, clock: Clock
) -> None:
    fake.down = True
    with pytest.raises(HTTPException) as caught:
        await verify_token(settings, keys, token())
    assert caught.value.status_code == 503
    assert keys.status == "unavailable"
    fake.down = False
    clock.now += 30
    assert await verify_token(settings, keys, token())
    fake.down = True
    clock.now += 3600  # the keys are old: a fetch is tried, fails, and the held ones still serve
    assert await verify_token(settings, keys, token())
    assert keys.status == "ok"


def test_only_rsa_signing_keys_are_kept_and_at_most_a_bounded_number() -> None:
    rsa_key = session_issuer().jwks()["keys"][0]
    document = {
        "keys": [
            rsa_key | {"kid": "enc", "use": "enc", "alg": "RSA-OAEP"},
            {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
            rsa_key | {"kid": "hs", "alg": "HS256"},
            *(rsa_key | {"kid": f"sig-{n}"} for n in range(MAX_KEYS + 5)),
        ]
    }
    kept = rsa_signing_keys(document)
    assert list(kept) == [f"sig-{n}" for n in range(MAX_KEYS)]
    with pytest.raises(ValueError):
        rsa_signing_keys({"no": "keys"})


async def test_a_verified_token_is_remembered_and_its_signature_not_checked_again(
    settings: ServiceSettings, keys: SigningKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks: list[str] = []
    decoded = auth._decoded

    def counted(*args: Any) -> dict[str, Any]:
        checks.append("decoded")
        return decoded(*args)

    monkeypatch.setattr(auth, "_decoded", counted)
    raw = token(username="zhao", roles=["operator"])
    for _ in range(3):
        assert (await verify_token(settings, keys, raw)).subject == "zhao"
    assert checks == ["decoded"]


async def test_a_remembered_token_is_refused_once_it_expires(settings: ServiceSettings, keys: SigningKeys) -> None:
    issued = now() - timedelta(hours=1)
    raw = token(issued=issued, ttl=timedelta(hours=1) - timedelta(seconds=28))  # expired, within the 30 s leeway
    assert await verify_token(settings, keys, raw)
    expires = (issued + timedelta(hours=1) - timedelta(seconds=28)).timestamp() + settings.jwt_leeway_seconds
    await asyncio.sleep(max(0.0, expires - time.time()) + 0.05)
    assert await refused(settings, keys, raw) == "token_expired"
    assert raw not in keys.verified


async def test_a_remembered_token_of_a_key_the_issuer_withdrew_is_refused(
    settings: ServiceSettings, keys: SigningKeys, fake: FakeIssuer, clock: Clock
) -> None:
    issuer = session_issuer()
    rotated = new_key()
    fake.document = {"keys": [*fake.document["keys"], public_jwk(rotated, "rotated")]}
    raw = issuer.sign(issuer.claims(username="wang", roles=["leader"]), key=rotated, kid="rotated")
    assert await verify_token(settings, keys, raw)
    fake.document = {"keys": fake.document["keys"][:1]}
    clock.now += 601  # older than JWKS_MAX_AGE_SECONDS: fetched again, without the withdrawn key
    assert await refused(settings, keys, raw) == "token_invalid"


async def test_at_most_a_bounded_number_of_tokens_is_remembered(
    settings: ServiceSettings, keys: SigningKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth, "MAX_VERIFIED", 2)
    tokens = [token(username=name) for name in ("a", "b", "c")]
    for raw in tokens:
        await verify_token(settings, keys, raw)
    assert list(keys.verified) == tokens[1:]
