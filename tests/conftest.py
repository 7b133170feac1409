import shutil
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from devtools.generator.cli import Spec, generate
from orchestration.dbt_runner import run_dbt_build

FIXTURES = Path(__file__).parent / "fixtures"
HANDMADE_AS_OF = date(2026, 6, 30)


def copy_handmade(dest: Path) -> Path:
    """The hand-written landing zone; service_events' first delivery becomes typed Parquet."""
    shutil.copytree(FIXTURES / "handmade_landing", dest)
    csv = dest / "service_events" / "2026-06-01.csv"
    table = duckdb.execute(
        """select event_id, customer_id, event_ts::timestamp as event_ts, activity, quantity
                              from read_csv(?, all_varchar = true)""",
        [str(csv)],
    ).to_arrow_table()
    pq.write_table(table, csv.with_suffix(".parquet"))
    csv.unlink()
    return dest


def build(landing: Path, warehouse: Path, as_of: date | None = None):
    result = run_dbt_build(landing, as_of, warehouse, capture=True)
    assert result.returncode == 0, result.stdout[-5000:]
    return result


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.sql(sql).fetchall()


@pytest.fixture(scope="session")
def handmade_landing(tmp_path_factory) -> Path:
    return copy_handmade(tmp_path_factory.mktemp("handmade") / "landing")


@pytest.fixture(scope="session")
def handmade_warehouse(handmade_landing, tmp_path_factory) -> Path:
    warehouse = tmp_path_factory.mktemp("handmade_wh") / "warehouse.duckdb"
    build(handmade_landing, warehouse, HANDMADE_AS_OF)
    return warehouse


@pytest.fixture(scope="session")
def generated_landing(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("generated") / "landing"
    counts = generate(Spec(customers=3000, seed=11), out)
    return out, counts


@pytest.fixture(scope="session")
def generated_warehouse(generated_landing, tmp_path_factory) -> Path:
    warehouse = tmp_path_factory.mktemp("generated_wh") / "warehouse.duckdb"
    build(generated_landing[0], warehouse)
    return warehouse
