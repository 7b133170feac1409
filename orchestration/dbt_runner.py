"""`warehouse-build`: the landing inventory, then `dbt build`, in a subprocess; no audit, no
publish. Used by tests and scripts that need no orchestration.

    warehouse-build [--landing-dir D] [--as-of YYYY-MM-DD] [--warehouse FILE] [dbt options, e.g. --select ...]
"""

import argparse
import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from datetime import date
from pathlib import Path

from orchestration.dbt_args import build_args, dbt_env, dbt_executable
from orchestration.dbt_slot import fixed_build_path
from tiering.landing import (
    LandingError,
    completeness_failure,
    earlier_scans,
    inventory_dir,
    landing_marker,
    refuse_other_landing,
    take_inventory,
    write_inventory,
)
from tiering.project import PROJECT_DIR
from tiering.settings import Settings, entry_point_settings


def prepare_landing(settings: Settings, as_of: date | None, build_file: Path, history_dir: Path) -> tuple[date, Path]:
    """Takes and writes the landing inventory of `settings.landing_dir` beside `build_file`;
    returns the as-of date (the default when none is given) and the inventory file. Raises
    LandingError (one line) when the night cannot be built."""
    earlier = earlier_scans(build_file.parent, settings.landing_dir)  # the inventories of the builds beside it
    inventory = take_inventory(settings.landing_dir, history_dir, settings.duckdb_config, earlier)
    failure = completeness_failure(inventory, settings.allowed_empty_tables)
    if failure:
        raise LandingError(failure)
    as_of = as_of or settings.default_as_of(inventory)
    if as_of is None:
        raise LandingError(f"no order or event timestamp parses in {inventory.landing_dir}: give the as-of date")
    return as_of, write_inventory(inventory, inventory_dir(build_file), settings.allowed_empty_tables)


def run_dbt_build(
    landing_dir: Path,
    as_of: date | None,
    warehouse: Path,
    capture: bool = False,
    extra: list[str] | None = None,
    settings: Settings | None = None,
) -> subprocess.CompletedProcess:
    """`dbt build` of `landing_dir` into `warehouse` (a subprocess: dbt keeps its DuckDB
    connection open); tier history is kept beside the warehouse file. An existing file is built
    on incrementally. A landing folder that cannot be built gives return code 2 and its one-line
    cause. Without `settings`, the rest comes from the environment."""
    settings = (settings or Settings.from_env()).model_copy(update={"landing_dir": Path(landing_dir).resolve()})
    warehouse = Path(warehouse).resolve()
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    try:
        if not {"--full-refresh", "-f"} & set(extra or []):
            refuse_other_landing(warehouse, settings.landing_dir)
        as_of, inventory = prepare_landing(settings, as_of, warehouse, warehouse.parent / "history")
    except LandingError as e:
        if not capture:
            print(e, file=sys.stderr)
        return subprocess.CompletedProcess(["warehouse-build"], 2, stdout=f"{e}\n", stderr=f"{e}\n")
    landing_marker(warehouse).write_text(str(settings.landing_dir))
    return run_dbt(settings, warehouse, inventory, as_of, capture, extra)


def run_dbt(
    settings: Settings,
    warehouse: Path,
    inventory: Path,
    as_of: date,
    capture: bool = False,
    extra: list[str] | None = None,
) -> subprocess.CompletedProcess:
    """`dbt build` into `warehouse` from the landing inventory `inventory` (prepare_landing's),
    at the fixed path of dbt's target folder, where dbt keeps its saved parse (dbt_slot)."""
    cmd = [dbt_executable(), *build_args(PROJECT_DIR), *(extra or [])]
    with fixed_build_path(warehouse, target_folder(os.environ, extra or []), log=stderr_line) as path:
        env = dbt_env(settings, path, inventory, as_of, os.environ)
        return subprocess.run(cmd, cwd=PROJECT_DIR, env=env, capture_output=capture, text=True)


def stderr_line(text: str) -> None:
    print(text, file=sys.stderr)


def target_folder(env: Mapping[str, str], args: list[str]) -> Path:
    """dbt's target folder for its options `args` in a process with environment `env`
    (--target-path wins; relative to the project)."""
    given = [a.removeprefix("--target-path=") for a in args if a.startswith("--target-path=")]
    given += [args[i + 1] for i, a in enumerate(args[:-1]) if a == "--target-path"]
    return PROJECT_DIR / (given[-1] if given else env.get("DBT_TARGET_PATH", "target"))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="warehouse-build", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--landing-dir", type=Path, default=None, help="the landing folder (default: $LANDING_DIR, else the sample)"
    )
    p.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=None,
        help="default: the latest order or event date in the landing files",
    )
    p.add_argument(
        "--warehouse",
        type=Path,
        default=None,
        help="the DuckDB file to build (default: $WAREHOUSE_PATH, else warehouse/warehouse.duckdb)",
    )
    return p


def stop(signum, frame) -> None:
    """SIGTERM as Ctrl-C: dbt is stopped and the file moved back from the slot (dbt_slot)."""
    raise SystemExit(128 + signum)


def main(argv=None) -> int:
    signal.signal(signal.SIGTERM, stop)
    a, extra = parser().parse_known_args(argv)
    settings = entry_point_settings("warehouse-build", landing_dir=a.landing_dir)
    warehouse = a.warehouse or Path(os.environ.get("WAREHOUSE_PATH") or PROJECT_DIR / "warehouse" / "warehouse.duckdb")
    return run_dbt_build(settings.landing_dir, a.as_of, warehouse, extra=extra, settings=settings).returncode


if __name__ == "__main__":
    sys.exit(main())
