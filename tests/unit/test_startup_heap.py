"""A served process freezes what startup made, out of every later collection; an app a test starts does not."""

import gc
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi import FastAPI

from shared import service
from shared.settings import ServiceSettings


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_freezing_moves_the_heap_out_of_collections(unfrozen: None) -> None:
    assert gc.get_freeze_count() == 0
    service.freeze_startup_heap()
    assert gc.get_freeze_count() > 1000


def test_only_serve_marks_the_app_for_freezing(monkeypatch: pytest.MonkeyPatch) -> None:
    app = FastAPI()
    assert not getattr(app.state, service.FREEZE_STARTUP_HEAP, False)
    ran: list[FastAPI] = []
    monkeypatch.setattr(uvicorn, "run", lambda served, **_: ran.append(served))
    monkeypatch.setattr(service, "configure_logging", lambda *_: None)  # the test process's logging stays as it is
    service.serve(app, ServiceSettings(service_name="test", kafka_bootstrap_servers="127.0.0.1:1"))
    assert ran == [app] and getattr(app.state, service.FREEZE_STARTUP_HEAP) is True
