"""Building parameterised SQL: values always travel as parameters, never inside the text."""

from typing import Any


class Params:
    """Collects the values of a query; calling it with a value gives that value's placeholder."""

    def __init__(self) -> None:
        self.values: list[Any] = []

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}"


def where(conditions: list[str]) -> str:
    return " and ".join(conditions) if conditions else "true"
