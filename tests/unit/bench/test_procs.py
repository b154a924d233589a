"""The CPU-per-report figures' sampling: a process's CPU time over a window, a cluster's children included."""

import subprocess
import sys
import time

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
