"""helm, kubeconform and the JSON schemas the chart's tests need (`make chart-tools`), built while other tests run.

The first build of helm from the Go module proxy takes minutes of CPU; started at collection (niced, one build for
every test worker: a lock), it uses what the broker's and Keycloak's waits leave idle, and the tests that need it run
last (tests/conftest.py).
"""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache"
HELM = CACHE / "go" / "bin" / "helm"
KUBECONFORM = CACHE / "go" / "bin" / "kubeconform"
SCHEMAS = CACHE / "chart" / "schemas"
LOCK = CACHE / "chart-tools.lock"
LOG = CACHE / "chart-tools.log"
# A build that needs longer than this on two cores has failed in a way the log shows.
WAIT_SECONDS = 1800


def built() -> bool:
    return all(path.exists() for path in (HELM, KUBECONFORM, SCHEMAS / ".complete"))


def _make(*wrapper: str) -> list[str]:
    return ["flock", *wrapper, str(LOCK), "make", "--no-print-directory", "-C", str(ROOT), "chart-tools"]


def launch_early() -> None:
    """`make chart-tools` in the background at the lowest priority, unless everything is built already."""
    if built():
        return
    CACHE.mkdir(exist_ok=True)
    with LOG.open("ab") as out:
        subprocess.Popen(["nice", "-n", "19", *_make()], stdout=out, stderr=out, start_new_session=True)


def ensure_built() -> None:
    """Waits for the background build (its lock), then runs `make chart-tools` itself: nothing to do once built, the
    build again (and its error) if the background one failed."""
    done = subprocess.run(_make("-w", str(WAIT_SECONDS)), capture_output=True, text=True)
    if done.returncode or not built():
        log = LOG.read_text(encoding="utf-8", errors="replace")[-3000:] if LOG.exists() else ""
        raise RuntimeError(
            f"make chart-tools failed ({done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-3000:]}\n{log}"
        )
