"""The consumers' table (shared.consumer.Dispatch): each event type to its handlers, with the payload typed."""

from datetime import UTC, datetime
from typing import Any, cast

import pytest

from shared.consumer import Dispatch, On, PoisonMessage
from shared.contracts.cases import CaseOpened, ProgressReported
from shared.contracts.codes import Domain, Source
from shared.contracts.intake import IssueReported
from shared.db import Connection
from shared.envelope import Envelope

# The handlers in these tests never touch the connection.
NO_CONNECTION = cast(Connection, None)
AT = datetime(2026, 6, 30, 8, 0, tzinfo=UTC)
OPENED = CaseOpened(
    case_id="c-1",
    source=Source.HOTLINE_12369,
    title="夜间噪声扰民",
    township="城关镇",
    domain=Domain.NOISE,
    reported_at=AT,
)


def envelope(event: Any, event_type: str | None = None) -> Envelope:
    wrapped = Envelope.wrap(event, stream_id="c-1", stream_version=1, actor="sys", correlation_id="x", occurred_at=AT)
    return wrapped.model_copy(update={"type": event_type}) if event_type else wrapped


class Seen:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def line(self, name: str) -> Any:
        async def handle(conn: Any, env: Envelope, event: CaseOpened) -> None:
            self.calls.append((name, event.title))

        return handle


async def test_each_type_runs_its_lines_in_order_with_the_payload_typed() -> None:
    seen = Seen()
    table = Dispatch(On(CaseOpened, seen.line("row")), On(CaseOpened, seen.line("history")))
    await table(NO_CONNECTION, envelope(OPENED))
    assert seen.calls == [("row", "夜间噪声扰民"), ("history", "夜间噪声扰民")]


async def test_a_type_without_a_line_does_nothing_and_the_table_names_what_it_handles() -> None:
    seen = Seen()
    table = Dispatch(On(CaseOpened, seen.line("row")))
    await table(NO_CONNECTION, envelope(ProgressReported(note="已清运")))
    assert seen.calls == []
    assert table.handles == frozenset({"CaseOpened"})


async def test_a_payload_that_is_not_the_class_its_type_names_is_poison() -> None:
    table = Dispatch(On(IssueReported, Seen().line("never")))
    with pytest.raises(PoisonMessage, match="IssueReported carries a CaseOpened"):
        await table(NO_CONNECTION, envelope(OPENED, event_type="IssueReported"))
