"""How many loader processes a rebuild starts by default: the cores it may use, a container's CPU limit included."""

import os
from pathlib import Path

from services.projections.rebuild import available_cores


def test_a_cgroup_quota_caps_the_loaders_and_no_quota_leaves_the_affinity(tmp_path: Path) -> None:
    affinity = len(os.sched_getaffinity(0))
    cpu_max = tmp_path / "cpu.max"
    cpu_max.write_text("100000 100000\n")
    assert available_cores(cpu_max) == 1
    cpu_max.write_text("150000 100000\n")
    assert available_cores(cpu_max) == min(2, affinity)
    cpu_max.write_text("max 100000\n")
    assert available_cores(cpu_max) == affinity
    assert available_cores(tmp_path / "none") == affinity  # cgroup v1, or no cgroup file system
