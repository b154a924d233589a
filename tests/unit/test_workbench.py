"""The workbench (工作台, workbench/) as `make assets` builds it: its own unit tests (vitest: the API client's
error mapping, identity, deadlines, credit codes, money, the daily penalty, request bodies), and a build that holds no
development sign-in and reads its identity provider from config.json. make test builds it first (`assets`),
type-checked by vue-tsc. What the workbench mirrors of the services (the codes its forms offer, the bodies they send)
is checked against the services here."""

import importlib
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from shared.contracts.codes import DOMAIN_LABELS, MEASURE_LABELS, MEETING_LABELS, PERSON_MEASURES, SOURCE_LABELS

ROOT = Path(__file__).resolve().parents[2]
WORKBENCH = ROOT / "workbench"
DIST = WORKBENCH / "dist"
REALM = ROOT / "infra" / "keycloak" / "import" / "county-realm.json"
BUILT = "workbench/dist is missing: run make assets (npm ci and vite build)"


@pytest.fixture(scope="module")
def built() -> Path:
    assert (DIST / "index.html").exists(), BUILT
    return DIST


def test_the_workbench_unit_tests_pass() -> None:
    npx = shutil.which("npx")
    assert npx is not None, "Node.js is missing: the workbench is built and tested with npm"
    assert (WORKBENCH / "node_modules" / ".bin" / "vitest").exists(), BUILT
    run = subprocess.run(
        [npx, "--no-install", "vitest", "run", "--reporter=dot"],
        cwd=WORKBENCH,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": str(Path(npx).parent) + ":/usr/bin:/bin", "CI": "1", "NO_COLOR": "1"},
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-4000:]
    passed = re.search(r"Tests\s+(\d+) passed", output)
    assert passed is not None and int(passed.group(1)) >= 20, output[-2000:]


def test_the_build_holds_no_development_sign_in(built: Path) -> None:
    """The pasted-token sign-in (auth/devToken.ts) exists only in Vite's dev server, never in a build."""
    marker = re.search(r"MARKER = '([^']+)'", (WORKBENCH / "src" / "auth" / "devToken.ts").read_text())
    assert marker is not None
    for path in built.rglob("*"):
        if path.is_file() and path.suffix in {".js", ".html", ".css", ".json"}:
            text = path.read_text(encoding="utf-8")
            assert marker.group(1) not in text and "workbench.devToken" not in text, path


def test_the_build_loads_nothing_from_another_host(built: Path) -> None:
    page = (built / "index.html").read_text()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(s.startswith(("/assets/", "data:")) for s in sources), sources


def test_config_json_names_the_realm_and_the_public_pkce_client_of_the_realm_file(built: Path) -> None:
    config = json.loads((built / "config.json").read_text())
    realm = json.loads(REALM.read_text())
    assert config["authority"] == f"http://127.0.0.1:8180/realms/{realm['realm']}"
    (client,) = [c for c in realm["clients"] if c["clientId"] == config["client_id"]]
    assert client["publicClient"] and client["attributes"]["pkce.code.challenge.method"] == "S256"
    assert "http://127.0.0.1:8000/*" in client["redirectUris"]


def _ts_constant(name: str) -> str:
    source = (WORKBENCH / "src" / "codes.ts").read_text(encoding="utf-8")
    found = re.search(rf"export const {name}\b[^=]*= ([{{\[].*?[}}\]])\n", source, re.S)
    assert found is not None, name
    return found.group(1)


def _ts_labels(name: str) -> dict[str, str]:
    return dict(re.findall(r"(\w+): '([^']*)'", _ts_constant(name)))


def test_the_codes_the_workbench_offers_are_the_services_with_their_labels() -> None:
    assert _ts_labels("DOMAIN_LABELS") == {d.value: label for d, label in DOMAIN_LABELS.items()}
    assert _ts_labels("MEASURE_LABELS") == {m.value: label for m, label in MEASURE_LABELS.items()}
    assert _ts_labels("MEETING_LABELS") == {m.value: label for m, label in MEETING_LABELS.items()}
    assert set(re.findall(r"'(\w+)'", _ts_constant("PERSON_MEASURES"))) == {m.value for m in PERSON_MEASURES}
    hotlines = _ts_labels("HOTLINE_LABELS")
    assert hotlines == {s.value: label for s, label in SOURCE_LABELS.items() if s.value in hotlines}
    assert set(hotlines) == {"hotline_12369", "county_hotline"}


def _model(path: str) -> type[BaseModel]:
    module, name = path.split(":")
    model: type[BaseModel] = getattr(importlib.import_module(module), name)
    return model


@pytest.mark.parametrize(
    "example",
    json.loads((WORKBENCH / "tests" / "request-bodies.json").read_text(encoding="utf-8"))["bodies"],
    ids=lambda example: str(example["name"]),
)
def test_every_body_the_workbench_sends_is_taken_by_the_apis_own_model(example: dict[str, Any]) -> None:
    """workbench/tests/bodies.test.ts checks that the forms build exactly these bodies."""
    _model(example["model"]).model_validate(example["body"])
