"""`warehouse-build`: the landing inventory, then `dbt build`, in a subprocess; no audit, no
publish. Used by tests and scripts that need no orchestration.

    warehouse-build [--landing-dir D] [--as-of YYYY-MM-DD] [--warehouse FILE] [dbt options, e.g. --select ...]
"""

import argparse
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from orchestration.dbt_args import build_args, dbt_env, dbt_executable
from tiering.landing import (
    LandingError,
    allowed_empty_tables,
    completeness_failure,
    default_as_of,
    inventory_dir,
    take_inventory,
    write_inventory,
)
from tiering.project import PROJECT_DIR, SAMPLE_LANDING


def prepare_landing(landing_dir: Path, as_of: date | None, build_file: Path, history_dir: Path) -> tuple[date, Path]:
    """Takes and writes the landing inventory beside `build_file`; returns the as-of date (the
    default when none is given) and the inventory file. Raises LandingError (one line) when the
    night cannot be built."""
    inventory = take_inventory(landing_dir, history_dir)
    allowed_empty = allowed_empty_tables(PROJECT_DIR)
    failure = completeness_failure(inventory, allowed_empty)
    if failure:
        raise LandingError(failure)
    as_of = as_of or default_as_of(inventory)
    if as_of is None:
        raise LandingError(f"no order or event timestamp parses in {inventory.landing_dir}: give the as-of date")
    return as_of, write_inventory(inventory, inventory_dir(build_file), allowed_empty)


def run_dbt_build(
    landing_dir: Path, as_of: date | None, warehouse: Path, capture: bool = False, extra: list[str] | None = None
) -> subprocess.CompletedProcess:
    """`dbt build` into `warehouse` (a subprocess: dbt keeps its DuckDB connection open); tier
    history is kept beside the warehouse file. An existing file is built on incrementally. A
    landing folder that cannot be built gives return code 2 and its one-line cause."""
    warehouse = Path(warehouse).resolve()
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    try:
        as_of, inventory = prepare_landing(landing_dir, as_of, warehouse, warehouse.parent / "history")
    except LandingError as e:
        if not capture:
            print(e, file=sys.stderr)
        return subprocess.CompletedProcess(["warehouse-build"], 2, stdout=f"{e}\n", stderr=f"{e}\n")
    env = {**os.environ, "WAREHOUSE_PATH": str(warehouse), **dbt_env(inventory)}
    cmd = [dbt_executable(), *build_args(PROJECT_DIR, as_of), *(extra or [])]
    return subprocess.run(cmd, cwd=PROJECT_DIR, env=env, capture_output=capture, text=True)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        prog="warehouse-build", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--landing-dir", type=Path, default=Path(os.environ.get("LANDING_DIR") or SAMPLE_LANDING))
    p.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=None,
        help="default: the latest order or event date in the landing files",
    )
    p.add_argument(
        "--warehouse",
        type=Path,
        default=Path(os.environ.get("WAREHOUSE_PATH") or PROJECT_DIR / "warehouse" / "warehouse.duckdb"),
        help="the DuckDB file to build (default: $WAREHOUSE_PATH, else warehouse/warehouse.duckdb)",
    )
    a, extra = p.parse_known_args(argv)
    return run_dbt_build(a.landing_dir, a.as_of, a.warehouse, extra=extra).returncode


if __name__ == "__main__":
    sys.exit(main())
