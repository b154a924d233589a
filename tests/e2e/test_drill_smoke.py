"""The short drill, as `make test` runs it: on a Kafka broker and a PostgreSQL server of its own
(ports 19192/19193 and 55533), so it never stops the shared ones, it kills services, stops the
broker and restarts the database under load, and finds nothing lost and nothing doubled.
"""

import asyncio
import json
import os
import sys
from pathlib import Path

from shared.signin import SignInSettings
from tests.support.ports import free_ports
from tests.support.stack import ROOT

# Another checkout's tests may run the drill at the same time: DRILL_PORTS="kafka,controller,postgres" moves it.
KAFKA_PORT, KAFKA_CONTROLLER_PORT, PG_PORT = (
    int(port) for port in os.environ.get("DRILL_PORTS", "19192,19193,55533").split(",")
)


def five_free_ports() -> int:
    """A first port such that it and the four after it are free, and none is one the drill's own Kafka or
    PostgreSQL will take: those are not listening yet when the ports are chosen."""
    return free_ports(5, avoid=frozenset({KAFKA_PORT, KAFKA_CONTROLLER_PORT, PG_PORT}))


async def test_the_short_drill_loses_and_doubles_nothing_when_parts_fail(
    tmp_path: Path, dev_sign_in: SignInSettings
) -> None:
    out = tmp_path / "drill.json"
    args = [
        sys.executable,
        "-m",
        "drill",
        "--short",
        "--kafka-port",
        str(KAFKA_PORT),
        "--kafka-controller-port",
        str(KAFKA_CONTROLLER_PORT),
        "--pg-port",
        str(PG_PORT),
        "--base-port",
        str(five_free_ports()),
        "--out",
        str(out),
    ]
    # The drill's services trust the tests' Keycloak, where its load signs in as the development users.
    sign_in = {"OIDC_ISSUER": dev_sign_in.oidc_issuer, "DEV_USERS_FILE": str(dev_sign_in.dev_users_file)}
    drill = await asyncio.create_subprocess_exec(
        *args, cwd=ROOT, env=os.environ | sign_in, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await asyncio.wait_for(drill.communicate(), 400)
    printed = stdout.decode()
    assert drill.returncode == 0, f"{printed}\n{stderr.decode()[-3000:]}"

    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["passed"] is True
    stages = {s["name"]: s for s in result["stages"]}
    assert list(stages) == [*result["plan"]["faults"], "final"]
    for name in result["plan"]["faults"]:
        assert stages[name]["ready_after_s"] is not None, name
        assert stages[name]["findings"] == [], name
    final = stages["final"]
    assert final["counts"]["reports_accepted"] == final["counts"]["issues_in_projections"] > 0
    assert final["counts"]["case_events_on_topic"] >= final["counts"]["case_events_in_store"] > 0
    assert final["counts"]["deadlines_missed"] == final["counts"]["escalations"] > 0
    assert final["rebuild"]["replayed_events"] > 0
    # the cases service's /metrics shows how late after each deadline its DeadlineMissed was written
    assert final["deadline_delay"]["observed"] > 0 and final["deadline_delay"]["mean_s"] >= 0
    assert "演练通过" in printed
