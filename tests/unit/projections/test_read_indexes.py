"""The read side's indexes are the same in read_indexes.sql (new generations) and in the migration (older ones)."""

import re
from pathlib import Path

from services.projections import generations
from services.projections.main import MIGRATIONS

INDEX = re.compile(r"create index if not exists (\w+) on (?:%I\.)?(\w+) ?(\([^)]*\))( where [^;']+)?")


def _indexes(text: str) -> set[tuple[str, ...]]:
    # the migration writes each statement as adjacent string literals inside format(…)
    joined = re.sub(r"'\s*'", "", re.sub(r"--[^\n]*", "", text))
    flat = " ".join(joined.split())
    return {tuple((part or "").strip() for part in found) for found in INDEX.findall(flat)}


def test_the_migration_creates_in_older_generations_exactly_the_indexes_a_new_generation_gets() -> None:
    new = _indexes(generations.INDEXES.read_text(encoding="utf-8"))
    older = _indexes((Path(MIGRATIONS) / "003_read_indexes.sql").read_text(encoding="utf-8"))
    assert {name for name, *_ in new} == {"case_history_valid_to_idx", "case_history_current_deadline_idx"}
    assert older == new


def test_the_indexes_are_not_part_of_the_shape_so_no_generation_needs_a_rebuild_for_them() -> None:
    assert "create index if not exists case_history_valid_to_idx" not in generations.DDL.read_text(encoding="utf-8")
