"""dbt command lines, built by pure functions so they can be unit-tested.

Only the as-of date reaches dbt as a var (dbt renders var strings as Jinja; a date object
written as YYYY-MM-DD cannot carry any). Paths reach dbt through the landing inventory, named by
the environment variable WAREHOUSE_INVENTORY (see tiering/landing.py).
"""

import json
import shutil
import sys
from datetime import date
from pathlib import Path

INVENTORY_ENV = "WAREHOUSE_INVENTORY"


def dbt_vars(as_of: date) -> str:
    if not isinstance(as_of, date):
        raise TypeError(f"as_of must be a date, got {as_of!r}")
    return json.dumps({"as_of": as_of.isoformat()})


def dbt_env(inventory_file: Path) -> dict[str, str]:
    return {INVENTORY_ENV: str(Path(inventory_file).resolve())}


def build_args(project_dir: Path, as_of: date, select: str | None = None) -> list[str]:
    args = ["build", "--project-dir", str(project_dir), "--profiles-dir", str(project_dir), "--vars", dbt_vars(as_of)]
    if select:
        args += ["--select", select]
    return args


def dbt_executable() -> str:
    """dbt from the running interpreter's environment, else from PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")
