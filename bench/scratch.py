"""Scratch databases on the stack's PostgreSQL server: made for one measurement, dropped after it."""

import contextlib
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import asyncpg

from shared.settings import dsn_for


@contextlib.asynccontextmanager
async def scratch_database(server_url: str, name: str) -> AsyncIterator[str]:
    """Yields the DSN of a new empty database `name`; drops it afterwards, whatever happened."""
    admin = await asyncpg.connect(dsn_for(server_url, "postgres"))
    try:
        await admin.execute(f'drop database if exists "{name}" with (force)')
        await admin.execute(f'create database "{name}"')
        try:
            yield dsn_for(server_url, name)
        finally:
            await admin.execute(f'drop database if exists "{name}" with (force)')
    finally:
        await admin.close()


def connection_parts(dsn: str) -> dict[str, str]:
    """host, port, user, password and dbname of a postgresql:// URL, for tools that take them apart."""
    parts = urlsplit(dsn)
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": str(parts.port or 5432),
        "user": parts.username or "postgres",
        "password": parts.password or "",
        "dbname": parts.path.lstrip("/") or "postgres",
    }
