"""A county's policy file (TOML, sections of known keys): read, its numbers as Decimal, refused with a message naming
the file and the key. The escalation policy (accountability/policy.py) and the assessment policy
(projections/assessment.py) read theirs through these."""

import tomllib
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

Sections = Mapping[str, set[str]]


def read_sections(path: Path, sections: Sections, error: type[ValueError], what: str) -> dict[str, dict[str, Any]]:
    """The file's sections, checked against the known keys; `what` names the file in the message (e.g. "escalation
    policy")."""
    try:
        with path.open("rb") as f:
            raw = tomllib.load(f, parse_float=Decimal)
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML: {exc}") from exc
    check_sections(raw, str(path), sections, error)
    return raw


def parse_sections(text: str, source: str, sections: Sections, error: type[ValueError]) -> dict[str, dict[str, Any]]:
    """The same from TOML text (tests and tools)."""
    try:
        raw = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{source}: not valid TOML: {exc}") from exc
    check_sections(raw, source, sections, error)
    return raw


def check_sections(raw: dict[str, Any], source: str, sections: Sections, error: type[ValueError]) -> None:
    for section, values in raw.items():
        if section not in sections or not isinstance(values, dict):
            raise error(f"{source}: unknown section [{section}]; expected {sorted(sections)}")
        unknown = set(values) - sections[section]
        if unknown:
            raise error(f"{source}: unknown keys {sorted(unknown)} in [{section}]")


def overlaid(
    default: Path, path: Path | None, sections: Sections, error: type[ValueError], what: str
) -> dict[str, Any]:
    """The default file with the custom file at `path` (if any) laid over it key by key, section by section."""
    raw = read_sections(default, sections, error, what)
    if path is not None and Path(path).resolve() != default.resolve():
        for section, values in read_sections(Path(path), sections, error, what).items():
            raw[section] = {**raw.get(section, {}), **values}
    return raw
