"""The reads' history sizes: without bench.history they are listed as skipped, with it each size is grown, then read."""

import types

import pytest

from bench import reads
from bench.config import BenchConfig
from bench.report import Report


async def test_history_sizes_without_the_history_maker_are_skipped_with_the_reason() -> None:
    if reads.history_module() is not None:
        pytest.skip("bench.history exists on this branch")
    report = Report()
    await reads.reads_at_sizes(BenchConfig(urls={}, history_sizes=(2000, 20000)), report)
    assert report.skipped["reads.2000.rates_source.p99_ms"] == reads.HISTORY_SKIPPED
    assert report.skipped["reads.20000.work_summary.p99_ms"] == reads.HISTORY_SKIPPED
    assert len(report.skipped) == 2 * len(reads.NAMES)


async def test_each_history_size_is_grown_and_applied_before_its_reads_smallest_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[str, int]] = []
    fake = types.ModuleType("bench.history")

    async def ensure(config: BenchConfig, cases: int) -> None:
        calls.append(("ensure", cases))

    async def caught_up(config: BenchConfig) -> float:
        calls.append(("caught up", calls[-1][1]))
        return 1.5

    async def measure(config: BenchConfig, report: Report, *, requests: int, label: str = "") -> None:
        calls.append(("reads", int(label)))

    fake.ensure = ensure  # type: ignore[attr-defined]
    monkeypatch.setattr(reads, "history_module", lambda: fake)
    monkeypatch.setattr(reads, "read_models_caught_up", caught_up)
    monkeypatch.setattr(reads, "measure_reads", measure)
    report = Report()
    await reads.reads_at_sizes(BenchConfig(urls={}, history_sizes=(20000, 2000)), report)
    assert calls == [
        ("ensure", 2000),
        ("caught up", 2000),
        ("reads", 2000),
        ("ensure", 20000),
        ("caught up", 20000),
        ("reads", 20000),
    ]
    assert report.raw["reads_waited_s"] == {"2000": 1.5, "20000": 1.5}
