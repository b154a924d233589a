"""Building parameterised SQL: values always travel as parameters, never inside the text."""

from typing import Any

import orjson

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


def array_literal(values: list[str]) -> str:
    """A text array as PostgreSQL writes it (`{"a","b"}`), for an array per row sent in one array of text."""
    quoted = ('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' for value in values)
    return "{" + ",".join(quoted) + "}"


def rows_json(rows: list[dict[str, Any]]) -> str:
    """Rows as one JSON array, as `jsonb_populate_recordset` reads them: ids, moments and dates as their text."""
    return orjson.dumps(rows).decode()


async def insert_rows(conn: Connection, table: str, rows: list[dict[str, Any]]) -> None:
    """Inserts rows of facts once each, in one statement: a row whose key (its event) is already there is left as it
    is. A row names the table's columns; a column it leaves out is null."""
    if rows:
        await conn.execute(
            f"""insert into {table} select * from jsonb_populate_recordset(null::{table}, $1::text::jsonb)
                on conflict do nothing""",
            rows_json(rows),
        )
