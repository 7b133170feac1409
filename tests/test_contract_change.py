"""Adding a column to a landing table is one edit of the machine contract: in a copy of the
project, a column declared only in models/staging/_sources.yml is landed, typed by staging and
judged by validation (the models that use it are the only other edits a change needs)."""

import os
import shutil
import subprocess

import duckdb
import yaml
from conftest import copy_handmade

from orchestration.dbt_args import build_args, dbt_env, dbt_executable
from orchestration.dbt_runner import prepare_landing
from tiering.project import PROJECT_DIR
from tiering.settings import Settings

DBT_FILES = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds")
NEW_COLUMN = {
    "name": "loyalty_points",
    "data_type": "integer",
    "description": "Points the order earned.",
    "config": {"meta": {"optional": True, "min": 0}},  # earlier files lack it
}
ORDERS_WITH_POINTS = """order_id,customer_id,order_ts,channel,status,loyalty_points
O60,C1,2026-06-20 10:00:00,web,completed,10
O61,C1,2026-06-20 11:00:00,web,completed,-2
O62,C1,2026-06-20 12:00:00,web,completed,lots
"""


def copy_project(dest):
    dest.mkdir()
    for name in DBT_FILES:
        source = PROJECT_DIR / name
        if source.is_dir():
            shutil.copytree(source, dest / name)
        else:
            shutil.copy(source, dest / name)
    return dest


def add_column(project, table: str, column: dict) -> None:
    path = project / "models" / "staging" / "_sources.yml"
    document = yaml.safe_load(path.read_text())
    landing = next(s for s in document["sources"] if s["name"] == "landing")
    next(t for t in landing["tables"] if t["name"] == table)["columns"].append(column)
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def test_a_column_added_to_the_contract_only_is_typed_and_validated(tmp_path):
    project = copy_project(tmp_path / "project")
    add_column(project, "orders", NEW_COLUMN)
    landing = copy_handmade(tmp_path / "landing")
    (landing / "orders" / "2026-06-30-points.csv").write_text(ORDERS_WITH_POINTS)
    warehouse = tmp_path / "warehouse.duckdb"
    settings = Settings(home=tmp_path / "home", landing_dir=landing)
    as_of, inventory = prepare_landing(settings, None, warehouse, tmp_path / "history")
    command = [
        dbt_executable(),
        *build_args(project, "+int_orders__validated"),
        "--indirect-selection",
        "cautious",
    ]
    # its own target folder: a parse of another project would stand in the worker's, which builds reuse
    env = dbt_env(settings, warehouse, inventory, as_of, {**os.environ, "DBT_TARGET_PATH": str(project / "target")})
    result = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        typed = con.sql(
            "select data_type from duckdb_columns() where table_name = 'stg_orders' and column_name = 'loyalty_points'"
        )
        assert typed.fetchall() == [("INTEGER",)]
        judged = con.sql("""select order_id, loyalty_points, row_status, issues from int_orders__validated
                            where order_id in ('O1', 'O60', 'O61', 'O62') order by order_id""").fetchall()
    assert judged == [
        ("O1", None, "accepted", None),  # delivered in a file without the column
        ("O60", 10, "accepted", None),
        ("O61", -2, "quarantined", "loyalty_points is negative"),
        ("O62", None, "quarantined", 'loyalty_points is not a valid integer: "lots"'),
    ]
