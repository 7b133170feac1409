"""`warehouse-run`: build the warehouse from a landing zone (default: the bundled sample)."""
import argparse
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb

from orchestration.dbt_args import build_args, dbt_executable
from orchestration.project import PROJECT_DIR, SAMPLE_LANDING, warehouse_path


def run_dbt_build(landing_dir: Path, as_of: date | None, warehouse: Path,
                  capture: bool = False) -> subprocess.CompletedProcess:
    """`dbt build` into `warehouse` (a subprocess: dbt keeps its DuckDB connection open)."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "WAREHOUSE_PATH": str(warehouse),
           "WAREHOUSE_TEMP_DIR": os.environ.get("WAREHOUSE_TEMP_DIR", str(warehouse.parent / "tmp"))}
    cmd = [dbt_executable(), *build_args(PROJECT_DIR, landing_dir, as_of)]
    return subprocess.run(cmd, cwd=PROJECT_DIR, env=env, capture_output=capture, text=True)


def summary(warehouse: Path) -> str:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.sql("select * from landing_reconciliation order by table_name").fetchall()
    lines = [f"{'table':<16}{'landed':>10}{'accepted':>10}{'quarantined':>13}{'superseded':>12}"]
    lines += [f"{r[0]:<16}{r[2]:>10,}{r[3]:>10,}{r[4]:>13,}{r[5]:>12,}" for r in rows]
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="warehouse-run", description=__doc__)
    p.add_argument("--landing-dir", type=Path, default=SAMPLE_LANDING)
    p.add_argument("--as-of", type=date.fromisoformat, default=None,
                   help="as-of date; default: the latest order or event date in the data")
    a = p.parse_args(argv)
    warehouse = warehouse_path()
    if run_dbt_build(a.landing_dir, a.as_of, warehouse).returncode != 0:
        print(f"dbt build failed; see {PROJECT_DIR / 'logs' / 'dbt.log'}", file=sys.stderr)
        return 1
    print(summary(warehouse))
    print(f"warehouse: {warehouse}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
