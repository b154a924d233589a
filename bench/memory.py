"""Peak resident memory (VmHWM) of each service process.

The pid comes from `.run/pids/<service>.pid` when that process is alive and is that service;
otherwise from the process listening on the service's port, so a stale pid file cannot make
the bench measure the wrong process.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit


def peak_rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _is_service(pid: int, service: str) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return f"services.{service}".encode() in cmdline


def _listening_inodes(port: int) -> set[str]:
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(inode)
    return inodes


def listening_pid(port: int) -> int | None:
    """The process that listens on a TCP port (needs permission to read its fds: same user or root)."""
    inodes = _listening_inodes(port)
    if not inodes:
        return None
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            for fd in os.listdir(f"/proc/{entry}/fd"):
                target = os.readlink(f"/proc/{entry}/fd/{fd}")
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    return int(entry)
        except OSError:
            continue
    return None


def service_pids(service: str, url: str, pids_dir: Path) -> tuple[int, ...]:
    """Every running instance of a service: infra/services.sh's `<service>-<i>.pid` files (an instance being drained
    has renamed its file and is left out), else one process from `<service>.pid`, else the one listening on the URL's
    port."""
    files = sorted(pids_dir.glob(f"{service}-[1-9].pid")) or [pids_dir / f"{service}.pid"]
    pids = []
    for pid_file in files:
        text = pid_file.read_text().strip() if pid_file.is_file() else ""
        if text.isdigit() and _is_service(int(text), service):
            pids.append(int(text))
    if pids:
        return tuple(pids)
    port = urlsplit(url).port
    pid = listening_pid(port) if port else None
    return (pid,) if pid else ()
