from datetime import timedelta
from typing import Any

import pytest
from fastapi import HTTPException

from shared.auth import Role, issue_token, verify_token
from shared.settings import ServiceSettings

SETTINGS = ServiceSettings()


def code_of(refusal: HTTPException) -> str:
    """Our 401s carry {"code", "message"} as their detail (FastAPI types detail as text)."""
    detail: Any = refusal.detail
    return str(detail["code"])


def test_a_token_names_its_subject_role_and_unit() -> None:
    token = issue_token(SETTINGS, subject="li", role=Role.UNIT, unit="生态环境局")
    principal = verify_token(SETTINGS, token)
    assert (principal.subject, principal.role, principal.unit) == ("li", Role.UNIT, "生态环境局")
    assert principal.actor == "li"


def test_an_expired_token_is_refused_with_401() -> None:
    token = issue_token(SETTINGS, subject="li", role=Role.VIEWER, ttl=timedelta(seconds=-1))
    with pytest.raises(HTTPException) as caught:
        verify_token(SETTINGS, token)
    assert caught.value.status_code == 401
    assert code_of(caught.value) == "token_expired"


@pytest.mark.parametrize("token", ["", "not-a-jwt", "a.b.c"])
def test_a_malformed_token_is_refused_with_401(token: str) -> None:
    with pytest.raises(HTTPException) as caught:
        verify_token(SETTINGS, token)
    assert caught.value.status_code == 401


def test_a_token_signed_with_another_key_is_refused() -> None:
    other = ServiceSettings(jwt_secret="another-key-entirely-another-key-entirely")
    with pytest.raises(HTTPException) as caught:
        verify_token(SETTINGS, issue_token(other, subject="x", role=Role.LEADER))
    assert code_of(caught.value) == "token_invalid"


def test_a_unit_token_without_its_unit_is_refused() -> None:
    with pytest.raises(HTTPException):
        verify_token(SETTINGS, issue_token(SETTINGS, subject="x", role=Role.UNIT))


def test_the_development_key_is_refused_outside_development() -> None:
    with pytest.raises(ValueError, match="JWT_SECRET"):
        ServiceSettings(environment="production")
