"""The CPU-per-report figures' sampling: a process's CPU time over a window, a cluster's children included."""

import subprocess
import sys
import time
from pathlib import Path

from bench import memory
from bench.procs import CpuWindow

# Waits for a line, then runs a child that spends 0.3 s of CPU and exits (reaped by the parent), then sleeps.
PARENT = (
    "import subprocess, sys, time\n"
    "sys.stdin.readline()\n"
    "burn = 'import time\\nt = time.process_time()\\nwhile time.process_time() - t < 0.3: pass'\n"
    "subprocess.run([sys.executable, '-c', burn])\n"
    "print('done', flush=True)\n"
    "time.sleep(60)\n"
)


def test_the_cpu_of_a_child_that_exits_within_the_window_is_counted_for_a_cluster_not_for_a_single_process() -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)  # the parent's own start-up falls before the window
        window = CpuWindow({"postgresql": parent.pid, "bench": parent.pid, "single": parent.pid}).start()
        assert parent.stdin is not None and parent.stdout is not None
        parent.stdin.write("go\n")
        parent.stdin.flush()
        assert parent.stdout.readline().strip() == "done"
        spent = window.stop()
    finally:
        parent.kill()
        parent.wait()
    assert 0.25 <= spent.seconds["postgresql"] < 2.0
    assert 0.25 <= spent.seconds["bench"] < 2.0  # the bench with its load generator, as PostgreSQL with its backends
    assert spent.seconds["single"] < 0.2  # without the tree, the child's time is not the parent's own
    assert spent.total == spent.seconds["postgresql"] + spent.seconds["bench"] + spent.seconds["single"]
    assert spent.machine_busy >= spent.seconds["postgresql"] * 0.5


BURN = (
    "import sys, time\n"
    "sys.stdin.readline()\n"
    "t = time.process_time()\n"
    "while time.process_time() - t < 0.3: pass\n"
    "print('done', flush=True)\n"
    "time.sleep(60)\n"
)


def test_a_name_with_several_instances_counts_them_all_and_its_ceiling_is_a_core_each() -> None:
    burners = [
        subprocess.Popen([sys.executable, "-c", BURN], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    try:
        time.sleep(0.5)  # the interpreters' start-up falls before the window
        window = CpuWindow({"intake": tuple(b.pid for b in burners), "kafka": burners[0].pid}).start()
        for b in burners:
            assert b.stdin is not None
            b.stdin.write("go\n")
            b.stdin.flush()
        for b in burners:
            assert b.stdout is not None and b.stdout.readline().strip() == "done"
        spent = window.stop()
    finally:
        for b in burners:
            b.kill()
            b.wait()
    assert 0.55 <= spent.seconds["intake"] < 2.5  # both instances' 0.3 s
    assert 0.25 <= spent.seconds["kafka"] < spent.seconds["intake"]  # one of them
    assert spent.processes == {"intake": 2, "kafka": 1}


def test_every_serving_instance_of_a_service_is_found_from_its_pid_file(tmp_path: Path) -> None:
    def running(*argv: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", *argv])

    first, second, other = running("services.intake"), running("services.intake"), running("services.cases")
    try:
        (tmp_path / "intake-1.pid").write_text(f"{first.pid}\n")
        (tmp_path / "intake-2.pid").write_text(f"{second.pid}\n")
        (tmp_path / "intake-3.pid.stopping").write_text("1\n")  # being drained: not serving
        (tmp_path / "intake-4.pid").write_text(f"{other.pid}\n")  # a pid file left over from another process
        assert memory.service_pids("intake", "http://127.0.0.1:1", tmp_path) == (first.pid, second.pid)
        assert memory.service_pids("cases", "http://127.0.0.1:1", tmp_path) == ()
    finally:
        for p in (first, second, other):
            p.kill()
            p.wait()
