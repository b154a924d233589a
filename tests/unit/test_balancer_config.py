"""The balancer's configuration (infra/balancer.sh render): one frontend on each service's own port and one server
per instance taking requests, all ports from infra/services.sh's one table; checked by HAProxy when installed."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.unit.test_compose import local_stack_ports

ROOT = Path(__file__).resolve().parents[2]


def render(run: Path, base: int) -> str:
    env = {**os.environ, "STACK_RUN": str(run), "SERVICES_PORT_BASE": str(base)}
    done = subprocess.run(["bash", "infra/balancer.sh", "render"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def run(tmp_path: Path) -> Path:
    """A state folder where intake runs instances 1 and 3, instance 2 is draining and cases' 2 is starting."""
    pids = tmp_path / "pids"
    pids.mkdir()
    for name in ("intake-1-30000.pid", "intake-3-30000.pid", "intake-2-30000.stopping", "cases-2-30000.starting"):
        (pids / name).write_text("1")
    return tmp_path


def test_each_service_listens_on_its_own_port_and_balances_over_its_serving_instances(run: Path) -> None:
    config = render(run, 30000)
    for name, port in local_stack_ports().items():
        assert f"frontend {name}\n    bind 127.0.0.1:{30000 + port - 8000}\n" in config
        assert re.search(rf"backend {name}\n(    .*\n)*?    option httpchk GET /readyz\n", config), name
    servers = re.findall(r"server (\S+) 127\.0\.0\.1:(\d+)", config)
    # instance i of the service numbered n listens on base + 10 n + i; one draining or starting takes no request
    assert servers == [("intake-1", "30011"), ("intake-3", "30013")]


def test_the_default_base_keeps_every_address_of_one_instance_per_service(tmp_path: Path) -> None:
    config = render(tmp_path, 8000)
    assert re.findall(r"bind 127\.0\.0\.1:(\d+)", config) == [str(p) for p in local_stack_ports().values()]


@pytest.mark.skipif(shutil.which("haproxy") is None and not Path("/usr/sbin/haproxy").exists(), reason="no HAProxy")
def test_haproxy_accepts_the_configuration(run: Path, tmp_path: Path) -> None:
    conf = tmp_path / "haproxy.cfg"
    conf.write_text(render(run, 30000))
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    checked = subprocess.run([haproxy, "-c", "-f", str(conf)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def test_connections_to_the_instances_are_reused_and_the_instances_keep_them_longer_than_the_proxies(
    tmp_path: Path,
) -> None:
    from shared.settings import ServiceSettings

    config = render(tmp_path, 8000)
    # a new connection per request cost intake half its rate through the balancer (docs/scaling.md)
    assert "option http-keep-alive" in config and "http-server-close" not in config
    nginx = (ROOT / "infra/proxy/nginx.conf.template").read_text()
    upstream_idle = {int(s) for s in re.findall(r"^\s+keepalive_timeout (\d+)s;", nginx, re.M)}
    # nginx's upstream connections and HAProxy's pooled ones are closed by the proxy, never under a request by the
    # instance: an instance keeps an idle connection longer than either
    assert upstream_idle and max(upstream_idle) < ServiceSettings().keep_alive_seconds
