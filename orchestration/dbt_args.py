"""dbt command lines and environments, built by pure functions so they can be unit-tested.

Only the as-of date reaches dbt as a var (dbt renders var strings as Jinja; a date object
written as YYYY-MM-DD cannot carry any). Paths and limits reach dbt through the environment of
its process, set explicitly for each invocation (profiles.yml and macros/landing.sql read them);
the pipeline's own environment is never changed.
"""

import json
import shutil
import sys
from collections.abc import Mapping
from datetime import date
from pathlib import Path

from tiering.settings import Settings

INVENTORY_ENV = "WAREHOUSE_INVENTORY"
EXCLUDED_TYPES_ENV = "DBT_EXCLUDE_RESOURCE_TYPES"  # dbt's --exclude-resource-type


def dbt_vars(as_of: date) -> str:
    if not isinstance(as_of, date):
        raise TypeError(f"as_of must be a date, got {as_of!r}")
    return json.dumps({"as_of": as_of.isoformat()})


def dbt_env(settings: Settings, warehouse: Path, inventory_file: Path, base: Mapping[str, str]) -> dict[str, str]:
    """The environment of one dbt process: `base` (the caller's: PATH, HOME, ...) with the file
    dbt builds, its landing inventory, the DuckDB limits of `settings` and whether dbt's unit
    tests run (settings.dbt_unit_tests) set explicitly."""
    base = {k: v for k, v in base.items() if k != EXCLUDED_TYPES_ENV}
    return {
        **base,
        **({} if settings.dbt_unit_tests else {EXCLUDED_TYPES_ENV: "unit_test"}),
        "WAREHOUSE_PATH": str(Path(warehouse).resolve()),
        INVENTORY_ENV: str(Path(inventory_file).resolve()),
        "WAREHOUSE_MEMORY_LIMIT": settings.memory_limit,
        "WAREHOUSE_THREADS": str(settings.threads),
        "WAREHOUSE_DBT_THREADS": str(settings.dbt_threads),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def dagster_dbt_env(env: Mapping[str, str], target_path: Path, indirect_selection: str | None) -> dict[str, str]:
    """`env` plus what dagster-dbt needs of a dbt process it reads events from: structured
    (JSON) logs, unbuffered, and artifacts and logs in the invocation's own target folder."""
    return {
        **env,
        "DAGSTER_DBT_CLI": "true",
        "PYTHONUNBUFFERED": "1",
        "DBT_LOG_FORMAT": "json",
        "DBT_TARGET_PATH": str(target_path),
        "DBT_LOG_PATH": str(target_path),
        **({"DBT_INDIRECT_SELECTION": indirect_selection} if indirect_selection else {}),
    }


def build_args(project_dir: Path, as_of: date, select: str | None = None) -> list[str]:
    args = ["build", "--project-dir", str(project_dir), "--profiles-dir", str(project_dir), "--vars", dbt_vars(as_of)]
    if select:
        args += ["--select", select]
    return args


def dbt_executable() -> str:
    """dbt from the running interpreter's environment, else from PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")
