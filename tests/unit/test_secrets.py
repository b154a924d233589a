"""Secrets (finding 1): no service runs on a key from the repository, and `make up` gives each install its own."""

import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from services.intake.settings import DEVELOPMENT_CONTACT_KEY, IntakeSettings
from shared import stack_keys
from shared.audit.checkpoints import load_private_key
from shared.kafka_access import ACCESS
from shared.settings import ServiceSettings
from tests.support.stack import ROOT


@pytest.fixture
def bare_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No secret and no ENVIRONMENT in the environment, as on a fresh server."""
    for name in ("CONTACT_KEYS", "METRICS_TOKEN", "ENVIRONMENT"):
        monkeypatch.setenv(name, "")  # recorded, so that what the test adds is taken away afterwards
        monkeypatch.delenv(name)
    return monkeypatch


def refusal_of(error: pytest.ExceptionInfo[ValidationError]) -> str:
    return str(error.value)


def test_the_default_environment_is_not_development(bare_environment: pytest.MonkeyPatch) -> None:
    assert ServiceSettings().environment == "production"


def test_the_services_need_no_token_key_only_the_issuer_whose_keys_they_fetch(
    bare_environment: pytest.MonkeyPatch,
) -> None:
    bare_environment.delenv("OIDC_ISSUER", raising=False)
    settings = ServiceSettings()
    assert settings.oidc_issuer == "http://127.0.0.1:8180/realms/county"
    assert settings.jwks_url == "http://127.0.0.1:8180/realms/county/protocol/openid-connect/certs"
    assert not {"jwt_secret", "jwt_issuer"} & set(ServiceSettings.model_fields)


def test_without_contact_keys_intake_is_refused_naming_them_in_chinese_and_english(
    bare_environment: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ValidationError) as caught:
        IntakeSettings()
    text = refusal_of(caught)
    assert "CONTACT_KEYS 未设置" in text and "CONTACT_KEYS is not set" in text


@pytest.mark.parametrize("environment", ["production", "staging", "test"])
def test_the_repository_development_key_is_refused_outside_development(environment: str) -> None:
    own = Fernet.generate_key().decode()
    with pytest.raises(ValidationError, match="CONTACT_KEYS"):
        IntakeSettings(environment=environment, contact_keys=f"{own},{DEVELOPMENT_CONTACT_KEY}")


def test_development_set_explicitly_may_use_the_development_key(bare_environment: pytest.MonkeyPatch) -> None:
    bare_environment.setenv("ENVIRONMENT", "development")
    assert IntakeSettings().contact_keys == DEVELOPMENT_CONTACT_KEY


@pytest.mark.parametrize("environment", ["development", "production"])
def test_contact_keys_must_be_fernet_keys_in_every_environment(environment: str) -> None:
    good = Fernet.generate_key().decode()
    for keys, number in (("not-a-key", 1), (f"{good},{good[:-2]}", 2), (f"{good},", 2)):
        with pytest.raises(ValidationError, match=f"CONTACT_KEYS 的第 {number} 个密钥"):
            IntakeSettings(environment=environment, contact_keys=keys)
    assert IntakeSettings(environment=environment, contact_keys=good).contact_keys == good


def test_a_refusal_prints_no_secret_it_was_given() -> None:
    good = Fernet.generate_key().decode()
    with pytest.raises(ValidationError) as caught:
        IntakeSettings(contact_keys=f"{good},broken")
    text = refusal_of(caught)
    assert good not in text and "broken" not in text


def test_make_up_writes_the_keys_once_owner_only_and_they_pass_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The tests' own processes sign in as the broker's admin (tests/conftest.py): not what a service does.
    monkeypatch.delenv("KAFKA_USERNAME", raising=False)
    first = stack_keys.ensure(tmp_path)
    again = stack_keys.ensure(tmp_path)
    assert first == again == stack_keys.read(tmp_path)
    broker = {"KAFKA_ADMIN_PASSWORD", "KAFKA_CONTROLLER_PASSWORD"} | {
        f"KAFKA_PASSWORD_{user.upper()}" for user in ACCESS
    }
    audit = {f"AUDIT_SIGNING_KEY_{service.upper()}" for service in stack_keys.AUDIT_SERVICES}
    assert (
        set(first) == {"CONTACT_KEYS", "METRICS_TOKEN", "POSTGRES_PASSWORD", "KEYCLOAK_ADMIN_PASSWORD"} | broker | audit
    )
    assert stat.S_IMODE(stack_keys.secrets_file(tmp_path).stat().st_mode) == 0o600
    settings = IntakeSettings(
        contact_keys=first["CONTACT_KEYS"],
        metrics_token=first["METRICS_TOKEN"],
        kafka_password=first["KAFKA_PASSWORD_INTAKE"],
        audit_signing_key=first["AUDIT_SIGNING_KEY_INTAKE"],
    )
    assert settings.environment == "production"
    assert settings.broker.username == "intake" and settings.broker.password == first["KAFKA_PASSWORD_INTAKE"]


def test_two_installs_never_share_a_key(tmp_path: Path) -> None:
    one, other = stack_keys.ensure(tmp_path / "one"), stack_keys.ensure(tmp_path / "other")
    for name in stack_keys.GENERATORS:
        assert one[name] != other[name], name


def test_a_key_missing_from_the_file_is_added_and_the_others_are_kept(tmp_path: Path) -> None:
    stack_keys.secrets_file(tmp_path).write_text("# kept\nMETRICS_TOKEN=kept-token\n", encoding="utf-8")
    keys = stack_keys.ensure(tmp_path)
    assert keys["METRICS_TOKEN"] == "kept-token" and keys["CONTACT_KEYS"]
    assert stack_keys.read(tmp_path) == keys


def test_the_environment_wins_over_the_state_folder_and_services_get_only_their_keys(tmp_path: Path) -> None:
    keys = stack_keys.ensure(tmp_path)
    env = stack_keys.service_environment(tmp_path, {"METRICS_TOKEN": "set-by-the-operator", "PATH": "/bin"})
    assert env == {
        "METRICS_TOKEN": "set-by-the-operator",
        "CONTACT_KEYS": keys["CONTACT_KEYS"],
        # Without --as, the broker's admin: the operators' commands (topics, users, dead letters).
        "KAFKA_USERNAME": "admin",
        "KAFKA_PASSWORD": keys["KAFKA_ADMIN_PASSWORD"],
        "PATH": "/bin",
    }
    # A service signs in as itself, and gets no other user's password.
    cases = stack_keys.service_environment(tmp_path, {}, kafka_user="cases")
    assert (cases["KAFKA_USERNAME"], cases["KAFKA_PASSWORD"]) == ("cases", keys["KAFKA_PASSWORD_CASES"])
    assert not any(name.startswith("KAFKA_PASSWORD_") or name == "KAFKA_ADMIN_PASSWORD" for name in cases)
    # And its own audit signing key, no other's; a command signed in as admin gets none.
    assert cases["AUDIT_SIGNING_KEY"] == keys["AUDIT_SIGNING_KEY_CASES"]
    assert not any(name.startswith("AUDIT_SIGNING_KEY_") for name in cases)
    assert load_private_key(cases["AUDIT_SIGNING_KEY"]) is not None
    assert "AUDIT_SIGNING_KEY" not in env


def test_a_command_run_through_the_state_folder_gets_its_keys(tmp_path: Path) -> None:
    """What infra/services.sh does for every service it starts."""
    keys = stack_keys.ensure(tmp_path)
    shown = subprocess.run(
        [sys.executable, "-m", "shared.stack_keys", "--state-dir", str(tmp_path), "exec", "--as", "intake", "--"]
        + [
            sys.executable,
            "-c",
            "import os; print(*(os.environ[k] for k in ('METRICS_TOKEN', 'CONTACT_KEYS', "
            + "'KAFKA_USERNAME', 'KAFKA_PASSWORD')))",
        ],
        env={"PATH": "/usr/bin:/bin"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout.split() == [
        keys["METRICS_TOKEN"],
        keys["CONTACT_KEYS"],
        "intake",
        keys["KAFKA_PASSWORD_INTAKE"],
    ]


def test_make_up_and_the_service_script_use_the_state_folder() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    up = makefile.split("\nup:", 1)[1].split("\n\n", 1)[0]
    assert "shared.stack_keys ensure" in up
    script = (ROOT / "infra" / "services.sh").read_text(encoding="utf-8")
    assert 'shared.stack_keys --state-dir "$RUN" exec --as "$name"' in script
    assert "shared.kafka_access apply" in up, "each service's broker user and ACLs"


def test_the_state_folder_is_never_committed() -> None:
    ignored = subprocess.run(["git", "check-ignore", "-q", ".run/secrets.env"], cwd=ROOT, check=False)
    assert ignored.returncode == 0
