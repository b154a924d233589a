"""The one address (统一入口): the real nginx, started by infra/proxy.sh on a free port, in front of the five
services as their own processes, as `make up` runs them."""

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator

import httpx

from services.accountability.settings import AccountabilitySettings
from services.cases.settings import CasesSettings
from services.enforcement.settings import EnforcementSettings
from services.intake.settings import IntakeSettings
from services.projections.settings import ProjectionsSettings
from shared.auth import Role
from tests.conftest import SettingsFactory
from tests.e2e.test_intake_rate_limit import REPORT
from tests.support.auth import RoleAuth
from tests.support.service import ServiceProcess, free_port, service_processes
from tests.support.stack import ROOT

TITLES = {
    "intake": "环境问题受理服务",
    "cases": "整改案件服务",
    "enforcement": "环境执法服务",
    "accountability": "问责服务",
    "projections": "统计与报表服务",
}


@contextlib.contextmanager
def proxy(services: list[ServiceProcess]) -> Iterator[str]:
    """infra/proxy.sh start with these services as upstreams; stopped and its state removed afterwards."""
    port = free_port()
    env = {**os.environ, "PROXY_PORT": str(port)}
    for service in services:
        env[f"PROXY_{service.settings.service_name.upper()}"] = f"127.0.0.1:{service.settings.port}"
    script = ["bash", str(ROOT / "infra" / "proxy.sh")]
    subprocess.run([*script, "start"], env=env, check=True, timeout=300)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        subprocess.run([*script, "stop"], env=env, check=True, timeout=30)
        shutil.rmtree(ROOT / ".run" / f"proxy-{port}", ignore_errors=True)
        for log in (ROOT / ".run" / "logs").glob(f"proxy-{port}*.log"):
            log.unlink()


def from_address(address: str) -> httpx.AsyncClient:
    """A client whose connections come from `address` (any of 127.0.0.0/8 reaches the proxy on 127.0.0.1)."""
    return httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(local_address=address), timeout=30)


async def raw_request(base: str, head: str) -> tuple[int, bytes]:
    """Sends only a request's head (a body it announces is never sent) and reads the answer's status and body."""
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(head.encode())
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), timeout=10)
    finally:
        writer.close()
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


async def test_one_address_serves_the_services_the_dashboard_and_the_workbench(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    services = (
        (
            "services.intake",
            make_settings(IntakeSettings, port=free_port(), public_rate_limit="3/hour", trusted_proxies="127.0.0.1"),
        ),
        ("services.cases", make_settings(CasesSettings, port=free_port())),
        ("services.enforcement", make_settings(EnforcementSettings, port=free_port())),
        ("services.accountability", make_settings(AccountabilitySettings, port=free_port())),
        ("services.projections", make_settings(ProjectionsSettings, port=free_port())),
    )
    async with service_processes(*services) as processes:
        with proxy(processes) as base:
            async with httpx.AsyncClient(base_url=base, timeout=30) as client:
                assert (await client.get("/healthz")).json() == {"status": "ok"}

                # Each prefix reaches its own service, the prefix stripped.
                for name, title in TITLES.items():
                    assert (await client.get(f"/api/{name}/healthz")).json() == {"status": "ok"}
                    answer = await client.get(f"/api/{name}/openapi.json", headers={"Accept-Encoding": "gzip"})
                    assert answer.json()["info"]["title"].startswith(title)
                    assert answer.headers["content-encoding"] == "gzip"

                # The dashboard: its page, an asset and the API it reads, all relative to /dashboard/.
                page = await client.get("/dashboard/")
                assert page.status_code == 200 and "统计大屏" in page.text
                assert 'src="dashboard/dashboard.js"' in page.text
                script = await client.get("/dashboard/dashboard/dashboard.js")
                assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
                viewer = {"Authorization": f"Bearer {RoleAuth().token(Role.VIEWER)}"}
                figures = await client.get("/dashboard/v1/stats/closure-rates?group_by=source", headers=viewer)
                assert figures.status_code == 200 and "rows" in figures.json()

                # The public report form behind the proxy: its style, script and form post stay under /api/intake/.
                form = await client.get("/api/intake/report")
                assert form.status_code == 200 and 'action="report"' in form.text
                for asset in ("static/intake.css", "static/report.js"):
                    assert f'"{asset}"' in form.text
                    assert (await client.get(f"/api/intake/{asset}")).status_code == 200, asset

                # The workbench's place: its build, or until then the placeholder, with the static pages' policy.
                home = await client.get("/")
                assert home.status_code == 200
                assert "工作台尚未构建" in home.text or (ROOT / "workbench" / "dist" / "index.html").exists()
                policy = home.headers["content-security-policy"]
                assert "default-src 'self'" in policy and "http://127.0.0.1:8180" in policy
                assert home.headers["x-content-type-options"] == "nosniff"
                assert home.headers["referrer-policy"] == "no-referrer"
                assert home.headers["server"] == "nginx", "no version in the Server header"

                # Unknown addresses: no service, no file.
                for unknown in ("/api/nothing/healthz", "/nothing.html", "/api/"):
                    missing = await client.get(unknown)
                    assert missing.status_code == 404, unknown
                    assert missing.json()["error"]["code"] == "not_found"

            # A body larger than any service takes is refused by the proxy before any of it is read.
            status, body = await raw_request(
                base,
                "POST /api/intake/report HTTP/1.1\r\nHost: proxy\r\nContent-Type: multipart/form-data; boundary=x\r\n"
                f"Content-Length: {31 * 1024 * 1024 + 1}\r\nConnection: close\r\n\r\n",
            )
            assert status == 413
            assert json.loads(body)["error"] == {
                "code": "payload_too_large",
                "message": "提交的内容超过 31 MB 的上限，请减少或压缩照片、文件后再提交",
            }

            # The public rate limit counts the address the proxy saw, whatever the client writes in X-Forwarded-For;
            # even a client on the proxy's own address (which intake trusts) cannot hide behind a forged one.
            async with from_address("127.0.0.1") as local, from_address("127.0.0.2") as neighbour:
                sent = [
                    await local.post(
                        f"{base}/api/intake/v1/reports", json=REPORT, headers={"X-Forwarded-For": f"198.51.100.{n}"}
                    )
                    for n in range(4)
                ]
                assert [answer.status_code for answer in sent] == [202, 202, 202, 429]
                assert sent[-1].headers["retry-after"]
                # Intake sees every request come from the proxy: only the proxy's header tells the two apart.
                elsewhere = await neighbour.post(f"{base}/api/intake/v1/reports", json=REPORT)
                assert elsewhere.status_code == 202, "another address has a count of its own"
