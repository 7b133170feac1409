"""`warehouse-profile`: where one dbt model spends its time, from DuckDB's profiler.

Runs the SQL dbt compiled for a model (target/compiled/..., from the last `dbt build` or
`dbt compile`) into a scratch table of a build file with DuckDB's JSON profiling on, and
prints the operators ranked by CPU time: EXPLAIN ANALYZE, sorted. CREATE_TABLE_AS is the
write itself. It writes a scratch table (then drops it): point it at a build file or a copy,
never at the served file.
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from orchestration.dbt_slot import SLOT_FILE
from tiering.project import PROJECT_DIR

BUILT_AS = Path(SLOT_FILE).stem


def operators(node: dict) -> list[dict]:
    """Every operator of a DuckDB JSON profile, flattened."""
    own = (
        [
            {
                "operator": (node.get("operator_name") or node.get("operator_type") or "").strip(),
                "cpu_seconds": round(node.get("operator_timing", 0.0), 3),
                "rows": node.get("operator_cardinality", 0),
                "detail": json.dumps(node.get("extra_info", {}))[:160],
            }
        ]
        if "operator_timing" in node
        else []
    )
    return own + [op for child in node.get("children", []) for op in operators(child)]


def profile_sql(database: Path, sql: str, threads: int = 2, memory_limit: str = "4GB") -> dict:
    """`sql` timed into a scratch table of `database`, opened under the catalog name dbt built it
    under (the slot's, orchestration/dbt_slot.py: compiled SQL names it where it names `this`)."""
    config = {"threads": threads, "memory_limit": memory_limit, "disabled_compression_methods": "fsst"}
    with tempfile.TemporaryDirectory() as tmp, duckdb.connect(config={**config, "temp_directory": tmp}) as con:
        quoted = str(database).replace("'", "''")
        con.execute(f"attach '{quoted}' as {BUILT_AS}")
        con.execute(f"use {BUILT_AS}")
        output = Path(tmp) / "profile.json"
        con.execute("set enable_profiling = 'json'")
        con.execute(f"set profiling_output = '{output}'")
        started = time.perf_counter()
        con.execute(f"create or replace table __warehouse_profile as {sql}")
        wall = time.perf_counter() - started
        con.execute("set enable_profiling = 'no_output'")
        con.execute("drop table __warehouse_profile")
        profile = json.loads(output.read_text())
    ops = sorted(operators(profile), key=lambda o: o["cpu_seconds"], reverse=True)
    return {
        "wall_seconds": round(wall, 2),
        "cpu_seconds": round(sum(o["cpu_seconds"] for o in ops), 3),
        "operators": ops,
    }


def compiled_sql(target: Path, model: str) -> str:
    found = sorted((target / "compiled").glob(f"*/models/**/{model}.sql"))
    if not found:
        raise FileNotFoundError(
            f"no compiled SQL for {model} under {target}/compiled: run dbt compile or dbt build first"
        )
    return found[0].read_text()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        prog="warehouse-profile", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--warehouse", type=Path, required=True, help="a build file (it gets a scratch table)")
    p.add_argument("--model", required=True)
    p.add_argument("--target-path", type=Path, default=PROJECT_DIR / "target")
    p.add_argument("--top", type=int, default=12)
    a = p.parse_args(argv)
    result = profile_sql(a.warehouse, compiled_sql(a.target_path, a.model))
    print(f"{a.model}: {result['wall_seconds']} s wall, {result['cpu_seconds']} s CPU")
    for op in result["operators"][: a.top]:
        print(f"{op['cpu_seconds']:8.2f} s  {op['rows']:>12,} rows  {op['operator']}  {op['detail']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
