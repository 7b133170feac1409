"""Plain `dbt build` in a subprocess, for tests and scripts that need no orchestration."""
import os
import subprocess
from datetime import date
from pathlib import Path

from orchestration.dbt_args import build_args, dbt_executable
from orchestration.project import PROJECT_DIR


def run_dbt_build(landing_dir: Path, as_of: date | None, warehouse: Path,
                  capture: bool = False, extra: list[str] | None = None) -> subprocess.CompletedProcess:
    """`dbt build` into `warehouse` (a subprocess: dbt keeps its DuckDB connection open); tier
    history is kept beside the warehouse file. An existing file is built on incrementally."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "WAREHOUSE_PATH": str(warehouse)}
    args = build_args(PROJECT_DIR, landing_dir, as_of, history_dir=warehouse.parent / "history")
    cmd = [dbt_executable(), *args, *(extra or [])]
    return subprocess.run(cmd, cwd=PROJECT_DIR, env=env, capture_output=capture, text=True)
