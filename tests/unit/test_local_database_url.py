"""infra/ports.sh `local_database_url`: the stack's services reach its PostgreSQL over the Unix socket when there is
one in the state folder, else over TCP (nothing printed); the URL is one asyncpg reads as that socket."""

import asyncio
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from tests.support.stack import ROOT


def local_database_url(state: Path, port: int | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin"} | ({"PGPORT": str(port)} if port else {})
    return subprocess.run(
        ["bash", "-c", f'source "{ROOT}/infra/ports.sh" && local_database_url "$0"', str(state)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


@pytest.fixture
def listening() -> Iterator[list[socket.socket]]:
    sockets: list[socket.socket] = []
    yield sockets
    for s in sockets:
        s.close()


def listen(path: Path, sockets: list[socket.socket]) -> None:
    path.parent.mkdir(parents=True)
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(path))
    sockets.append(s)


def test_the_socket_of_the_default_port_is_given_as_a_url_asyncpg_reads_as_that_socket(
    tmp_path: Path, listening: list[socket.socket]
) -> None:
    listen(tmp_path / "pg" / "sock" / ".s.PGSQL.55432", listening)
    answer = local_database_url(tmp_path)
    assert answer.returncode == 0, answer.stderr
    url = answer.stdout.strip()
    assert url == f"postgresql://postgres@/postgres?host={tmp_path.resolve()}/pg/sock&port=55432"
    # asyncpg, given it, knocks on that socket (which answers nothing a server would: the connection then fails)
    knocked = listening[0]
    knocked.listen(1)
    knocked.settimeout(5)
    with pytest.raises((OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)):
        asyncio.run(asyncpg.connect(url, timeout=0.5))
    knocked.accept()[0].close()


def test_another_port_has_its_own_state_folder(tmp_path: Path, listening: list[socket.socket]) -> None:
    listen(tmp_path / "pg-56000" / "sock" / ".s.PGSQL.56000", listening)
    assert local_database_url(tmp_path, 56000).stdout.strip().endswith("/pg-56000/sock&port=56000")
    assert local_database_url(tmp_path).returncode == 1  # the default port's socket is not there


def test_no_socket_or_a_path_that_needs_escaping_keeps_tcp(tmp_path: Path, listening: list[socket.socket]) -> None:
    assert local_database_url(tmp_path).returncode == 1
    assert local_database_url(tmp_path).stdout == ""
    spaced = tmp_path / "a state"
    listen(spaced / "pg" / "sock" / ".s.PGSQL.55432", listening)
    assert local_database_url(spaced).returncode == 1
