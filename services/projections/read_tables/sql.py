"""Building parameterised SQL: values always travel as parameters, never inside the text."""

from typing import Any

from shared.db import Connection


class Params:
    """Collects the values of a query; calling it with a value gives that value's placeholder."""

    def __init__(self) -> None:
        self.values: list[Any] = []

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}"


def where(conditions: list[str]) -> str:
    return " and ".join(conditions) if conditions else "true"


async def insert(conn: Connection, table: str, **values: Any) -> None:
    """Inserts a fact once: a row whose key (its event) is already there is left as it is."""
    columns = ", ".join(values)
    placeholders = ", ".join(f"${n}" for n in range(1, len(values) + 1))
    await conn.execute(
        f"insert into {table} ({columns}) values ({placeholders}) on conflict do nothing", *values.values()
    )
