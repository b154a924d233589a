"""Which runs `make fuzz` makes: each service's whole API per role (stateless), then every command with a path id
against real targets, per role that may send it and per role that may not (stateful).

A command names the stage its target must be in for the command to be decided at all (a case to assign is
reported, one to verify has asked for closure…): `fuzz.seed` brings a fresh target to that stage for each
command of each stateful run, so that no run sees what another run's commands did to its targets.
"""

from dataclasses import dataclass
from enum import StrEnum

from shared.auth import Role

# The responsible unit the seeded cases are assigned to (交办), and another one, whose token must be refused on them:
# two units of make up's development users (shared/identity.py DEV_UNITS), as whom the runs sign in.
FUZZ_UNIT = "城关镇人民政府"
OTHER_UNIT = "河口镇人民政府"

INTAKE, CASES, ENFORCEMENT, ACCOUNTABILITY, PROJECTIONS = 8001, 8002, 8003, 8004, 8005


class Stage(StrEnum):
    """What a command's target must be before the command is sent."""

    REPORTED = "reported"  # 待交办
    ASSIGNED = "assigned"  # 整改中, assigned to FUZZ_UNIT
    CLOSURE_REQUESTED = "closure_requested"  # 待验收
    CLOSED = "closed"  # 已销号
    ENFORCEMENT_CASE = "enforcement_case"  # 执法案件, opened with a fine
    MEASURE = "measure"  # 问责措施 imposed by the discipline commission


@dataclass(frozen=True)
class Command:
    """A command route with an id in its path, as schemathesis names the operation."""

    operation: str
    parameter: str
    needs: Stage


def _cases(command: str, needs: Stage) -> Command:
    return Command(f"POST /v1/cases/{{case_id}}/{command}", "case_id", needs)


def _enforcement(command: str) -> Command:
    return Command(f"POST /v1/enforcement-cases/{{case_id}}/{command}", "case_id", Stage.ENFORCEMENT_CASE)


OFFICE_COMMANDS = (
    _cases("assign", Stage.REPORTED),
    _cases("supervise", Stage.ASSIGNED),
    _cases("extend", Stage.ASSIGNED),
    _cases("verify", Stage.CLOSURE_REQUESTED),
    _cases("reopen", Stage.CLOSED),
)
UNIT_COMMANDS = (
    _cases("progress", Stage.ASSIGNED),
    _cases("request-closure", Stage.ASSIGNED),
    # 佐证材料: not a command of the case (no event), but a write with the case's id in its path.
    _cases("evidence", Stage.ASSIGNED),
)
CASE_COMMANDS = OFFICE_COMMANDS + UNIT_COMMANDS
ENFORCEMENT_COMMANDS = tuple(
    _enforcement(command)
    for command in (
        "penalties",
        "payments",
        "rectification-orders",
        "reinspections",
        "production-stops",
        "detentions",
        "criminal-measures",
        "referrals",
        "close",
    )
)
MEASURE_COMMANDS = (Command("POST /v1/measures/{measure_id}/revoke", "measure_id", Stage.MEASURE),)


@dataclass(frozen=True)
class Run:
    """One schemathesis run: a service, a token, and (stateful) the commands it sends to real targets.

    `refused`: the role may not send these commands (or, a unit, not on these cases): every answer must be a refusal.
    """

    port: int
    role: Role
    unit: str | None = None
    commands: tuple[Command, ...] = ()
    refused: bool = False

    @property
    def stateful(self) -> bool:
        return bool(self.commands)

    @property
    def name(self) -> str:
        kind = "refused" if self.refused else "stateful" if self.stateful else "stateless"
        who = "other-unit" if self.unit == OTHER_UNIT else self.role.value
        return f"{self.port}-{who}-{kind}"

    @property
    def checks(self) -> tuple[str, ...]:
        found = ("not_a_server_error", "response_schema_conformance", "control_characters_refused")
        return (*found, "refused_to_role") if self.refused else found


# Each service's whole API, with a token of each role that writes there; ids are random, so commands mostly 404.
STATELESS = (
    Run(INTAKE, Role.OPERATOR),
    Run(INTAKE, Role.INSPECTION_OFFICE),
    Run(INTAKE, Role.LEADER),
    Run(CASES, Role.INSPECTION_OFFICE),
    Run(CASES, Role.UNIT, FUZZ_UNIT),
    Run(ENFORCEMENT, Role.ENFORCEMENT),
    Run(ACCOUNTABILITY, Role.DISCIPLINE),
    Run(PROJECTIONS, Role.LEADER),
)

# Every command with a path id (intake and projections have none), on real targets, by who may and who may not.
STATEFUL = (
    Run(CASES, Role.INSPECTION_OFFICE, commands=OFFICE_COMMANDS),
    Run(CASES, Role.UNIT, FUZZ_UNIT, commands=UNIT_COMMANDS),
    Run(CASES, Role.LEADER, commands=CASE_COMMANDS, refused=True),
    Run(CASES, Role.UNIT, OTHER_UNIT, commands=CASE_COMMANDS, refused=True),
    Run(ENFORCEMENT, Role.ENFORCEMENT, commands=ENFORCEMENT_COMMANDS),
    Run(ENFORCEMENT, Role.UNIT, FUZZ_UNIT, commands=ENFORCEMENT_COMMANDS, refused=True),
    Run(ACCOUNTABILITY, Role.DISCIPLINE, commands=MEASURE_COMMANDS),
    # 督察办 revokes only the criticism notices it issued itself: a measure of the discipline commission is refused.
    Run(ACCOUNTABILITY, Role.INSPECTION_OFFICE, commands=MEASURE_COMMANDS, refused=True),
    Run(ACCOUNTABILITY, Role.ENFORCEMENT, commands=MEASURE_COMMANDS, refused=True),
)
