"""Real targets for the stateful runs, made the way the demo makes them: through the services' HTTP APIs.

A planned year of the demo (demo.plan) gives the problems, enterprises and 五定 of a realistic county; the demo's
player (demo.play) reports them, waits for cases to open each one, assigns it to FUZZ_UNIT and moves it on.
One fresh target per command of each stateful run, so that a run's commands act on targets no other run touched.
"""

import asyncio
import secrets
from dataclasses import replace
from decimal import Decimal

import httpx

from demo.client import County, Urls
from demo.main import people
from demo.plan import EnforcementCase, Measure, Problem, plan_year
from demo.play import Pace, Player
from fuzz.runs import FUZZ_UNIT, Run, Stage
from shared.contracts.codes import MeasureKind
from shared.signin import SignInSettings

CASE_STAGES = (Stage.REPORTED, Stage.ASSIGNED, Stage.CLOSURE_REQUESTED, Stage.CLOSED)

# The ids each stateful run sends its commands to: targets[run][operation] is the id in the operation's path.
Targets = dict[Run, dict[str, str]]


async def seed(runs: tuple[Run, ...], urls: Urls, settings: SignInSettings, concurrency: int = 8) -> Targets:
    """Creates a target in its stage for every command of every run; answers their ids."""
    wanted = [(run, command) for run in runs for command in run.commands]
    count = {stage: sum(1 for _, c in wanted if c.needs is stage) for stage in Stage}
    problems = sum(count[stage] for stage in CASE_STAGES) + count[Stage.MEASURE]
    year = plan_year(
        secrets.randbelow(2**32),
        problems,
        run=f"FZ{secrets.token_hex(2).upper()}",
        enforcement_cases=count[Stage.ENFORCEMENT_CASE],
    )
    async with httpx.AsyncClient(timeout=30) as client:
        player = Player(County(urls, people(settings), client, concurrency), year, Pace())
        planned = iter(replace(p, unit=FUZZ_UNIT) for p in year.problems)
        enterprises = iter(year.enforcement)
        made: list[asyncio.Task[str]] = []
        async with asyncio.TaskGroup() as group:
            for _, command in wanted:
                if command.needs is Stage.ENFORCEMENT_CASE:
                    made.append(group.create_task(_enforcement_case(player, next(enterprises))))
                elif command.needs is Stage.MEASURE:
                    made.append(group.create_task(_measure(player, next(planned))))
                else:
                    made.append(group.create_task(_case(player, next(planned), command.needs)))
    targets: Targets = {}
    for (run, command), task in zip(wanted, made, strict=True):
        targets.setdefault(run, {})[command.operation] = task.result()
    return targets


async def _case(player: Player, p: Problem, stage: Stage) -> str:
    """A case of cases brought to `stage`: 受理 → 交办 → 反馈、申请销号 → 验收通过."""
    issue = await player.report(p)
    await player.opened(issue)
    if stage is Stage.REPORTED:
        return issue
    await player.assign(p, issue, working_days=p.working_days)
    if stage is Stage.ASSIGNED:
        return issue
    await player.progress(p, issue, 80)
    await player.request_closure(p, issue)
    if stage is Stage.CLOSURE_REQUESTED:
        return issue
    await player.verify(p, issue, passed=True)
    return issue


async def _enforcement_case(player: Player, e: EnforcementCase) -> str:
    """An open enforcement case with one fine, not paid; nothing else decided in it."""
    plain = replace(
        e,
        problem=None,
        paid=Decimal(0),
        ordered=False,
        refused=False,
        production_stop=False,
        detained=(),
        criminal=(),
        closed=False,
    )
    return await player.enforcement_case(plain)


async def _measure(player: Player, p: Problem) -> str:
    """A criticism notice (通报批评) of the discipline commission on FUZZ_UNIT, about a reported problem."""
    issue = await player.report(p)
    await player.opened(issue)
    player.ids[p.number] = issue
    notice = Measure(MeasureKind.CRITICISM_NOTICE, FUZZ_UNIT, None, f"“{p.title}”整改不力", (p.number,))
    return await player.measure(notice)
