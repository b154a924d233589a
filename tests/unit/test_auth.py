from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from fastapi import HTTPException

from shared.auth import Role, issue_token, verify_token
from shared.settings import ServiceSettings
from shared.stack_keys import GENERATORS


@pytest.fixture
def settings() -> ServiceSettings:
    return ServiceSettings(jwt_secret=GENERATORS["JWT_SECRET"]())


def code_of(refusal: HTTPException) -> str:
    """Our 401s carry {"code", "message"} as their detail (FastAPI types detail as text)."""
    detail: Any = refusal.detail
    return str(detail["code"])


def refused(settings: ServiceSettings, token: str) -> str:
    """The code of the 401 that refuses `token`."""
    with pytest.raises(HTTPException) as caught:
        verify_token(settings, token)
    assert caught.value.status_code == 401
    assert caught.value.headers == {"WWW-Authenticate": "Bearer"}
    return code_of(caught.value)


def signed(settings: ServiceSettings, *, issued: timedelta, lives: timedelta, **claims: object) -> str:
    """A token signed with the services' key, issued `issued` from now, expiring `lives` after that."""
    iat = datetime.now(UTC).replace(microsecond=0) + issued
    body: dict[str, object] = {
        "sub": "x",
        "role": "leader",
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": iat,
        "exp": iat + lives,
        **claims,
    }
    return jwt.encode({k: v for k, v in body.items() if v is not None}, settings.jwt_secret, algorithm="HS256")


def test_a_token_names_its_subject_role_and_unit(settings: ServiceSettings) -> None:
    token = issue_token(settings, subject="li", role=Role.UNIT, unit="生态环境局")
    principal = verify_token(settings, token)
    assert (principal.subject, principal.role, principal.unit) == ("li", Role.UNIT, "生态环境局")
    assert principal.actor == "li"


def test_an_issued_token_carries_the_audience_and_lives_the_longest_allowed(settings: ServiceSettings) -> None:
    claims = jwt.decode(issue_token(settings, subject="li", role=Role.VIEWER), options={"verify_signature": False})
    assert claims["aud"] == settings.jwt_audience == "county-env"
    assert claims["exp"] - claims["iat"] == 12 * 3600


def test_a_token_for_another_audience_is_refused(settings: ServiceSettings) -> None:
    other = settings.model_copy(update={"jwt_audience": "another-system"})
    assert refused(settings, issue_token(other, subject="x", role=Role.LEADER)) == "token_audience_mismatch"


def test_a_token_without_an_audience_is_refused(settings: ServiceSettings) -> None:
    token = signed(settings, issued=timedelta(0), lives=timedelta(hours=1), aud=None)
    assert refused(settings, token) == "token_audience_mismatch"


def test_a_token_expired_within_the_thirty_second_leeway_still_passes(settings: ServiceSettings) -> None:
    token = issue_token(settings, subject="li", role=Role.VIEWER, ttl=timedelta(seconds=-20))
    assert verify_token(settings, token).subject == "li"


def test_a_token_expired_beyond_the_leeway_is_refused_with_401(settings: ServiceSettings) -> None:
    token = issue_token(settings, subject="li", role=Role.VIEWER, ttl=timedelta(seconds=-40))
    assert refused(settings, token) == "token_expired"


def test_a_token_issued_by_a_clock_ahead_within_the_leeway_passes_and_beyond_it_is_refused(
    settings: ServiceSettings,
) -> None:
    assert verify_token(settings, signed(settings, issued=timedelta(seconds=20), lives=timedelta(hours=1)))
    token = signed(settings, issued=timedelta(minutes=2), lives=timedelta(hours=1))
    assert refused(settings, token) == "token_not_yet_valid"


def test_a_token_that_lives_longer_than_the_maximum_is_refused_even_when_valid_now(
    settings: ServiceSettings,
) -> None:
    assert verify_token(settings, signed(settings, issued=timedelta(0), lives=timedelta(hours=12)))
    too_long = signed(settings, issued=timedelta(0), lives=timedelta(hours=12, seconds=1))
    assert refused(settings, too_long) == "token_lifetime_exceeded"


def test_the_maximum_lifetime_is_configured(settings: ServiceSettings) -> None:
    short = settings.model_copy(update={"jwt_max_lifetime_hours": 1.0})
    token = issue_token(settings, subject="x", role=Role.LEADER, ttl=timedelta(hours=2))
    assert verify_token(settings, token)
    assert refused(short, token) == "token_lifetime_exceeded"


def test_a_token_without_issue_time_is_refused(settings: ServiceSettings) -> None:
    token = jwt.encode(
        {"sub": "x", "role": "leader", "iss": settings.jwt_issuer, "aud": settings.jwt_audience, "exp": 2**31},
        settings.jwt_secret,
        algorithm="HS256",
    )
    assert refused(settings, token) == "token_invalid"


def test_no_token_longer_than_the_maximum_is_issued(settings: ServiceSettings) -> None:
    with pytest.raises(ValueError, match="JWT_MAX_LIFETIME_HOURS"):
        issue_token(settings, subject="x", role=Role.LEADER, ttl=timedelta(hours=13))


@pytest.mark.parametrize("token", ["", "not-a-jwt", "a.b.c"])
def test_a_malformed_token_is_refused_with_401(settings: ServiceSettings, token: str) -> None:
    assert refused(settings, token) == "token_invalid"


def test_a_token_signed_with_another_key_is_refused(settings: ServiceSettings) -> None:
    other = ServiceSettings(jwt_secret="another-key-entirely-another-key-entirely")
    assert refused(settings, issue_token(other, subject="x", role=Role.LEADER)) == "token_invalid"


def test_a_unit_token_without_its_unit_is_refused(settings: ServiceSettings) -> None:
    assert refused(settings, issue_token(settings, subject="x", role=Role.UNIT)) == "token_invalid"
