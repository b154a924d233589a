"""The load generators' sign-in check (bench/tokens.py `signed_in_now`), which `make drill` runs before it starts
anything: it stops at once, in words, where every stage would otherwise fail after its wait."""

import socket
from pathlib import Path

import pytest

from bench.samples import UNIT
from bench.tokens import SignInFailed, signed_in_now
from shared import identity
from shared.signin import SignInSettings


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_without_the_development_users_passwords_it_says_to_run_make_up(tmp_path: Path) -> None:
    settings = SignInSettings(oidc_issuer="http://127.0.0.1:1/realms/county", dev_users_file=tmp_path / "none.env")
    with pytest.raises(SignInFailed, match="没有开发用户.*make up"):
        signed_in_now(settings)


def test_with_no_keycloak_answering_it_names_the_issuer(tmp_path: Path) -> None:
    passwords = tmp_path / "dev-users.env"
    users = (*identity.dev_users(), identity.unit_user(UNIT))
    identity.write_passwords(passwords, {user.username: "secret-for-test" for user in users})
    issuer = f"http://127.0.0.1:{closed_port()}/realms/county"
    with pytest.raises(SignInFailed, match="Keycloak") as failed:
        signed_in_now(SignInSettings(oidc_issuer=issuer, dev_users_file=passwords))
    assert issuer in str(failed.value)
