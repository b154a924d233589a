"""The read side's indexes are the same in read_indexes.sql (new generations) and in the migration (older ones)."""

import re
from pathlib import Path

from services.projections import generations
from services.projections.main import MIGRATIONS

# Indexes added with a new read models version (generations.VERSION) need no migration: a generation of an older
# version is rebuilt (generations.create runs read_indexes.sql) before it answers.
SINCE_VERSION_3 = {"escalations_occurred_at_idx", "measures_occurred_at_idx", "enforcement_cases_credit_code_idx"}
SINCE_VERSION_6 = {
    "assessment_facts_occurred_at_idx",
    "assessment_facts_running_idx",
    "assessment_facts_unit_idx",
    "escalations_unit_idx",
    "case_history_unit_valid_to_idx",
}
REBUILT_WITH = SINCE_VERSION_3 | SINCE_VERSION_6
INDEX = re.compile(r"create index if not exists (\w+) on (?:%I\.)?(\w+) ?(\([^)]*\))( where [^;']+)?")


def _indexes(text: str) -> set[tuple[str, ...]]:
    # the migration writes each statement as adjacent string literals inside format(…)
    joined = re.sub(r"'\s*'", "", re.sub(r"--[^\n]*", "", text))
    flat = " ".join(joined.split())
    return {tuple((part or "").strip() for part in found) for found in INDEX.findall(flat)}


def test_the_migration_gives_older_generations_the_indexes_of_their_version_a_new_generation_gets_all() -> None:
    new = _indexes(generations.INDEXES.read_text(encoding="utf-8"))
    migrations = ("003_read_indexes.sql", "018_documents_index.sql", "019_issues_status_index.sql")
    older = set().union(*(_indexes((Path(MIGRATIONS) / name).read_text(encoding="utf-8")) for name in migrations))
    assert {name for name, *_ in older} == {
        "case_history_valid_to_idx",
        "case_history_current_deadline_idx",
        "facts_type_occurred_at_idx",
        "issues_status_idx",
    }
    assert older == {index for index in new if index[0] not in REBUILT_WITH}
    assert {name for name, *_ in new} - {name for name, *_ in older} == REBUILT_WITH
    assert generations.VERSION >= 6


def test_the_indexes_are_not_part_of_the_shape_so_no_generation_needs_a_rebuild_for_them() -> None:
    assert "create index if not exists case_history_valid_to_idx" not in generations.DDL.read_text(encoding="utf-8")
