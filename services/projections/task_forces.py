"""The special task forces (专项整治组): who leads each, and which problem domains it answers for.

Read from a TOML file (`task_forces.toml` next to this module, or the file TASK_FORCES_FILE names, which replaces
it whole) when the service starts; a file that cannot be used stops the start with a message naming the file and
the key. A problem whose domain no task force names counts under OTHER (其他（未归入专项）).
"""

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.contracts.codes import Domain

DEFAULT_TASK_FORCES = Path(__file__).parent / "task_forces.toml"

# The row of the problems no task force answers for; no task force may take its code.
OTHER = "other"
OTHER_NAME = "其他（未归入专项）"

_KEYS = {"code", "name", "leader_name", "leader_post", "lead_department", "domains"}
_TEXT_KEYS = ("name", "leader_name", "leader_post", "lead_department")


class TaskForcesError(ValueError):
    """A task-force file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class TaskForce:
    """专项整治组: its code, name, 牵头县领导 (name, post), 牵头单位 and the domains it answers for."""

    code: str
    name: str
    leader_name: str
    leader_post: str
    lead_department: str
    domains: tuple[Domain, ...]


@dataclass(frozen=True)
class TaskForces:
    """The county's task forces in the file's order, and the row of everything else (其他)."""

    forces: tuple[TaskForce, ...]

    def of_domain(self, domain: str) -> str:
        """The code of the task force a domain belongs to (OTHER: none)."""
        for force in self.forces:
            if domain in force.domains:
                return force.code
        return OTHER

    def domains(self, code: str) -> tuple[str, ...]:
        """The domains of a task force (OTHER: every domain no task force names); an unknown code: KeyError."""
        if code == OTHER:
            taken = {d for force in self.forces for d in force.domains}
            return tuple(d.value for d in Domain if d not in taken)
        return tuple(d.value for d in self.by_code(code).domains)

    def by_code(self, code: str) -> TaskForce:
        for force in self.forces:
            if force.code == code:
                return force
        raise KeyError(code)

    def codes(self) -> list[str]:
        """Every row's code, OTHER last."""
        return [*(force.code for force in self.forces), OTHER]

    def name(self, code: str) -> str:
        return OTHER_NAME if code == OTHER else self.by_code(code).name

    def mapping(self) -> tuple[list[str], list[str]]:
        """(domains, codes): every domain beside its task force's code, for SQL (unnest)."""
        return [d.value for d in Domain], [self.of_domain(d.value) for d in Domain]


def load_task_forces(path: Path | None = None) -> TaskForces:
    """The task forces of the file at `path` (None: the default file)."""
    source = Path(path) if path is not None else DEFAULT_TASK_FORCES
    try:
        with source.open("rb") as f:
            raw = tomllib.load(f)
    except OSError as exc:
        raise TaskForcesError(f"cannot read task forces file {source}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise TaskForcesError(f"{source}: not valid TOML: {exc}") from exc
    return parse_task_forces(raw, str(source))


def parse_task_forces(raw: dict[str, Any], source: str = "<task forces>") -> TaskForces:
    """The task forces of a parsed TOML document, checked."""
    unknown = set(raw) - {"task_force"}
    if unknown:
        raise TaskForcesError(f"{source}: unknown keys {sorted(unknown)}; expected [[task_force]] tables")
    entries = raw.get("task_force")
    if not isinstance(entries, list) or not entries:
        raise TaskForcesError(f"{source}: no [[task_force]] tables")
    forces: list[TaskForce] = []
    owner: dict[Domain, str] = {}
    for n, entry in enumerate(entries, start=1):
        where = f"{source}: [[task_force]] #{n}"
        if not isinstance(entry, dict):
            raise TaskForcesError(f"{where} is not a table")
        keys = set(entry)
        if keys != _KEYS:
            raise TaskForcesError(f"{where}: missing keys {sorted(_KEYS - keys)}, unknown keys {sorted(keys - _KEYS)}")
        code = entry["code"]
        if not isinstance(code, str) or not code.isidentifier() or not code.isascii():
            raise TaskForcesError(f"{where}: code must be an ASCII identifier, got {code!r}")
        if code == OTHER or any(force.code == code for force in forces):
            raise TaskForcesError(f"{where}: code {code!r} is reserved or used twice")
        for key in _TEXT_KEYS:
            value = entry[key]
            if not isinstance(value, str) or not value.strip() or len(value) > 100:
                raise TaskForcesError(f"{where}: {key} must be text of 1 to 100 characters, got {value!r}")
        domains = entry["domains"]
        if not isinstance(domains, list) or not domains:
            raise TaskForcesError(f"{where}: domains must be a non-empty list of domain codes")
        for domain in domains:
            if domain not in Domain._value2member_map_:
                raise TaskForcesError(
                    f"{where}: unknown domain {domain!r}; expected one of {[d.value for d in Domain]}"
                )
            if Domain(domain) in owner:
                raise TaskForcesError(f"{where}: domain {domain!r} already belongs to {owner[Domain(domain)]!r}")
            owner[Domain(domain)] = code
        forces.append(
            TaskForce(
                code=code,
                name=entry["name"].strip(),
                leader_name=entry["leader_name"].strip(),
                leader_post=entry["leader_post"].strip(),
                lead_department=entry["lead_department"].strip(),
                domains=tuple(Domain(d) for d in domains),
            )
        )
    return TaskForces(forces=tuple(forces))
