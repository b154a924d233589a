"""The proxy's one template (infra/proxy/nginx.conf.template), rendered as infra/proxy.sh renders it and checked
by nginx itself when nginx is installed."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from services.cases.api.evidence import body_limits as evidence_limits
from services.cases.settings import CasesSettings
from services.intake.limits import body_limits
from services.intake.settings import IntakeSettings
from shared.body_limit import MIB
from shared.settings import ServiceSettings
from tests.unit.test_compose import local_stack_ports

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "infra" / "proxy" / "nginx.conf.template"


def render(tmp_path: Path, **overrides: str) -> subprocess.CompletedProcess[str]:
    values = {
        "LISTEN": "127.0.0.1:18000",
        "PID_FILE": str(tmp_path / "nginx.pid"),
        "ERROR_LOG": str(tmp_path / "error.log"),
        "ACCESS_LOG": str(tmp_path / "access.log"),
        "TEMP_DIR": str(tmp_path),
        "STATIC_ROOT": str(ROOT / "infra" / "proxy" / "placeholder"),
        "IDP_ORIGIN": "http://127.0.0.1:8180",
        **{name.upper(): f"127.0.0.1:{port}" for name, port in local_stack_ports().items()},
        **overrides,
    }
    env = {**os.environ, **{f"PROXY_{name}": value for name, value in values.items()}}
    script = f'. infra/proxy/render.sh && render_proxy_config "{TEMPLATE}"'
    return subprocess.run(["sh", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)


@pytest.fixture
def config(tmp_path: Path) -> str:
    rendered = render(tmp_path)
    assert rendered.returncode == 0, rendered.stderr
    return rendered.stdout


def test_every_service_has_its_upstream_and_its_prefix(config: str) -> None:
    for name, port in local_stack_ports().items():
        assert re.search(rf"upstream {name} {{\n\s+server 127\.0\.0\.1:{port} ", config), name
        assert re.search(rf"location /api/{name}/ {{\n\s+proxy_pass http://{name}/;", config), name
    assert re.search(r"location /dashboard/ {\n\s+proxy_pass http://projections/;", config)
    assert re.search(r"location /public/ {\n\s+proxy_pass http://projections/public/;", config)
    assert "location = /healthz" in config


def test_the_proxy_takes_the_largest_body_a_service_takes_and_no_more(config: str) -> None:
    intake = IntakeSettings(environment="development")
    cases = CasesSettings(environment="development")
    largest = max(
        [
            ServiceSettings().max_body_bytes,
            intake.max_json_bytes,
            *body_limits(intake).values(),
            *evidence_limits(cases.evidence_max_bytes).values(),
        ]
    )
    size = re.search(r"client_max_body_size (\d+)m;", config)
    assert size and int(size.group(1)) * MIB == largest
    assert f"超过 {largest // MIB} MB 的上限" in config


def test_retries_never_repeat_a_request_a_service_may_have_acted_on(config: str) -> None:
    directives = [line.split("#")[0].strip() for line in config.splitlines()]
    retries = [line for line in directives if line.startswith("proxy_next_upstream ")]
    assert retries == ["proxy_next_upstream error timeout;"], "no http_5xx, no non_idempotent: an answer is final"
    assert "proxy_next_upstream_timeout 5s;" in config


def test_the_client_cannot_choose_the_address_intake_rate_limits(config: str) -> None:
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in config
    assert "$proxy_add_x_forwarded_for" not in config


def test_a_value_that_would_end_a_directive_is_refused(tmp_path: Path) -> None:
    rendered = render(tmp_path, STATIC_ROOT="/srv/a b; root /etc")
    assert rendered.returncode != 0 and "PROXY_STATIC_ROOT" in rendered.stderr
    rendered = render(tmp_path, INTAKE="")
    assert rendered.returncode != 0 and "PROXY_INTAKE is not set" in rendered.stderr


def test_nginx_accepts_the_rendered_configuration(config: str, tmp_path: Path) -> None:
    # The proxy's own installer: Debian's nginx, as `make up` and the proxy's e2e test get it.
    subprocess.run(["bash", str(ROOT / "infra" / "proxy.sh"), "install"], check=True, capture_output=True)
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    path = tmp_path / "nginx.conf"
    path.write_text(config, encoding="utf-8")
    checked = subprocess.run(
        [nginx, "-t", "-q", "-p", str(tmp_path), "-c", str(path), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
