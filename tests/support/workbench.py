"""The built workbench in a browser test: the tests' Keycloak accepting the test's origin for a while, and a proxy
(infra/proxy.sh) on a port of the test's serving a copy of workbench/dist with the test's config.json in front of
the test's services."""

import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from shared import identity
from tests.support.keycloak import Keycloak
from tests.support.stack import ROOT

DIST = ROOT / "workbench" / "dist"


@contextlib.contextmanager
def redirects_allowed(keycloak: Keycloak, origin: str) -> Iterator[None]:
    """The workbench client of the tests' Keycloak also accepts `origin` (redirects, CORS, sign-out), then no more.

    Each change signs in as the admin again (a browser test outlives the admin's one-minute token) and touches only
    this origin's entries, so another test's are kept."""
    redirect, logout = f"{origin}/*", f"##{origin}/*"

    def change(edit: Callable[[dict[str, Any]], None]) -> None:
        with identity.admin_client(keycloak.url, keycloak.admin_password) as admin:
            (client,) = admin.get(f"/{identity.REALM}/clients", params={"clientId": identity.WORKBENCH_CLIENT}).json()
            edit(client)
            admin.put(f"/{identity.REALM}/clients/{client['id']}", json=client).raise_for_status()

    def allow(client: dict[str, Any]) -> None:
        client["redirectUris"].append(redirect)
        client["webOrigins"].append(origin)
        client["attributes"]["post.logout.redirect.uris"] += logout

    def disallow(client: dict[str, Any]) -> None:
        client["redirectUris"] = [uri for uri in client["redirectUris"] if uri != redirect]
        client["webOrigins"] = [uri for uri in client["webOrigins"] if uri != origin]
        attributes = client["attributes"]
        attributes["post.logout.redirect.uris"] = attributes["post.logout.redirect.uris"].replace(logout, "")

    change(allow)
    try:
        yield
    finally:
        change(disallow)


@contextlib.contextmanager
def proxy_serving(
    config: dict[str, str], port: int, idp_origin: str, services: Mapping[str, str] | None = None
) -> Iterator[str]:
    """infra/proxy.sh on `port` serving a copy of the build with this config.json (under .run/, which nginx's
    workers can read), stopped and its state removed afterwards. `services` maps a service's name to the
    host:port it answers on (the proxy's defaults otherwise: make up's ports)."""
    state = ROOT / ".run" / f"proxy-{port}"
    static_root = state / "workbench"
    shutil.copytree(DIST, static_root)
    (static_root / "config.json").write_text(json.dumps(config))
    env = {
        **os.environ,
        "PROXY_PORT": str(port),
        "PROXY_STATIC_ROOT": str(static_root),
        "PROXY_IDP_ORIGIN": idp_origin,
        **{f"PROXY_{name.upper()}": address for name, address in (services or {}).items()},
    }
    script = ["bash", str(ROOT / "infra" / "proxy.sh")]
    try:
        subprocess.run([*script, "start"], env=env, check=True, timeout=300)
        yield f"http://127.0.0.1:{port}"
    finally:
        subprocess.run([*script, "stop"], env=env, check=True, timeout=30)
        shutil.rmtree(state, ignore_errors=True)
        for log in (ROOT / ".run" / "logs").glob(f"proxy-{port}*.log"):
            log.unlink()
