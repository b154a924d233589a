"""docker-compose.yml describes the same system as the local stack (Docker does not run here, so we read it)."""

import copy
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from deploy import schemas
from services.accountability.settings import AccountabilitySettings
from services.cases.settings import CasesSettings
from services.enforcement.settings import EnforcementSettings
from services.intake.settings import DEVELOPMENT_CONTACT_KEY, IntakeSettings
from services.projections.settings import ProjectionsSettings
from shared import stack_keys
from shared.kafka_access import ACCESS
from shared.settings import ServiceSettings
from tests.support.chart_tools import SCHEMAS

ROOT = Path(__file__).resolve().parents[2]
SETTINGS: list[type[ServiceSettings]] = [
    IntakeSettings,
    CasesSettings,
    EnforcementSettings,
    AccountabilitySettings,
    ProjectionsSettings,
]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    return loaded


def test_compose_file_follows_the_compose_specification(compose: dict[str, Any], chart_tools: None) -> None:
    """Validated against the schema Docker Compose itself loads (deploy/schemas.py; `make chart-tools` fetches it)."""
    path = SCHEMAS / schemas.COMPOSE_SCHEMA
    validator = jsonschema.Draft202012Validator(json.loads(path.read_text(encoding="utf-8")))
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in validator.iter_errors(compose)]
    assert errors == []
    broken = copy.deepcopy(compose)
    broken["services"]["intake"]["restarts"] = "always"  # a misspelt key: the specification knows no such field
    assert not validator.is_valid(broken)


def local_stack_ports() -> dict[str, int]:
    """The service → port table that `make up` uses (infra/services.sh)."""
    script = (ROOT / "infra" / "services.sh").read_text(encoding="utf-8")
    table = re.search(r"SERVICES=\(([^)]*)\)", script)
    assert table, "infra/services.sh has no SERVICES table"
    return {name: int(port) for name, port in (entry.split(":") for entry in table.group(1).split())}


def test_compose_runs_every_service_of_the_local_stack_on_the_same_port(compose: dict[str, Any]) -> None:
    local = local_stack_ports()
    assert set(local) == {service_name(s) for s in SETTINGS}
    for settings_cls in SETTINGS:
        name = service_name(settings_cls)
        service = compose["services"][name]
        assert service["command"] == ["python", "-m", f"services.{name}"]
        assert int(service["environment"]["PORT"]) == local[name] == settings_cls.model_fields["port"].default
        published = f"${{PUBLISH_ADDRESS:-127.0.0.1}}:${{{name.upper()}_HOST_PORT:-{local[name]}}}:{local[name]}"
        assert service["ports"] == [published], "published on 127.0.0.1 unless PUBLISH_ADDRESS says otherwise"


def test_compose_sets_only_variables_the_services_read(compose: dict[str, Any]) -> None:
    for settings_cls in SETTINGS:
        known = {field.upper() for field in settings_cls.model_fields}
        env = compose["services"][service_name(settings_cls)]["environment"]
        assert {"KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "PORT", "HOST"} <= set(env)
        assert set(env) <= known, f"unknown variables: {set(env) - known}"


def required(variable: str) -> re.Pattern[str]:
    """Compose's `${NAME:?message}`: no default, and `docker compose up` stops with the message when it is unset."""
    return re.compile(rf"\$\{{{variable}:\?[^}}]+\}}")


def test_compose_requires_every_secret_and_writes_none_down(compose: dict[str, Any]) -> None:
    for settings_cls in SETTINGS:
        env = compose["services"][service_name(settings_cls)]["environment"]
        assert "JWT_SECRET" not in env, "tokens are verified with Keycloak's public keys"
        assert env["OIDC_ISSUER"] == "${KEYCLOAK_URL:-http://127.0.0.1:8180}/realms/county"
        assert env["OIDC_JWKS_URL"].startswith("http://keycloak:8180/realms/county/")
        assert env["ENVIRONMENT"] == "production"
        assert required("POSTGRES_PASSWORD").search(env["DATABASE_URL"]), "the database password has no default"
        # Only intake holds the key to the reporters' contacts.
        assert ("CONTACT_KEYS" in env) == (settings_cls is IntakeSettings)
        # Each service signs in to the broker as itself, with a password of its own.
        name = service_name(settings_cls)
        assert "KAFKA_USERNAME" not in env, "the user is the service's name"
        assert required(f"KAFKA_PASSWORD_{name.upper()}").fullmatch(env["KAFKA_PASSWORD"]), env["KAFKA_PASSWORD"]
    intake = compose["services"]["intake"]["environment"]
    assert required("CONTACT_KEYS").fullmatch(intake["CONTACT_KEYS"]), intake["CONTACT_KEYS"]
    postgres = compose["services"]["postgres"]["environment"]
    assert required("POSTGRES_PASSWORD").fullmatch(postgres["POSTGRES_PASSWORD"])
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    for development_key in (DEVELOPMENT_CONTACT_KEY, "postgres:postgres@"):
        assert development_key not in text


def test_the_keys_make_up_generates_are_the_ones_compose_requires() -> None:
    """`docker compose --env-file .run/secrets.env up` finds every secret it needs."""
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    assert set(re.findall(r"\$\{(\w+):\?", text)) == set(stack_keys.GENERATORS)


def service_name(settings_cls: type[ServiceSettings]) -> str:
    name: str = settings_cls.model_fields["service_name"].default
    return name


def test_services_wait_for_healthy_infrastructure_and_have_health_checks(compose: dict[str, Any]) -> None:
    for settings_cls in SETTINGS:
        service = compose["services"][service_name(settings_cls)]
        # The topics and the service's broker user and ACLs exist before it starts.
        assert service["depends_on"] == {
            "kafka-access": {"condition": "service_completed_successfully"},
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
    # The dashboard's npm packages are installed in the build, not taken from the machine that builds it.
    assert "COPY --from=dashboard /dashboard/node_modules ./services/projections/dashboard/node_modules" in dockerfile
    assert "**/node_modules" in (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert "CONTACT_KEYS=" not in dockerfile and "METRICS_TOKEN=" not in dockerfile, "the image holds no secret"
    assert ".run" in (ROOT / ".dockerignore").read_text(encoding="utf-8").split(), "the keys stay out of the build"


def test_compose_kafka_requires_sign_in_and_provisions_every_user(compose: dict[str, Any]) -> None:
    kafka = compose["services"]["kafka"]
    # The same broker set-up as the local stack: container.sh sources infra/kafka/broker.sh, as kafka.sh does.
    assert kafka["entrypoint"] == ["bash", "/infra/kafka/container.sh"]
    assert "./infra/kafka:/infra/kafka:ro" in kafka["volumes"]
    for secret in ("KAFKA_ADMIN_PASSWORD", "KAFKA_CONTROLLER_PASSWORD"):
        assert required(secret).fullmatch(kafka["environment"][secret])
    assert "--command-config" in kafka["healthcheck"]["test"][1], "the health check signs in too"
    access = compose["services"]["kafka-access"]
    assert access["depends_on"] == {"kafka": {"condition": "service_healthy"}}
    assert "python -m shared.kafka_access apply" in access["command"][-1]
    assert "python -m shared.topics" in access["command"][-1]
    env = access["environment"]
    assert env["KAFKA_USERNAME"] == stack_keys.KAFKA_ADMIN
    assert required("KAFKA_ADMIN_PASSWORD").fullmatch(env["KAFKA_PASSWORD"])
    for user in ACCESS:
        assert required(f"KAFKA_PASSWORD_{user.upper()}").fullmatch(env[f"KAFKA_PASSWORD_{user.upper()}"])
    scripts = {name: (ROOT / "infra" / name).read_text(encoding="utf-8") for name in ("kafka.sh", "kafka/container.sh")}
    for text in scripts.values():
        assert "broker.sh" in text and "sasl_properties" in text


def test_compose_serves_the_one_address_through_the_local_proxys_configuration(compose: dict[str, Any]) -> None:
    proxy = compose["services"]["proxy"]
    # The same template as `make up`, rendered in the container with the service names as upstreams.
    assert proxy["entrypoint"] == ["sh", "/infra/proxy/container.sh"]
    assert "./infra/proxy:/infra/proxy:ro" in proxy["volumes"]
    container = (ROOT / "infra" / "proxy" / "container.sh").read_text(encoding="utf-8")
    assert "render_proxy_config /infra/proxy/nginx.conf.template" in container
    local = local_stack_ports()
    for name, port in local.items():
        assert f"PROXY_{name.upper()}={name}:{port}\n" in container, f"{name} is reached by its compose name"
        assert proxy["depends_on"][name] == {"condition": "service_healthy"}
    assert proxy["ports"] == ["${PUBLISH_ADDRESS:-127.0.0.1}:${PROXY_HOST_PORT:-8000}:8000"]
    assert proxy["healthcheck"]["test"][-1] == "http://127.0.0.1:8000/healthz"


def test_intake_and_projections_behind_compose_trust_the_proxy_and_nothing_else(compose: dict[str, Any]) -> None:
    address = compose["services"]["proxy"]["networks"]["default"]["ipv4_address"]
    for name in ("intake", "projections"):  # the rate limit; the audit events' addresses
        assert compose["services"][name]["environment"]["TRUSTED_PROXIES"] == address
    for name in local_stack_ports():
        if name not in ("intake", "projections"):
            assert "TRUSTED_PROXIES" not in compose["services"][name]["environment"]


def test_compose_proxy_is_the_nginx_version_debian_gives_the_local_proxy(compose: dict[str, Any]) -> None:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        pytest.skip("nginx is not installed here (infra/proxy.sh install)")
    version = re.search(r"nginx/(\d+\.\d+)", subprocess.run([nginx, "-v"], capture_output=True, text=True).stderr)
    assert version
    assert compose["services"]["proxy"]["image"] == f"nginx:{version.group(1)}-alpine"


def test_compose_keycloak_is_the_local_version_imports_the_realm_file_and_has_no_default_secret(
    compose: dict[str, Any],
) -> None:
    pom = (ROOT / "infra" / "keycloak" / "pom.xml").read_text(encoding="utf-8")
    version = re.search(r"<keycloak.version>([^<]+)</keycloak.version>", pom)
    assert version
    script = (ROOT / "infra" / "keycloak.sh").read_text(encoding="utf-8")
    assert f'KEYCLOAK_VERSION="${{KEYCLOAK_VERSION:-{version.group(1)}}}"' in script
    keycloak = compose["services"]["keycloak"]
    assert keycloak["image"] == f"quay.io/keycloak/keycloak:{version.group(1)}"
    # The realm file of the repository, imported on start; an existing realm is kept.
    assert "./infra/keycloak/import:/opt/keycloak/data/import:ro" in keycloak["volumes"]
    assert (ROOT / "infra" / "keycloak" / "import" / "county-realm.json").is_file()
    assert "--import-realm" in keycloak["command"]
    env = keycloak["environment"]
    assert required("KEYCLOAK_ADMIN_PASSWORD").fullmatch(env["KC_BOOTSTRAP_ADMIN_PASSWORD"])
    assert required("POSTGRES_PASSWORD").fullmatch(env["KC_DB_PASSWORD"])
    # Its own database on the postgres service, created before it starts.
    assert env["KC_DB_URL"] == "jdbc:postgresql://postgres:5432/keycloak"
    assert keycloak["depends_on"] == {"keycloak-db": {"condition": "service_completed_successfully"}}
    assert compose["services"]["keycloak-db"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert keycloak["ports"] == ["${PUBLISH_ADDRESS:-127.0.0.1}:${KEYCLOAK_HOST_PORT:-8180}:8180"]
    assert "/health/ready" in keycloak["healthcheck"]["test"][1]
    # Never development users or a password sign-in client in the containers' system.
    assert "shared.identity" not in (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
