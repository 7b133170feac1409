"""A bad night never publishes wrong figures: each delivery fault ends as a quarantine row with its
reason, a rejected file, or a run that fails with a one-line cause.

One landing zone holds the row- and file-level faults (each in its own file, so they do not
interfere); it lives in a folder whose name has a quote and Jinja braces, and is built under
TZ=UTC (and once more under TZ=America/New_York by a slow test).
"""

import csv
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import copy_handmade, query, shared

from orchestration.dbt_runner import run_dbt_build
from tiering.db import sql_string
from tiering.landing import GLOB_CHARS
from tiering.settings import PUBLIC_MARTS

# lines appended to orders/2026-06-30.csv (its header is line 1, its five rows lines 2-6)
ORDERS_TAIL = (
    "O16,C1,2026-06-30 22:30:00-05:00,web,completed\n"  # line 7
    "O17,C1,2026-05-07 10:00:00,web,completed,extra\n"  # line 8: too many fields
    "O18,C1,2026-06-30T10:00:00Z,web,completed\n"  # line 9
    "O19,C1,2026-05-07 10:00:00,web\n"  # line 10: too few fields
    "O20,C1,2026-06-30 01:00:00+0200,web,completed\n"  # line 11
    'O21,C1,"2026-05-07 10:00:00,web,completed\n'  # line 12: unterminated quote (to the end)
)
BIG_ROWS, BIG_BAD_LINE = 21_000, 20_900  # past DuckDB's sniffer sample


def bad_night_files(landing: Path) -> dict[str, Path]:
    return {
        "orders": landing / "orders" / "2026-06-30.csv",
        "big": landing / "order_lines" / "2026-07-01.csv",
        "latin1": landing / "customers" / "2026-07-01.csv",
        "nested": landing / "customers" / "2026-07-02.parquet",
        "tstz": landing / "service_events" / "2026-07-01.parquet",
        "glob": landing / "orders" / "2026-0*.csv",
    }


def write_bad_night(landing: Path) -> dict[str, Path]:
    """The handmade landing plus one file per fault; returns the faulty files."""
    copy_handmade(landing)
    files = bad_night_files(landing)
    with files["orders"].open("a") as f:
        f.write(ORDERS_TAIL)
    lines = ["order_id,line_number,product_id,quantity,unit_price,discount_amount,unit_cost"]
    lines += [
        f"O4,{line + 100},P9,1,1.00,0.00,0.50" + (",9" if line == BIG_BAD_LINE else "")
        for line in range(2, BIG_ROWS + 2)
    ]
    files["big"].write_text("\n".join(lines) + "\n")
    files["latin1"].write_bytes(
        b"customer_id,customer_name,segment,region,created_date\n"
        b"C60,Caf\xe9 Ltd,smb,east,2026-07-01\nC61,Good Ltd,smb,east,2026-07-01\n"
    )
    pq.write_table(
        pa.table(
            {
                "customer_id": ["C62"],
                "customer_name": [{"first": "Nu", "last": "Ltd"}],
                "segment": ["smb"],
                "region": ["east"],
                "created_date": pa.array([datetime(2026, 7, 1).date()], pa.date32()),
            }
        ),
        files["nested"],
    )
    evening = datetime(2026, 7, 1, 4, 30, tzinfo=UTC)  # 2026-06-30 23:30 in New York
    pq.write_table(
        pa.table(
            {
                "event_id": ["E20"],
                "customer_id": ["C1"],
                "event_ts": pa.array([evening], pa.timestamp("us", tz="America/New_York")),
                "activity": ["delivery"],
                "quantity": pa.array([1], pa.decimal128(18, 2)),
            }
        ),
        files["tstz"],
    )
    files["glob"].write_text("order_id,customer_id,order_ts,channel,status\nO30,C1,2026-06-01 10:00:00,web,completed\n")
    return files


def bad_night(folder: Path) -> tuple[Path, dict[str, Path], dict[str, Path]]:
    """The bad night in `folder`, under a name with a quote and Jinja braces: its landing, its
    faulty files and its build under TZ=UTC."""
    root = folder / "night's {{ 1+1 }}"
    return root / "landing", bad_night_files(root / "landing"), {"UTC": root / "UTC" / "wh.duckdb"}


def build_under(time_zone: str, landing: Path, warehouse: Path) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TZ", time_zone)
        result = run_dbt_build(landing, None, warehouse, capture=True)
    assert result.returncode == 0, result.stdout[-5000:]


def make_bad_night(folder: Path) -> None:
    landing, _, built = bad_night(folder)
    write_bad_night(landing)
    build_under("UTC", landing, built["UTC"])


@pytest.fixture(scope="module")
def night(tmp_path_factory):
    """Built once per test run (test_audit reads it too)."""
    return bad_night(shared(tmp_path_factory, "bad-night", make_bad_night))


def quarantined(warehouse: Path, source_file: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select record_key, reason, landed_record from quarantine where source_file = ?", [str(source_file)]
        ).fetchall()
    return sorted(rows, key=lambda r: (r[0] or "", r[1], r[2]))


def test_wrong_field_counts_and_a_broken_quote_are_quarantined_rows(night):
    _, files, built = night
    wh = built["UTC"]
    assert quarantined(wh, files["orders"]) == [
        (None, "malformed row at line 10: Expected Number of Columns: 5 Found: 4", "O19,C1,2026-05-07 10:00:00,web"),
        (
            None,
            "malformed row at line 12: Value with unterminated quote found.",
            'O21,C1,"2026-05-07 10:00:00,web,completed',
        ),
        (
            None,
            "malformed row at line 8: Expected Number of Columns: 5 Found: 6",
            "O17,C1,2026-05-07 10:00:00,web,completed,extra",
        ),
        (
            "O15",
            "conflicting versions of this key in one file",
            '{"order_id":"O15","customer_id":"C1","order_ts":'
            '"2026-05-05 10:00:00","channel":"partner","status":"cancelled"}',
        ),
        (
            "O15",
            "conflicting versions of this key in one file",
            '{"order_id":"O15","customer_id":"C1","order_ts":'
            '"2026-05-05 10:00:00","channel":"partner","status":"completed"}',
        ),
    ]
    # the file's other rows, before and after the malformed ones, count as usual
    assert query(wh, """select order_id from int_orders where source_file like '%2026-06-30.csv' order by 1""") == [
        ("O12",),
        ("O13",),
        ("O14",),
        ("O16",),
        ("O18",),
        ("O20",),
    ]


def test_a_malformed_row_past_the_sniffer_sample_is_one_quarantined_row(night):
    _, files, built = night
    assert quarantined(built["UTC"], files["big"]) == [
        (
            None,
            f"malformed row at line {BIG_BAD_LINE}: Expected Number of Columns: 7 Found: 8",
            f"O4,{BIG_BAD_LINE + 100},P9,1,1.00,0.00,0.50,9",
        )
    ]
    with duckdb.connect(str(built["UTC"]), read_only=True) as con:
        assert con.execute(
            "select count(*) from int_order_lines where source_file = ?", [str(files["big"])]
        ).fetchall() == [(BIG_ROWS - 1,)]


def test_a_latin1_byte_quarantines_its_row_only(night):
    _, files, built = night
    rows = quarantined(built["UTC"], files["latin1"])
    assert [(k, r.split(":")[0], t.startswith("C60,Caf")) for k, r, t in rows] == [
        (None, "malformed row at line 2", True)
    ]
    assert "not utf-8" in rows[0][1]
    assert query(built["UTC"], "select customer_id from int_customers where customer_id in ('C60', 'C61')") == [
        ("C61",)
    ]


def test_timestamps_with_an_offset_convert_to_utc(night):
    _, _, built = night
    assert query(
        built["UTC"],
        "select order_id, order_ts::varchar from int_orders where order_id in ('O16', 'O18', 'O20') order by 1",
    ) == [("O16", "2026-07-01 03:30:00"), ("O18", "2026-06-30 10:00:00"), ("O20", "2026-06-29 23:00:00")]


def test_parquet_timestamp_with_time_zone_converts_to_utc(night):
    _, _, built = night
    for wh in built.values():
        assert query(wh, "select event_ts::varchar from int_service_events where event_id = 'E20'") == [
            ("2026-07-01 04:30:00",)
        ]


@pytest.mark.slow  # a second build of the bad night
def test_marts_do_not_depend_on_the_host_time_zone(night, tmp_path):
    landing, _, built = night
    build_under("America/New_York", landing, tmp_path / "wh.duckdb")
    con = duckdb.connect()
    for name, wh in (("utc", built["UTC"]), ("ny", tmp_path / "wh.duckdb")):
        con.execute(f"attach {sql_string(wh)} as {name} (read_only)")
    for mart in PUBLIC_MARTS:
        for a, b in (("utc", "ny"), ("ny", "utc")):
            assert con.sql(f"select count(*) from (from {a}.{mart} except all from {b}.{mart})").fetchone()[0] == 0, (
                mart,
                a,
            )


def test_a_nested_parquet_column_is_a_quarantine_reason(night):
    _, files, built = night
    assert [r[:2] for r in quarantined(built["UTC"], files["nested"])] == [
        ("C62", "customer_name is a nested Parquet column")
    ]
    assert query(built["UTC"], "select count(*) from int_customers where customer_id = 'C62'") == [(0,)]


def test_a_file_name_with_a_glob_character_is_rejected_not_read(night):
    _, files, built = night
    assert query(built["UTC"], "select table_name, source_file, reason from rejected_files") == [
        ("orders", str(files["glob"]), "file name contains a glob character (* ? [): not read")
    ]
    assert query(built["UTC"], "select count(*) from int_orders__validated where order_id = 'O30'") == [(0,)]
    # each other orders file is read once
    assert query(built["UTC"], "select source_file, count(*) from int_orders__validated group by all order by 1") == [
        (str(files["orders"].with_name("2026-06-01.csv")), 12),
        (str(files["orders"]), 8),
    ]


def landed_rows_in_files(folder: Path) -> int:
    """Rows of a table folder counted without DuckDB: CSV records (csv module) less the header,
    Parquet footers; files named like a glob pattern are not landed."""
    n = 0
    for f in folder.iterdir():
        if any(c in f.name for c in GLOB_CHARS):
            continue
        if f.suffix == ".csv":
            with f.open(encoding="utf-8", errors="replace", newline="") as fh:
                n += sum(1 for record in csv.reader(fh) if record) - 1
        elif f.suffix == ".parquet":
            n += pq.ParquetFile(f).metadata.num_rows
    return n


def test_reconciliation_equals_an_independent_count(night):
    landing, _, built = night
    rows = query(
        built["UTC"],
        """select table_name, rows_landed, rows_accepted + rows_quarantined + rows_superseded
                                         + rows_malformed, rows_malformed, files_rejected from landing_reconciliation""",
    )
    assert {r[0]: r[3:] for r in rows} == {
        "activity_rates": (0, 0),
        "customers": (1, 0),
        "invoices": (0, 0),
        "order_lines": (1, 0),
        "orders": (3, 1),
        "service_events": (0, 0),
    }
    for table, landed, resolved, _, _ in rows:
        assert landed == resolved == landed_rows_in_files(landing / table), table


def test_a_landing_path_with_a_quote_and_braces_is_data(night):
    landing, _, built = night
    assert "'" in str(landing) and "{{ 1+1 }}" in str(landing)  # not rendered: the files were found and read
    with duckdb.connect(str(built["UTC"]), read_only=True) as con:
        assert con.execute(
            "select count(*) = count(*) filter (where starts_with(source_file, ?)) from quarantine", [str(landing)]
        ).fetchone() == (True,)


def test_a_landing_path_with_a_glob_character_is_refused_in_one_line(tmp_path):
    landing = copy_handmade(tmp_path / "land[1]")
    result = run_dbt_build(landing, None, tmp_path / "wh.duckdb", capture=True)
    assert (result.returncode, result.stdout) == (
        2,
        f"landing folder {landing} contains a glob character (* ? [): rename it\n",
    )


def test_a_file_built_from_another_landing_is_refused_in_one_line(tmp_path, monkeypatch):
    """warehouse-build builds on an existing file incrementally: not with another landing's
    rows (the 1M benchmark's landing on a 100k file failed reconciliation, unexplained)."""
    first, second, warehouse = tmp_path / "a", copy_handmade(tmp_path / "b"), tmp_path / "wh.duckdb"
    warehouse.write_bytes(b"")
    warehouse.with_suffix(".landing").write_text(str(first))
    result = run_dbt_build(second, None, warehouse, capture=True)
    assert (result.returncode, result.stdout) == (
        2,
        f"{warehouse} was built from {first}, not {second}: build into another file or add --full-refresh\n",
    )
    started = []
    monkeypatch.setattr("orchestration.dbt_runner.subprocess.run", lambda cmd, **kw: started.append(cmd))
    run_dbt_build(second, None, warehouse, capture=True, extra=["--full-refresh"])
    assert started and warehouse.with_suffix(".landing").read_text() == str(second)


@pytest.mark.parametrize("table", ["orders", "activity_rates", "customers"])
def test_a_missing_table_folder_fails_in_one_line_naming_table_and_folder(tmp_path, table):
    landing = copy_handmade(tmp_path / "landing")
    shutil.rmtree(landing / table)
    result = run_dbt_build(landing, None, tmp_path / "wh.duckdb", capture=True)
    assert (result.returncode, result.stdout) == (
        2,
        f"no rows landed for contract table '{table}' in {landing / table} (folder missing): failed extract, nothing built\n",
    )


def test_a_table_with_no_accepted_row_fails_the_build(tmp_path):
    landing = copy_handmade(tmp_path / "landing")
    (landing / "activity_rates" / "2026-06-01.csv").write_text(
        "activity,driver_unit,rate_per_unit,valid_from,valid_to\ndelivery,delivery,-1.00,2024-01-01,\n"
    )
    # the check and what it reads (the rest of a build does not change its verdict)
    selection = ["--select", "+landing_reconciliation", "--indirect-selection", "cautious"]
    result = run_dbt_build(landing, None, tmp_path / "wh.duckdb", capture=True, extra=selection)
    assert result.returncode == 1
    assert "assert_every_contract_table_has_accepted_rows" in result.stdout, result.stdout[-3000:]
    # service_events follows: no rate, so no event is accepted either
    assert (
        f"Invalid Input Error: contract table 'activity_rates' has no accepted rows in {landing / 'activity_rates'}; "
        f"contract table 'service_events' has no accepted rows in {landing / 'service_events'}\n"
    ) in result.stdout
    with duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True) as con:
        assert con.sql(
            "select rows_accepted from landing_reconciliation where table_name = 'activity_rates'"
        ).fetchall() == [(0,)]
