"""Every dependency of every route runs on the event loop: a plain `def` dependency would be run in the thread
pool, a thread hop per request for work that never blocks (issue 14's profile)."""

import importlib
import inspect
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

ROOT = Path(__file__).resolve().parents[2]


def _runs_on_the_loop(call: Callable[..., Any]) -> bool:
    # A class instance such as HTTPBearer: its __call__ is what FastAPI runs.
    method = call if inspect.isfunction(call) else type(call).__call__
    return inspect.iscoroutinefunction(method) or inspect.isasyncgenfunction(method)


def _dependencies(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _dependencies(dependency)


def _routes() -> Iterator[APIRoute]:
    api_modules = [*ROOT.glob("services/*/api.py"), *ROOT.glob("services/*/api/*.py")]
    for path in api_modules:
        module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
        for value in vars(module).values():
            if isinstance(value, APIRouter):
                yield from (route for route in value.routes if isinstance(route, APIRoute))


def test_every_route_dependency_is_async() -> None:
    routes = list(_routes())
    assert len(routes) > 50
    sync = {
        f"{route.path}: {call.__module__}.{call.__qualname__}"
        for route in routes
        for call in _dependencies(route.dependant)
        if not _runs_on_the_loop(call)
    }
    assert sync == set()
