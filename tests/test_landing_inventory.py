"""The landing inventory (tiering/landing.py) on its own, without dbt."""

import json
import os
import shutil
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import copy_handmade

from tiering import landing as landing_module
from tiering.contract import TABLES
from tiering.landing import (
    INVENTORY_NAME,
    INVENTORY_SUFFIX,
    LATEST_ACTIVITY,
    SNAPSHOT_ORIGIN_NAME,
    LandingError,
    completeness_failure,
    default_as_of,
    discover,
    earlier_scans,
    read_header,
    stored_snapshot,
    take_inventory,
    write_inventory,
    write_snapshot_origin,
)

pytestmark = pytest.mark.fast  # the quick tier: make test-fast


def test_files_are_literal_paths_sorted_by_name(tmp_path):
    landing = copy_handmade(tmp_path / "landing")
    (landing / "orders" / "2026-05-31.csv").write_text("order_id\n")
    (landing / "orders" / "notes.txt").write_text("not a delivery")
    assert [p.name for p in discover(landing)["orders"]] == ["2026-05-31.csv", "2026-06-01.csv", "2026-06-30.csv"]


def test_counts_columns_and_types_per_file(tmp_path):
    landing = copy_handmade(tmp_path / "landing")
    inventory = take_inventory(landing)
    events = {f["path"].rsplit("/", 1)[1]: f for f in inventory.files["service_events"]}
    assert events["2026-06-01.parquet"]["rows"] == 14 and events["2026-06-30.csv"]["rows"] == 2
    assert events["2026-06-01.parquet"]["columns"]["event_ts"] == "TIMESTAMP"
    assert list(events["2026-06-30.csv"]["columns"]) == ["event_id", "customer_id", "event_ts", "activity", "quantity"]


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"", "cannot be read: no header row"),
        (b"order_id,Order_ID\nO1,O1\n", "cannot be read: header names column Order_ID more than once"),
        (
            b"order_\xe9d\nO1\n",
            "cannot be read: unreadable header row: 'utf-8' codec can't decode byte 0xe9 in position 6: "
            "invalid continuation byte",
        ),
    ],
)
def test_a_csv_without_a_usable_header_is_rejected(tmp_path, content, reason):
    landing = copy_handmade(tmp_path / "landing")
    bad = landing / "orders" / "2026-07-01.csv"
    bad.write_bytes(content)
    assert take_inventory(landing).rejected == [{"table_name": "orders", "source_file": str(bad), "reason": reason}]


def test_a_truncated_parquet_file_is_rejected(tmp_path):
    landing = copy_handmade(tmp_path / "landing")
    good = landing / "service_events" / "2026-06-01.parquet"
    bad = good.with_name("2026-07-01.parquet")
    bad.write_bytes(good.read_bytes()[:-20])
    rejected = take_inventory(landing).rejected
    assert [(r["source_file"], r["reason"].startswith("cannot be read: ")) for r in rejected] == [(str(bad), True)]


def test_written_inventory_lists_malformed_rows_and_rejected_files(tmp_path):
    landing = copy_handmade(tmp_path / "landing")
    with (landing / "invoices" / "2026-06-30.csv").open("a") as f:
        f.write("I9,C1\n")
    (landing / "invoices" / "2026-0?.csv").write_text("invoice_id\nI10\n")
    target = write_inventory(take_inventory(landing), tmp_path / "inventory")
    document = json.loads(target.read_text())
    assert [f["rows"] for f in document["tables"]["invoices"]["files"]] == [6, 1]
    assert pq.read_table(document["malformed_rows_file"]).to_pylist() == [
        {
            "table_name": "invoices",
            "source_file": str(landing / "invoices" / "2026-06-30.csv"),
            "line": 3,
            "reason": "malformed row at line 3: Expected Number of Columns: 7 Found: 2",
            "raw_text": "I9,C1",
        }
    ]
    assert pq.read_table(document["rejected_files_file"]).column("reason").to_pylist() == [
        "file name contains a glob character (* ? [): not read"
    ]


def test_completeness_names_every_empty_table_unless_allowed(tmp_path):
    landing = copy_handmade(tmp_path / "landing")
    for f in (landing / "invoices").iterdir():
        f.unlink()
    inventory = take_inventory(landing)
    assert completeness_failure(inventory, []) == (
        f"no rows landed for contract table 'invoices' in {landing / 'invoices'} (0 readable file(s) without rows, "
        "0 rejected): failed extract, nothing built"
    )
    assert completeness_failure(inventory, ["invoices"]) is None


@pytest.mark.parametrize(
    "stored",
    [pa.timestamp("us"), pa.timestamp("ms"), pa.timestamp("s"), pa.timestamp("ns"), pa.timestamp("us", tz="UTC")],
)
def test_default_as_of_reads_parquet_timestamps_in_every_stored_unit(tmp_path, stored):
    """A Parquet timestamp is taken as stored (no round trip through text), as staging types it."""
    landing = copy_handmade(tmp_path / "landing")
    events = landing / "service_events" / "2026-06-01.parquet"
    table = pq.read_table(events)
    late = pa.array([datetime(2026, 7, 2, 23, 59, 59)] + [datetime(2026, 6, 1)] * (table.num_rows - 1))
    pq.write_table(table.set_column(table.schema.get_field_index("event_ts"), "event_ts", late.cast(stored)), events)
    assert default_as_of(take_inventory(landing)) == date(2026, 7, 2)


def test_default_as_of_reads_a_parquet_date_column(tmp_path):
    landing = copy_handmade(tmp_path / "landing")
    events = landing / "service_events" / "2026-06-01.parquet"
    table = pq.read_table(events)
    days = pa.array([date(2026, 7, 4)] + [date(2026, 6, 1)] * (table.num_rows - 1), pa.date32())
    pq.write_table(table.set_column(table.schema.get_field_index("event_ts"), "event_ts", days), events)
    assert default_as_of(take_inventory(landing)) == date(2026, 7, 4)


def test_default_as_of_takes_each_files_latest_date_noted_by_its_scan(tmp_path):
    """Noted dates are not read again (here the files are gone); a file without a note is read."""
    landing = copy_handmade(tmp_path / "landing")
    inventory = take_inventory(landing)
    noted = {Path(f["path"]).name: f[LATEST_ACTIVITY] for f in inventory.files["orders"]}
    assert noted == {"2026-06-01.csv": "2026-07-01", "2026-06-30.csv": "2026-05-05"}
    assert all(LATEST_ACTIVITY not in f for f in inventory.files["customers"])  # no order or event column
    for table in TABLES:
        shutil.rmtree(landing / table)
    assert default_as_of(inventory) == date(2026, 7, 2)  # the latest service event
    (landing / "orders").mkdir()
    later = landing / "orders" / "2026-07-05.csv"
    later.write_text("order_id,customer_id,order_ts,channel,status\nO98,C1,2026-07-05 10:00:00,web,completed\n")
    inventory.files["orders"].append(
        {"path": str(later), "kind": "csv", "columns": dict.fromkeys(read_header(later), "VARCHAR")}
    )
    assert default_as_of(inventory) == date(2026, 7, 5)


def test_a_file_whose_latest_date_cannot_be_read_at_its_scan_is_kept_unnoted(tmp_path, monkeypatch):
    """The scan keeps the file (rows counted, not rejected) without a note; default_as_of reads it."""
    landing = copy_handmade(tmp_path / "landing")
    expected = take_inventory(landing)
    with monkeypatch.context() as m:
        m.setattr(landing_module, "_activity_parts", lambda *args: ["select error('unreadable') as d"])
        inventory = take_inventory(landing)
    assert all(LATEST_ACTIVITY not in f for fs in inventory.files.values() for f in fs)
    assert not inventory.rejected
    without_notes = {
        t: [{k: v for k, v in f.items() if k != LATEST_ACTIVITY} for f in fs] for t, fs in expected.files.items()
    }
    assert inventory.files == without_notes
    assert default_as_of(inventory) == default_as_of(expected) == date(2026, 7, 2)


def test_default_as_of_converts_offsets_to_utc(tmp_path):
    landing = copy_handmade(tmp_path / "landing")
    with (landing / "orders" / "2026-06-30.csv").open("a") as f:
        f.write("O90,C1,2026-07-02 22:30:00-05:00,web,completed\n")  # 2026-07-03 03:30 UTC
    assert default_as_of(take_inventory(landing)) == date(2026, 7, 3)


def test_a_landing_folder_that_is_missing_or_a_pattern_is_refused(tmp_path):
    with pytest.raises(LandingError, match="does not exist"):
        take_inventory(tmp_path / "nowhere")
    with pytest.raises(LandingError, match=r"contains a glob character"):
        take_inventory(tmp_path / "land*")


def snapshot(history: Path, as_of: str, levels: list | None) -> Path:
    """A stored snapshot with a membership_level column of `levels` (None: no such column)."""
    path = history / f"as_of={as_of}" / "tier_snapshot.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = {"customer_id": ["c1", "c2"], **({"membership_level": pa.array(levels, pa.string())} if levels else {})}
    pq.write_table(pa.table(columns), path, row_group_size=1)
    return path


def test_stored_snapshots_give_their_date_club_state_columns_and_a_stamp_that_a_rewrite_changes(tmp_path):
    history = tmp_path / "history"
    with_club, without, all_null = (
        snapshot(history, "2026-06-28", [None, "gold"]),
        snapshot(history, "2026-06-29", None),
        snapshot(history, "2026-06-30", [None, None]),
    )
    found = take_inventory(copy_handmade(tmp_path / "landing"), history).history_snapshots
    assert [(s["as_of"], s["club_state"]) for s in found] == [
        ("2026-06-28", True),
        ("2026-06-29", False),
        ("2026-06-30", False),
    ]
    club, no_club = ["customer_id", "membership_level"], ["customer_id"]
    assert [s["columns"] for s in found] == [club, no_club, club]
    assert found[0]["stamp"].startswith(f"{with_club}|")
    pq.write_table(pq.read_table(without), tmp_path / "rewritten.parquet")
    os.replace(tmp_path / "rewritten.parquet", without)  # as store_snapshot replaces a date's folder
    assert stored_snapshot(without)["stamp"] != found[1]["stamp"]
    assert stored_snapshot(all_null) == found[2]  # reading a file does not change its stamp
    pq.write_table(pa.table({"membership_level": ["gold"]}), all_null, write_statistics=False)
    assert stored_snapshot(all_null)["club_state"] is True  # without statistics: the column is read


def test_a_snapshot_counts_by_its_event_log_markers_until_it_is_written_again(tmp_path):
    history = tmp_path / "history"
    path = snapshot(history, "2026-06-29", ["gold", None])
    assert stored_snapshot(path)["computed_by"] == {}
    markers = {"tier_assignment_history": "computed by dbt invocation 1"}
    write_snapshot_origin(path, markers)
    moved = history / "as_of=2026-06-30"
    os.replace(path.parent, moved)  # store_snapshot renames the folder into place
    assert stored_snapshot(moved / path.name)["computed_by"] == markers
    (moved / SNAPSHOT_ORIGIN_NAME).write_text("{not json")
    assert stored_snapshot(moved / path.name)["computed_by"] == {}
    write_snapshot_origin(moved / path.name, markers)
    pq.write_table(pq.read_table(moved / path.name), tmp_path / "rewritten.parquet")
    os.replace(tmp_path / "rewritten.parquet", moved / path.name)  # a rewrite keeps nothing of its origin
    assert stored_snapshot(moved / path.name)["computed_by"] == {}


def test_a_stored_snapshot_outside_a_dated_folder_or_unreadable_is_refused(tmp_path):
    landing = copy_handmade(tmp_path / "landing")
    snapshot(tmp_path / "history", "last-night", None)
    with pytest.raises(LandingError, match="must be named as_of=YYYY-MM-DD"):
        take_inventory(landing, tmp_path / "history")
    truncated = snapshot(tmp_path / "other", "2026-06-29", ["gold", None])
    truncated.write_bytes(truncated.read_bytes()[:40])
    with pytest.raises(LandingError, match=r"tier_snapshot.parquet cannot be read: "):
        take_inventory(landing, tmp_path / "other")
    # a readable footer without statistics, and a damaged page where the club state is read
    damaged = tmp_path / "damaged" / "as_of=2026-06-29" / "tier_snapshot.parquet"
    damaged.parent.mkdir(parents=True)
    table = pa.table({"customer_id": ["c1", "c2"], "membership_level": pa.array(["gold", None])})
    pq.write_table(table, damaged, write_statistics=False, compression="none")
    page = pq.ParquetFile(damaged).metadata.row_group(0).column(1).data_page_offset
    data = bytearray(damaged.read_bytes())
    data[page : page + 12] = b"\xff" * 12
    damaged.write_bytes(bytes(data))
    with pytest.raises(LandingError, match=r"tier_snapshot.parquet cannot be read: .*thrift"):
        take_inventory(landing, tmp_path / "damaged")


def scans_recorded(monkeypatch) -> list[Path]:
    """The files take_inventory scans from now on, in order."""
    scanned = []
    csv_scan, parquet_scan = landing_module.scan_csv, landing_module.scan_parquet

    def csv_recorded(con, path, header):
        scanned.append(path)
        return csv_scan(con, path, header)

    def parquet_recorded(con, path):
        scanned.append(path)
        return parquet_scan(con, path)

    monkeypatch.setattr(landing_module, "scan_csv", csv_recorded)
    monkeypatch.setattr(landing_module, "scan_parquet", parquet_recorded)
    return scanned


def test_a_file_an_earlier_inventory_scanned_is_not_read_again_unless_rewritten(tmp_path, monkeypatch):
    """A nightly delivery adds files: the inventory beside the last build saves the scan of every
    file written no later than it was read, its malformed rows included."""
    landing = copy_handmade(tmp_path / "landing")
    with (landing / "invoices" / "2026-06-30.csv").open("a") as f:
        f.write("I9,C1\n")  # a malformed row, found by the earlier scan
    builds = tmp_path / "build"
    write_inventory(take_inventory(landing), builds / f"warehouse-2026-06-30{INVENTORY_SUFFIX}")
    rewritten = landing / "orders" / "2026-06-30.csv"
    with rewritten.open("a") as f:
        f.write("O99,C1,2026-06-30 10:00:00,web,completed\n")
    new = landing / "orders" / "2026-07-01.csv"
    new.write_text("order_id,customer_id,order_ts,channel,status\nO98,C1,2026-07-01 10:00:00,web,completed\n")

    scanned = scans_recorded(monkeypatch)
    again = take_inventory(landing, earlier=earlier_scans(builds, landing))
    assert scanned == [rewritten, new]
    fresh = take_inventory(landing)
    assert (again.files, again.malformed, again.rejected) == (fresh.files, fresh.malformed, fresh.rejected)
    assert [m["source_file"] for m in again.malformed] == [str(landing / "invoices" / "2026-06-30.csv")]


def test_earlier_scans_of_another_scanner_or_none_are_not_used(tmp_path):
    landing = copy_handmade(tmp_path / "landing")
    assert earlier_scans(tmp_path / "no builds", landing) == {}
    target = write_inventory(take_inventory(landing), tmp_path / f"warehouse{INVENTORY_SUFFIX}")
    document = json.loads(target.read_text())
    assert set(earlier_scans(tmp_path, landing)) == {
        f["stamp"] for t in document["tables"].values() for f in t["files"]
    }
    target.write_text(json.dumps({**document, "scanner": "duckdb 0.0.1"}))  # scanned by another DuckDB
    assert earlier_scans(tmp_path, landing) == {}
    target.write_text("{")
    assert earlier_scans(tmp_path, landing) == {}


def test_earlier_scans_come_from_the_newest_inventory_of_the_same_landing(tmp_path):
    """A build of another landing folder beside it, newer or unreadable, does not hide them."""
    ours, other = copy_handmade(tmp_path / "ours"), copy_handmade(tmp_path / "other")
    builds = tmp_path / "build"
    mine = write_inventory(take_inventory(ours), builds / f"w-ours{INVENTORY_SUFFIX}")
    stamps = {f["stamp"] for t in json.loads(mine.read_text())["tables"].values() for f in t["files"]}
    newer = write_inventory(take_inventory(other), builds / f"w-other{INVENTORY_SUFFIX}")
    broken = builds / f"w-broken{INVENTORY_SUFFIX}" / INVENTORY_NAME
    broken.parent.mkdir()
    broken.write_text("[")
    for later, path in enumerate([mine, newer, broken]):
        os.utime(path, ns=(10**18 + later, 10**18 + later))  # newest last
    assert set(earlier_scans(builds, ours)) == stamps and stamps
    assert not stamps & set(earlier_scans(builds, other))


def test_the_nights_inventory_reuses_the_scans_of_the_default_as_of(tmp_path, monkeypatch):
    """warehouse-run without --as-of: the default as-of's inventory scans each new file, and the
    night's inventory (prepare_landing) scans none of them again."""
    from orchestration.dbt_runner import prepare_landing
    from orchestration.main_job import keep_scans, landing_default_as_of
    from tiering.settings import Settings

    settings = Settings(home=tmp_path / "wh", landing_dir=copy_handmade(tmp_path / "landing"))
    files = sorted(Path(f["path"]) for fs in take_inventory(settings.landing_dir).files.values() for f in fs)
    scanned = scans_recorded(monkeypatch)
    as_of, inventory = landing_default_as_of(settings)
    keep_scans(settings, inventory)  # once warehouse-run holds the run lock
    assert as_of == date(2026, 7, 2)
    assert sorted(scanned) == files
    scanned.clear()
    assert prepare_landing(settings, None, settings.build_file(as_of.isoformat()), settings.history_dir)[0] == as_of
    assert scanned == []
