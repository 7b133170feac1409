"""dbt command lines and environments, built by pure functions so they can be unit-tested.

No var reaches dbt: the as-of date, paths and limits reach it through the environment of its
process, set explicitly for each invocation (profiles.yml and macros read them), so the command
line stays the same from night to night and dbt reuses its saved parse (it keys the parse on the
vars). The pipeline's own environment is never changed.
"""

import shutil
import sys
from collections.abc import Mapping
from datetime import date
from pathlib import Path

from tiering.settings import Settings

INVENTORY_ENV = "WAREHOUSE_INVENTORY"
AS_OF_ENV = "WAREHOUSE_AS_OF"  # macros/as_of.sql
EXCLUDED_TYPES_ENV = "DBT_EXCLUDE_RESOURCE_TYPES"  # dbt's --exclude-resource-type


def dbt_env(
    settings: Settings, warehouse: Path, inventory_file: Path, as_of: date, base: Mapping[str, str]
) -> dict[str, str]:
    """The environment of one dbt process: `base` (the caller's: PATH, HOME, ...) with the file
    dbt builds, its landing inventory, the as-of date, the DuckDB limits of `settings` and
    whether dbt's unit tests run (settings.dbt_unit_tests) set explicitly."""
    if not isinstance(as_of, date):
        raise TypeError(f"as_of must be a date, got {as_of!r}")
    base = {k: v for k, v in base.items() if k != EXCLUDED_TYPES_ENV}
    return {
        **base,
        AS_OF_ENV: as_of.isoformat(),
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


def build_args(project_dir: Path, select: str | None = None) -> list[str]:
    args = ["build", "--project-dir", str(project_dir), "--profiles-dir", str(project_dir)]
    if select:
        args += ["--select", select]
    return args


def dbt_executable() -> str:
    """dbt from the running interpreter's environment, else from PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")
