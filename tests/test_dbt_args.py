import json
from datetime import date
from pathlib import Path

from orchestration.dbt_args import build_args, dbt_vars


def test_vars_carry_absolute_landing_dir_and_as_of(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    v = json.loads(dbt_vars(Path("land"), date(2026, 1, 31)))
    assert v == {"landing_dir": str(tmp_path / "land"), "as_of": "2026-01-31"}


def test_missing_as_of_is_empty_so_dbt_derives_it():
    assert json.loads(dbt_vars(Path("/x"), None))["as_of"] == ""


def test_build_args_point_at_project_and_profiles():
    args = build_args(Path("/p"), Path("/x"), None, select="marts")
    assert args[:5] == ["build", "--project-dir", "/p", "--profiles-dir", "/p"]
    assert args[-2:] == ["--select", "marts"]
