import json
from datetime import date
from pathlib import Path

import pytest

from orchestration.dbt_args import build_args, dbt_env, dbt_vars

pytestmark = pytest.mark.fast  # the quick tier: make test-fast


def test_vars_carry_only_the_as_of_date():
    assert json.loads(dbt_vars(date(2026, 1, 31))) == {"as_of": "2026-01-31"}


def test_as_of_must_be_a_date_never_text():
    with pytest.raises(TypeError):
        dbt_vars("{{ run_query('select 1') }}")


def test_inventory_reaches_dbt_as_an_environment_variable(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert dbt_env(Path("inv/inventory.json")) == {"WAREHOUSE_INVENTORY": str(tmp_path / "inv" / "inventory.json")}


def test_build_args_point_at_project_and_profiles():
    args = build_args(Path("/p"), date(2026, 1, 31), select="marts")
    assert args[:5] == ["build", "--project-dir", "/p", "--profiles-dir", "/p"]
    assert args[-2:] == ["--select", "marts"]
