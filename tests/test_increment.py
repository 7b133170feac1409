"""A nightly increment (one new day of files on yesterday's warehouse) equals a full rebuild."""

from datetime import date

import duckdb
import pytest
from conftest import build, copy_handmade, query

from devtools.generator.cli import Spec, generate
from devtools.generator.increment import append_day
from orchestration.publish import store_snapshot
from tiering.settings import PUBLIC_MARTS

DAY, NEXT = date(2026, 6, 30), date(2026, 7, 1)


@pytest.fixture(scope="module")
def increment(tmp_path_factory):
    root = tmp_path_factory.mktemp("increment")
    landing = root / "landing"
    generate(Spec(customers=1500, seed=21), landing)
    (root / "inc").mkdir()
    (root / "full").mkdir()
    build(landing, root / "inc" / "wh.duckdb", DAY)
    for side in ("inc", "full"):  # yesterday's tier snapshot, so tier_migration has a pair of dates to compare
        store_snapshot(root / "inc" / "wh.duckdb", root / side / "history", DAY.isoformat())
    counts = append_day(landing, NEXT)
    result = build(landing, root / "inc" / "wh.duckdb", NEXT)  # on yesterday's file: incremental
    build(landing, root / "full" / "wh.duckdb", NEXT)  # a new file: full build
    return root, counts, result


@pytest.mark.slow
def test_the_new_day_has_new_rows_and_corrections(increment):
    _, counts, _ = increment
    assert counts["orders"] > 0 and counts["order_lines"] > 0 and counts["service_events"] > 0
    assert counts["invoices"] > 0  # payments of open invoices: re-sent keys


@pytest.mark.slow  # two builds: a day, then the next
def test_an_incremental_run_reads_only_new_files(tmp_path):
    landing = copy_handmade(tmp_path / "landing")
    warehouse = tmp_path / "wh.duckdb"
    build(landing, warehouse, DAY, select="+int_customers")  # the customers' models suffice here
    read_before = landing / "customers" / "2026-06-30.csv"
    read_before.write_text(read_before.read_text().replace("C2,Beta Ltd,smb,west", "C2,Beta Ltd,smb,east"))
    (landing / "customers" / "2026-07-01.csv").write_text(
        "customer_id,customer_name,segment,region,created_date\nC2,Beta Ltd,smb,north,2025-03-01\nC50,Mu,smb,east,2026-07-01\n"
    )
    result = build(landing, warehouse, NEXT, select="+int_customers")
    assert "incremental model main.int_customers__validated" in result.stdout
    # the file read before is not read again (its change is not seen); the new file is
    assert query(
        warehouse,
        """select source_file like '%2026-07-01.csv', region, row_status from int_customers__validated
                               where customer_id = 'C2' order by source_file""",
    ) == [(False, "south", "superseded"), (False, "west", "superseded"), (True, "north", "accepted")]
    assert query(warehouse, "select region from int_customers where customer_id = 'C50'") == [("east",)]


@pytest.mark.slow
@pytest.mark.parametrize("mart", PUBLIC_MARTS)
def test_increment_equals_full_rebuild(increment, mart):
    root, _, _ = increment
    con = duckdb.connect()
    con.execute(f"attach '{root / 'inc' / 'wh.duckdb'}' as inc (read_only)")
    con.execute(f"attach '{root / 'full' / 'wh.duckdb'}' as rebuilt (read_only)")
    assert con.sql(f"select count(*) from inc.{mart}").fetchone()[0] > 0 or mart in (
        "early_warning",
        "service_exceptions",
        "rejected_files",
        "high_value_retention",  # needs a date six months back in history
    )
    for a, b in (("inc", "rebuilt"), ("rebuilt", "inc")):
        assert con.sql(f"select count(*) from (from {a}.{mart} except all from {b}.{mart})").fetchone()[0] == 0, (
            mart,
            a,
        )


@pytest.mark.slow
def test_tier_migration_compares_the_stored_night_with_the_new_one(increment):
    root, _, _ = increment
    pairs = query(root / "inc" / "wh.duckdb", "select distinct from_date, to_date from tier_migration")
    assert pairs == [(DAY, NEXT)]
