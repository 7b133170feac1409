"""Large landings are processed in slices (dbt_project.yml: key_check_rows_per_pass for the
repeated-key check, snapshot_list_customers_per_pass for the tier snapshot's lists). Slicing
changes how a model is computed, never what it holds: the handmade landing built with tiny
slices equals its one-pass build, table by table."""

import json
import re

import duckdb
import pytest
from conftest import HANDMADE_AS_OF, build, run_results

pytestmark = pytest.mark.slow  # a second build of the hand-made landing, compared with the shared one

# several slices even on the handmade landing (a dozen customers, a few rows per table)
SLICED = {"key_check_rows_per_pass": 2, "snapshot_list_customers_per_pass": 3}
# differ between any two builds: when the build judged a row; an event log record's stamp (its
# own date's names the dbt invocation, a stored date's names the file in the build's history)
RUN_COLUMNS = {"validated_at", "stamp"}


@pytest.fixture(scope="module")
def sliced_warehouse(handmade_landing, tmp_path_factory):
    warehouse = tmp_path_factory.mktemp("sliced") / "warehouse.duckdb"
    build(handmade_landing, warehouse, HANDMADE_AS_OF, extra=["--vars", json.dumps(SLICED)])
    return warehouse, {r["unique_id"].split(".")[-1]: r for r in run_results()["results"]}


def test_the_sliced_paths_ran(sliced_warehouse):
    """Each sliced model's own query holds slice 0 of several (`<hash> % <passes> = 0`)."""
    _, results = sliced_warehouse
    several = r"% ([2-9]|[1-9][0-9]+) = 0"
    assert re.search(several, results["int_tier_snapshot_lists"]["compiled_code"])
    validated = {name: r["compiled_code"] for name, r in results.items() if name.endswith("__validated")}
    assert len(validated) == 6
    assert all(re.search(f"key_hash {several}", sql) for sql in validated.values()), validated


def test_slices_change_no_table(sliced_warehouse, handmade_warehouse):
    warehouse, _ = sliced_warehouse
    con = duckdb.connect()
    con.execute(f"attach '{handmade_warehouse}' as one (read_only)")
    con.execute(f"attach '{warehouse}' as sliced (read_only)")
    tables = [
        t
        for (t,) in con.sql(
            "select table_name from duckdb_tables() where database_name = 'one' and schema_name = 'main' order by 1"
        ).fetchall()
    ]
    assert "int_tier_snapshot_lists" in tables and "int_order_lines__validated" in tables
    differing = []
    for table in tables:
        columns = [
            c
            for (c,) in con.sql(
                "select column_name from duckdb_columns() where database_name = 'one' and table_name = ? "
                "order by column_index",
                params=[table],
            ).fetchall()
            if c not in RUN_COLUMNS
        ]
        listed = ", ".join(f'"{c}"' for c in columns)
        one, sliced = f"select {listed} from one.main.{table}", f"select {listed} from sliced.main.{table}"
        rows = con.sql(f"select count(*) from ({one})").fetchone()[0]
        extra = con.sql(f"select count(*) from ({one} except all {sliced})").fetchone()[0]
        missing = con.sql(f"select count(*) from ({sliced} except all {one})").fetchone()[0]
        if extra or missing:
            differing.append((table, rows, extra, missing))
    assert differing == []
