"""The task forces' file: the county's six by default, every domain in at most one, a bad file refused by name."""

from pathlib import Path

import pytest

from services.projections.settings import ProjectionsSettings
from services.projections.task_forces import (
    OTHER,
    TaskForcesError,
    load_task_forces,
)
from shared.contracts.codes import Domain

ONE = """
[[task_force]]
code = "dust"
name = "扬尘渣土专项整治组"
leader_name = "王某"
leader_post = "副县长"
lead_department = "县城市管理局"
domains = ["dust_construction_waste", "air"]
"""


def test_the_default_file_has_the_countys_six_task_forces_with_their_leaders() -> None:
    forces = load_task_forces()
    assert [f.name for f in forces.forces] == [
        "采石制砂专项整治组",
        "砖瓦专项整治组",
        "预拌混凝土专项整治组",
        "畜禽渔养殖专项整治组",
        "扬尘渣土专项整治组",
        "农村人居环境专项整治组",
    ]
    assert all(f.leader_name and f.leader_post and f.lead_department for f in forces.forces)
    assert forces.of_domain(Domain.BRICK_TILE) == "brick_tile"
    assert forces.codes()[-1] == OTHER


def test_a_domain_no_task_force_names_counts_under_other() -> None:
    forces = load_task_forces()
    assert forces.of_domain(Domain.WATER) == OTHER
    assert set(forces.domains(OTHER)) == {"water", "air", "solid_waste", "noise", "other"}
    every = [d for code in forces.codes() for d in forces.domains(code)]
    assert sorted(every) == sorted(d.value for d in Domain)  # each domain in exactly one row


def test_a_county_file_replaces_the_list(tmp_path: Path) -> None:
    path = tmp_path / "forces.toml"
    path.write_text(ONE, encoding="utf-8")
    forces = load_task_forces(path)
    assert forces.codes() == ["dust", OTHER]
    assert forces.domains("dust") == ("dust_construction_waste", "air")
    assert "air" not in forces.domains(OTHER)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        (ONE.replace('"air"', '"weather"'), "unknown domain 'weather'"),
        (ONE + ONE.replace('code = "dust"', 'code = "dust2"'), "already belongs to 'dust'"),
        (ONE + ONE, "reserved or used twice"),
        (ONE.replace('code = "dust"', 'code = "other"'), "reserved or used twice"),
        (ONE.replace('leader_name = "王某"\n', ""), "missing keys ['leader_name']"),
        (ONE.replace('leader_post = "副县长"', 'leader_post = ""'), "leader_post must be text"),
        (ONE.replace("domains = [", "domain = ["), "unknown keys ['domain']"),
        ("[task_forces]\n", "unknown keys ['task_forces']"),
        ("", "no [[task_force]] tables"),
        ("[[task_force]\n", "not valid TOML"),
    ],
)
def test_a_file_that_cannot_be_used_is_refused_naming_the_file_and_key(tmp_path: Path, text: str, named: str) -> None:
    path = tmp_path / "forces.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TaskForcesError) as refused:
        load_task_forces(path)
    assert named in str(refused.value) and str(path) in str(refused.value)


def test_a_missing_file_is_refused() -> None:
    with pytest.raises(TaskForcesError, match="cannot read task forces file"):
        load_task_forces(Path("/nonexistent/forces.toml"))


def test_the_settings_name_the_countys_files_by_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TASK_FORCES_FILE", str(tmp_path / "forces.toml"))
    monkeypatch.setenv("ASSESSMENT_POLICY", str(tmp_path / "assessment.toml"))
    settings = ProjectionsSettings()
    assert settings.task_forces_file == tmp_path / "forces.toml"
    assert settings.assessment_policy == tmp_path / "assessment.toml"
    with pytest.raises(TaskForcesError, match="forces.toml"):  # what compose() meets at the start
        load_task_forces(settings.task_forces_file)
