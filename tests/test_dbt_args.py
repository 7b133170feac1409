from datetime import date
from pathlib import Path

import pytest

from orchestration.dbt_args import build_args, dagster_dbt_env, dbt_env
from tiering.settings import Settings

pytestmark = pytest.mark.fast  # the quick tier: make test-fast


def test_as_of_must_be_a_date_never_text():
    with pytest.raises(TypeError):
        dbt_env(Settings(), Path("w.duckdb"), Path("i.json"), "{{ run_query('select 1') }}", {})


def test_each_dbt_process_gets_its_files_and_limits_explicitly(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = Settings(home=tmp_path, memory_limit="1GB", threads=1, dbt_threads=3)
    base = {"PATH": "/bin", "WAREHOUSE_PATH": "stale.duckdb", "WAREHOUSE_MEMORY_LIMIT": "9GB"}
    env = dbt_env(settings, Path("b/w.duckdb"), Path("inv/inventory.json"), date(2026, 1, 31), base)
    assert env == {
        "PATH": "/bin",
        "WAREHOUSE_AS_OF": "2026-01-31",
        "WAREHOUSE_PATH": str(tmp_path / "b" / "w.duckdb"),
        "WAREHOUSE_INVENTORY": str(tmp_path / "inv" / "inventory.json"),
        "WAREHOUSE_MEMORY_LIMIT": "1GB",
        "WAREHOUSE_THREADS": "1",
        "WAREHOUSE_DBT_THREADS": "3",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_EXCLUDE_RESOURCE_TYPES": "unit_test",  # a night runs the data tests only
    }
    assert base["WAREHOUSE_PATH"] == "stale.duckdb"  # the caller's environment is not changed
    base["DBT_EXCLUDE_RESOURCE_TYPES"] = "unit_test"
    with_unit_tests = settings.model_copy(update={"dbt_unit_tests": True})
    assert "DBT_EXCLUDE_RESOURCE_TYPES" not in dbt_env(
        with_unit_tests, Path("w.duckdb"), Path("i.json"), date(2026, 1, 31), base
    )


def test_dagster_reads_json_logs_from_its_own_target_folder(tmp_path):
    env = dagster_dbt_env({"PATH": "/bin"}, tmp_path / "t", None)
    assert env["DBT_LOG_FORMAT"] == "json" and env["DBT_TARGET_PATH"] == env["DBT_LOG_PATH"] == str(tmp_path / "t")
    assert "DBT_INDIRECT_SELECTION" not in env
    assert dagster_dbt_env({}, tmp_path, "empty")["DBT_INDIRECT_SELECTION"] == "empty"


def test_build_args_point_at_project_and_profiles_and_hold_no_vars():
    """The same command line every night: dbt keys its saved parse on the vars."""
    args = build_args(Path("/p"), select="marts")
    assert args == ["build", "--project-dir", "/p", "--profiles-dir", "/p", "--select", "marts"]
