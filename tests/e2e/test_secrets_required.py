"""A service process without its keys does not start (finding 1): it exits at once and names the variable.

Started as `make up` would start it on a server where nobody set ENVIRONMENT: no development default.
"""

import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet

from tests.support.service import free_port
from tests.support.stack import ROOT


def started_without(*names: str, **extra: str) -> subprocess.CompletedProcess[str]:
    """`python -m <module>` with `names` and ENVIRONMENT removed from the environment."""
    env = {k: v for k, v in os.environ.items() if k not in {*names, "ENVIRONMENT"}}
    env.update(PORT=str(free_port()), **extra)
    return subprocess.run(
        [sys.executable, "-m", env.pop("MODULE")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("module", ["services.cases", "services.intake", "services.projections"])
def test_a_service_started_without_its_broker_password_exits_naming_it(module: str) -> None:
    done = started_without("KAFKA_PASSWORD", MODULE=module)
    assert done.returncode != 0
    assert "KAFKA_PASSWORD 未设置" in done.stderr and "KAFKA_PASSWORD is not set" in done.stderr, done.stderr[-2000:]


def test_intake_started_without_contact_keys_exits_naming_them() -> None:
    done = started_without("CONTACT_KEYS", MODULE="services.intake")
    assert done.returncode != 0
    assert "CONTACT_KEYS 未设置" in done.stderr and "CONTACT_KEYS is not set" in done.stderr, done.stderr[-2000:]
    assert "KAFKA_PASSWORD" not in done.stderr  # the key it has is neither refused nor printed


def test_a_service_started_with_a_broken_contact_key_exits_without_printing_the_keys() -> None:
    good = Fernet.generate_key().decode()
    done = started_without(MODULE="services.intake", CONTACT_KEYS=f"{good},broken")
    assert done.returncode != 0
    assert "CONTACT_KEYS 的第 2 个密钥" in done.stderr, done.stderr[-2000:]
    assert good not in done.stderr
