"""The bench's smoke run against services started here: every figure and every baseline comes out.

Not a timed test: it checks that the harness measures everything, not how fast anything is.
"""

import asyncio
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from bench import generators, http_figures, open_loop, saturation
from bench.main import SPECS
from bench.procs import WATCHED
from services.accountability.settings import AccountabilitySettings
from services.cases.settings import CasesSettings
from services.enforcement.settings import EnforcementSettings
from services.intake.settings import IntakeSettings
from services.projections.settings import ProjectionsSettings
from shared.signin import SignInSettings
from tests.conftest import SettingsFactory
from tests.support.service import free_port, service_processes
from tests.support.stack import ROOT

SERVICES = {
    "intake": IntakeSettings,
    "cases": CasesSettings,
    "enforcement": EnforcementSettings,
    "accountability": AccountabilitySettings,
    "projections": ProjectionsSettings,
}


@pytest.mark.saturates  # last among the Keycloak tests, not started beside the drill (tests/conftest.py)
async def test_the_bench_smoke_gives_every_figure_beside_its_baseline(
    make_settings: SettingsFactory, topics: list[str], prefix: str, tmp_path: Path, dev_sign_in: SignInSettings
) -> None:
    # The bench signs in as development users of the tests' Keycloak, which the services trust.
    issuer = dev_sign_in.oidc_issuer
    settings = {name: make_settings(cls, port=free_port(), oidc_issuer=issuer) for name, cls in SERVICES.items()}
    modules = [(f"services.{name}", s) for name, s in settings.items()]
    async with service_processes(*modules) as procs:
        pids = tmp_path / "pids"
        pids.mkdir()
        for (name, _), proc in zip(settings.items(), procs, strict=True):
            assert proc.process is not None
            (pids / f"{name}.pid").write_text(str(proc.process.pid))
        out = tmp_path / "latest.json"
        any_settings = settings["intake"]
        args = [
            sys.executable,
            "-m",
            "bench",
            "--smoke",
            *(a for name, proc in zip(settings, procs, strict=True) for a in (f"--{name}-url", proc.url)),
            "--database-url",
            any_settings.database_url,
            "--kafka-bootstrap-servers",
            any_settings.kafka_bootstrap_servers,
            "--topic-prefix",
            any_settings.topic_prefix,
            "--projections-database",
            settings["projections"].database,
            "--cases-database",
            settings["cases"].database,
            "--run",
            prefix,
            "--pids-dir",
            str(pids),
            "--out",
            str(out),
        ]
        bench = await asyncio.create_subprocess_exec(
            *args,
            cwd=ROOT,
            env=os.environ | {"OIDC_ISSUER": issuer, "DEV_USERS_FILE": str(dev_sign_in.dev_users_file)},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        stdout, stderr = await asyncio.wait_for(bench.communicate(), 300)
    printed = stdout.decode()
    assert bench.returncode == 0, f"{printed}\n{stderr.decode()[-3000:]}"

    result = json.loads(out.read_text(encoding="utf-8"))
    figures = {(f["key"], f["baseline"]): f for f in result["figures"]}
    skipped = result["skipped"]
    for spec in SPECS:
        if spec.key in skipped:
            assert spec.label not in printed and skipped[spec.key] in printed, spec.key
            continue
        figure = figures.get((spec.key, spec.baseline))
        assert figure is not None, f"{spec.key} (against {spec.baseline}) is missing"
        assert figure["value"] is not None and (figure["value"] > 0 or spec.may_be_zero), figure
        if spec.baseline:
            assert figure["baseline_value"] is not None and figure["baseline_value"] > 0, figure
            assert figure["ratio"] is not None, figure
        assert spec.label in printed
    # only a generator missing from the machine may leave figures out
    assert set(skipped.values()) <= {saturation.NO_WRK, open_loop.NO_VEGETA, http_figures.NO_LOOP_CLIENT}, skipped
    if shutil.which("wrk"):
        assert not any(key in skipped for key in saturation.CPU_KEYS + saturation.ALONE_KEYS)
    if generators.vegeta_binary():
        assert not any(key in skipped for key in open_loop.KEYS)
    if shutil.which("go"):  # make test builds loopclient
        assert generators.loop_client_binary(), "make test builds loopclient where go is installed"
        assert not any(key in skipped for key in http_figures.LOOP_KEYS)
        assert set(result["raw"]["loop_steps"]) == set(http_figures.LOOP_STEPS)
    assert result["errors"] == []
    assert result["raw"]["rebuild"]["events"] > 0
    # every report wrk's saturation run got a 202 for was counted by the projections, CPU of each process sampled
    assert set(result["raw"].get("cpu", {}).get("cpu_seconds", WATCHED)) == set(WATCHED)
