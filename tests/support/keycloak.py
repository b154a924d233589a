"""The tests' Keycloak: infra/keycloak.sh on a port of its own (18180, or TEST_KEYCLOAK_PORT when another checkout's
tests use 18180 at the same time), so its own state and database keycloak_<port>, so the tests' throwaway users and
lockouts never touch the development realm of `make up` (8180). Started once and left running, like the tests'
broker: the next run finds it up.

It takes about a minute to boot on 2 cores (longer on a fresh machine, which first downloads and builds it), so
a run that has Keycloak tests launches it at collection (`launch_early`) and the tests, which come late in the
run, usually find it ready."""

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from shared import stack_keys

ROOT = Path(__file__).resolve().parents[2]
PORT = int(os.environ.get("TEST_KEYCLOAK_PORT") or 18180)
SCRIPT = ROOT / "infra" / "keycloak.sh"


@dataclass(frozen=True)
class Keycloak:
    url: str
    admin_password: str

    @property
    def issuer(self) -> str:
        return f"{self.url}/realms/county"

    @property
    def dev_users_file(self) -> Path:
        """The development users' passwords on this server (tests/conftest.py `dev_sign_in`)."""
        return ROOT / ".run" / f"keycloak-{PORT}-dev-users.env"


def _environment() -> dict[str, str]:
    # The first start on a fresh machine makes Keycloak's schema and imports the realm while the other test worker
    # runs: minutes on 2 busy cores. Waiting longer costs nothing once it is up.
    # Two workers sign in as the same development user at once; Keycloak 26 refuses a user's concurrent sign-ins
    # while brute-force detection is on (user_temporarily_disabled, no failure behind it): the tests' server allows
    # them. Make up's and production's keep Keycloak's default.
    concurrent = {"KC_SPI_BRUTE_FORCE_PROTECTOR__DEFAULT_BRUTE_FORCE_DETECTOR__ALLOW_CONCURRENT_REQUESTS": "true"}
    return {"KEYCLOAK_START_TIMEOUT": "600"} | os.environ | {"KEYCLOAK_PORT": str(PORT)} | concurrent


def launch_early() -> None:
    """PostgreSQL now (quick, and the same script the broker's fixture runs later), then Keycloak in the
    background: `start_keycloak` waits for it."""
    subprocess.run(["bash", str(ROOT / "infra" / "postgres.sh"), "start"], check=True)
    log = ROOT / ".run" / "logs" / f"keycloak-{PORT}-launch.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        subprocess.Popen(
            ["bash", str(SCRIPT), "launch"], env=_environment(), stdout=out, stderr=out, start_new_session=True
        )


def start_keycloak() -> Keycloak:
    subprocess.run(["bash", str(ROOT / "infra" / "postgres.sh"), "start"], check=True)
    subprocess.run(["bash", str(SCRIPT), "start"], env=_environment(), check=True)
    return Keycloak(url=f"http://127.0.0.1:{PORT}", admin_password=stack_keys.read()["KEYCLOAK_ADMIN_PASSWORD"])
