"""docker-compose.yml describes the same system as the local stack (Docker does not run here, so we read it)."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.accountability.settings import AccountabilitySettings
from services.cases.settings import CasesSettings
from services.enforcement.settings import EnforcementSettings
from services.intake.settings import IntakeSettings
from services.projections.settings import ProjectionsSettings
from shared.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = [IntakeSettings, CasesSettings, EnforcementSettings, AccountabilitySettings, ProjectionsSettings]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    return loaded


def local_stack_ports() -> dict[str, int]:
    """The service → port table that `make up` uses (infra/services.sh)."""
    script = (ROOT / "infra" / "services.sh").read_text(encoding="utf-8")
    table = re.search(r"SERVICES=\(([^)]*)\)", script)
    assert table, "infra/services.sh has no SERVICES table"
    return {name: int(port) for name, port in (entry.split(":") for entry in table.group(1).split())}


def test_compose_runs_every_service_of_the_local_stack_on_the_same_port(compose: dict[str, Any]) -> None:
    local = local_stack_ports()
    assert set(local) == {s().service_name for s in SETTINGS}
    for settings_cls in SETTINGS:
        name = settings_cls().service_name
        service = compose["services"][name]
        assert service["command"] == ["python", "-m", f"services.{name}"]
        assert int(service["environment"]["PORT"]) == local[name] == settings_cls().port
        assert service["ports"] == [f"${{{name.upper()}_HOST_PORT:-{local[name]}}}:{local[name]}"]


def test_compose_sets_only_variables_the_services_read(compose: dict[str, Any]) -> None:
    known = {field.upper() for field in ServiceSettings.model_fields}
    for settings_cls in SETTINGS:
        env = compose["services"][settings_cls().service_name]["environment"]
        assert {"KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "PORT", "HOST"} <= set(env)
        assert set(env) <= known, f"unknown variables: {set(env) - known}"


def test_services_wait_for_healthy_infrastructure_and_have_health_checks(compose: dict[str, Any]) -> None:
    for settings_cls in SETTINGS:
        service = compose["services"][settings_cls().service_name]
        assert service["depends_on"] == {
            "kafka": {"condition": "service_healthy"},
            "postgres": {"condition": "service_healthy"},
        }
        assert "/readyz" in " ".join(service["healthcheck"]["test"])
        assert "container_name" not in service, "a fixed container name prevents --scale"
    for infra in ("kafka", "postgres"):
        assert compose["services"][infra]["healthcheck"]["test"]


def test_compose_kafka_is_the_same_version_as_the_local_broker(compose: dict[str, Any]) -> None:
    pom = (ROOT / "infra" / "kafka" / "pom.xml").read_text(encoding="utf-8")
    version = re.search(r"<kafka.version>([^<]+)</kafka.version>", pom)
    assert version
    assert compose["services"]["kafka"]["image"] == f"apache/kafka:{version.group(1)}"


def test_the_image_builds_from_the_project_files() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    for needed in ("COPY pyproject.toml", "COPY shared", "COPY services", "pip install ."):
        assert needed in dockerfile
