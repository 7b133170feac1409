"""A landing zone written by hand to the contract: every bad row quarantined with its reason."""

import csv
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import copy_handmade, query

from orchestration.dbt_runner import run_dbt_build

pytestmark = pytest.mark.fast  # the quick tier: make test-fast

# (table, key, part of the reason) for every bad row in tests/fixtures/handmade_landing
EXPECTED_QUARANTINE = [
    ("activity_rates", "courier from 2024-01-01", "validity overlaps the rate valid from 2025-06-01"),
    ("activity_rates", "courier from 2025-06-01", "validity overlaps the rate valid from 2024-01-01"),
    ("activity_rates", "gift_wrap from 2024-01-01", "rate_per_unit is negative"),
    ("customers", None, "customer_id is missing"),
    ("customers", "C6", 'created_date is not a valid date: "2026-02-30"'),
    ("customers", "C7", "conflicting versions of this key in one file"),
    ("customers", "C7", "conflicting versions of this key in one file"),
    ("invoices", "I5", "due_date is before invoice_date"),
    ("invoices", "I6", 'unknown customer "C99"'),
    ("order_lines", "O15 #1", 'order "O15" is quarantined'),
    ("order_lines", "O404 #1", 'unknown order "O404"'),
    ("order_lines", "O6 #2", "quantity is zero"),
    ("order_lines", "O6 #3", "unit_price is negative"),
    ("order_lines", "O6 #4", 'unit_price is not a valid decimal(18,2): "5.005"'),
    ("order_lines", "O8 #1", 'order "O8" is quarantined'),
    ("orders", "O10", 'channel "fax" is not one of field_sales, phone, web, partner'),
    ("orders", "O11", 'customer "C6" is quarantined'),
    ("orders", "O15", "conflicting versions of this key in one file"),
    ("orders", "O15", "conflicting versions of this key in one file"),
    ("orders", "O8", 'unknown customer "C99"'),
    ("orders", "O9", 'order_ts is not a valid timestamp: "yesterday"'),
    ("service_events", "E10", 'unknown activity "teleport"'),
    ("service_events", "E11", 'no accepted rate of "courier" is valid on 2026-01-01'),
    ("service_events", "E12", "quantity is not positive"),
    ("service_events", "E13", 'unknown customer "C99"'),
    ("service_events", "E14", 'quantity is not a valid decimal(18,2): "3.333"'),
]

# table: (files, landed, accepted, quarantined, superseded), counted by hand
EXPECTED_COUNTS = {
    "activity_rates": (1, 7, 4, 3, 0),
    "customers": (2, 14, 8, 4, 2),
    "invoices": (2, 7, 4, 2, 1),
    "order_lines": (2, 19, 12, 6, 1),
    "orders": (2, 17, 10, 6, 1),
    "service_events": (2, 16, 10, 5, 1),
}


def landed_rows_in_files(folder: Path) -> int:
    """Rows in a table folder, counted without DuckDB."""
    n = 0
    for f in folder.iterdir():
        if f.suffix == ".csv":
            with f.open(newline="") as fh:
                n += sum(1 for _ in csv.reader(fh)) - 1
        elif f.suffix == ".parquet":
            n += pq.ParquetFile(f).metadata.num_rows
    return n


def test_every_bad_row_is_quarantined_with_its_reason(handmade_warehouse):
    rows = query(handmade_warehouse, "select table_name, record_key, reason from quarantine")
    order = lambda row: (row[0], row[1] or "", row[2])
    got = sorted(rows, key=order)
    assert len(got) == len(EXPECTED_QUARANTINE)
    for (t, k, r), (et, ek, er) in zip(got, sorted(EXPECTED_QUARANTINE, key=order)):
        assert (t, k) == (et, ek) and er in r, (t, k, r)


def test_quarantine_keeps_source_file_and_landed_values(handmade_warehouse, handmade_landing):
    rows = query(handmade_warehouse, "select source_file, landed_record from quarantine where record_key = 'O6 #4'")
    assert rows == [
        (
            str(handmade_landing / "order_lines" / "2026-06-01.csv"),
            '{"order_id":"O6","line_number":"4","product_id":"P4","quantity":"1",'
            '"unit_price":"5.005","discount_amount":"0.00","unit_cost":"2.00"}',
        )
    ]


def test_counts_reconcile_per_table(handmade_warehouse, handmade_landing):
    rows = query(
        handmade_warehouse,
        """select table_name, files, rows_landed, rows_accepted, rows_quarantined,
                                               rows_superseded, is_reconciled from landing_reconciliation""",
    )
    assert {r[0]: r[1:6] for r in rows} == EXPECTED_COUNTS
    assert all(r[6] for r in rows)
    for table, counts in EXPECTED_COUNTS.items():
        assert landed_rows_in_files(handmade_landing / table) == counts[1]


def test_last_file_wins_and_identical_copies_collapse(handmade_warehouse):
    assert query(handmade_warehouse, "select region from int_customers where customer_id = 'C2'") == [("west",)]
    assert query(handmade_warehouse, "select status from int_orders where order_id = 'O12'") == [("cancelled",)]
    assert query(
        handmade_warehouse, "select quantity from int_order_lines where order_id = 'O1' and line_number = 3"
    ) == [(2,)]
    assert query(handmade_warehouse, "select count(*) from int_customers where customer_id = 'C8'") == [(1,)]
    assert query(handmade_warehouse, "select paid_date::varchar from int_invoices where invoice_id = 'I3'") == [
        ("2026-06-15",)
    ]


def test_event_gets_the_rate_valid_on_its_date(handmade_warehouse):
    rows = query(
        handmade_warehouse,
        "select event_id, rate_per_unit::varchar from int_service_events where event_id in ('E1', 'E2') order by 1",
    )
    assert rows == [("E1", "150.00"), ("E2", "165.00")]


def test_empty_table_folder_fails_the_run_naming_table_and_folder(tmp_path):
    landing = copy_handmade(tmp_path / "landing")
    shutil.rmtree(landing / "invoices")
    (landing / "invoices").mkdir()
    result = run_dbt_build(landing, None, tmp_path / "wh.duckdb", capture=True)
    assert result.returncode == 2
    assert result.stdout == (
        f"no rows landed for contract table 'invoices' in {landing / 'invoices'} "
        "(0 readable file(s) without rows, 0 rejected): failed extract, nothing built\n"
    )
    assert not (tmp_path / "wh.duckdb").exists()
