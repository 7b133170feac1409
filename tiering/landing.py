"""The landing inventory: each contract table's files, how to read them, and what is wrong with them.

Taken in Python before dbt runs; dbt reads exactly the files listed (macros/landing.sql) and finds
the inventory through $WAREHOUSE_INVENTORY (an environment variable: dbt renders --vars as Jinja).
CSV is read with the contract's dialect stated explicitly (never sniffed): each malformed row is
listed with its line number and raw text, and dbt skips exactly those rows. A file that cannot be
read, or whose name is a glob pattern, is a rejected file with its reason and is never read by dbt.
"""

import csv
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from tiering import db
from tiering.contract import TABLES
from tiering.db import sql_string

GLOB_CHARS = ("*", "?", "[")
# DuckDB limits of the inventory's own connections when none are given (Settings' defaults)
DUCKDB_DEFAULTS = {"memory_limit": "4GB", "threads": 2}
CSV_DIALECT = "delim = ',', quote = '\"', escape = '\"', header = true, auto_detect = false"
MALFORMED_SCHEMA = pa.schema(
    [
        ("table_name", pa.string()),
        ("source_file", pa.string()),
        ("line", pa.int64()),
        ("reason", pa.string()),
        ("raw_text", pa.string()),
    ]
)
REJECTED_SCHEMA = pa.schema([("table_name", pa.string()), ("source_file", pa.string()), ("reason", pa.string())])
INVENTORY_NAME = "inventory.json"
# beside a stored snapshot (store_snapshot): the event-log computations of its date it was exported from
SNAPSHOT_ORIGIN_NAME = "computed_by.json"
INVENTORY_SUFFIX = ".inventory"  # a build's inventory folder: its file's name with this suffix
# DuckDB checks UTF-8 only in the columns a query reads: with this filter ignore_errors skips every malformed row
EVERY_COLUMN_READ = "where length(concat(*columns(*))) >= 0"
# the default as-of date: the latest of every timestamp column of the contract (converted as macros/typing.sql does)
ACTIVITY_COLUMNS = [(t.name, c.name) for t in TABLES.values() for c in t.columns if c.data_type == "timestamp"]
LATEST_ACTIVITY = "latest_activity"  # an inventory entry's latest order or event date, noted by its scan
# stored types holding a timestamp without an offset (macros/typing.sql casts them, nanoseconds aside)
NAIVE_TIMESTAMP_TYPES = ("TIMESTAMP", "TIMESTAMP_MS", "TIMESTAMP_S", "TIMESTAMP_NS", "DATE")
# a time of day followed by an offset (Z, +02, +02:00, -0500); macros/typing.sql uses the same pattern
OFFSET_PATTERN = r"[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]*)?)?\s*([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)$"
# what a file's scan (counts, malformed rows, latest date) depends on besides the file: an earlier
# inventory's scans are reused only when it was written with the same
SCANNER = f"duckdb {duckdb.__version__}; {CSV_DIALECT}; {EVERY_COLUMN_READ}; {OFFSET_PATTERN}; {NAIVE_TIMESTAMP_TYPES}"


class LandingError(Exception):
    """A landing folder the night cannot be built from; the message is one line."""


@dataclass
class Inventory:
    landing_dir: Path
    files: dict[str, list[dict]]  # table -> [{path, kind, columns: {name: DuckDB type}, rows}]
    malformed: list[dict] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)
    # [{path, as_of, stamp, computed_by, club_state, columns}]
    history_snapshots: list[dict] = field(default_factory=list)

    def folder(self, table: str) -> Path:
        return self.landing_dir / table


@dataclass(frozen=True)
class Scan:
    """One readable file's inventory entry and its malformed rows, as an earlier inventory found them."""

    entry: dict
    malformed: list[dict]


def refuse_glob_chars(path: Path, what: str) -> None:
    if any(c in str(path) for c in GLOB_CHARS):
        raise LandingError(f"{what} {path} contains a glob character (* ? [): rename it")


def discover(landing: Path) -> dict[str, list[Path]]:
    """Each contract table's CSV and Parquet files, literal paths sorted by name."""
    found = {}
    for table in TABLES:
        folder = landing / table
        files = folder.iterdir() if folder.is_dir() else []
        found[table] = sorted(
            (p for p in files if p.suffix in (".csv", ".parquet") and p.is_file()), key=lambda p: p.name
        )
    return found


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def read_header(path: Path) -> list[str]:
    """The CSV header row; raises ValueError with the reason when there is none usable."""
    try:  # the first line only: a bad byte further down is a malformed row, not a bad header
        with path.open("rb") as f:
            header = next(csv.reader([f.readline().decode("utf-8-sig")]), None)
    except (UnicodeDecodeError, csv.Error) as e:
        raise ValueError(f"unreadable header row: {_first_line(e)}") from e
    if not header:
        raise ValueError("no header row")
    names = [name.strip() or f"unnamed_{i + 1}" for i, name in enumerate(header)]
    doubled = sorted({n for n in names if [m.lower() for m in names].count(n.lower()) > 1})
    if doubled:
        raise ValueError(f"header names column {doubled[0]} more than once")
    return names


def csv_source(path: str, header: list[str], extra: str) -> str:
    """read_csv of one file in the contract's dialect, its columns all text."""
    columns = "{" + ", ".join(f"{sql_string(h)}: 'VARCHAR'" for h in header) + "}"
    return f"read_csv({sql_string(path)}, {CSV_DIALECT}, columns = {columns}, {extra})"


def scan_csv(con: duckdb.DuckDBPyConnection, path: Path, header: list[str]) -> tuple[int, list[tuple[int, str, str]]]:
    """Good-row count and malformed rows (line, reason, raw text) of one CSV file; the reason is
    the line's first error (DuckDB reports a short row once per missing column). `con` must be
    fresh: DuckDB keeps the rejected rows of every scan of a connection."""
    # hash of every column: DuckDB checks encoding only of the columns it reads
    rows = con.sql(
        f"select count(hash(*columns(*))) from {csv_source(str(path), header, 'store_rejects = true')}"
    ).fetchall()[0][0]
    if not con.sql("select 1 from duckdb_tables() where table_name = 'reject_errors'").fetchall():
        return rows, []  # created only when a row was rejected
    malformed = con.sql("""
        select line, 'malformed row at line ' || line || ': ' || arg_min(split_part(error_message, e'\\n', 1), (column_idx, error_message)),
               trim(any_value(csv_line), e'\\r\\n')
        from reject_errors group by line order by line""").fetchall()
    return rows, malformed


def scan_parquet(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[int, dict[str, str]]:
    """Row count from the footer and each column's DuckDB type."""
    rows = con.execute("select sum(num_rows)::bigint from parquet_file_metadata(?)", [str(path)]).fetchone()[0]
    types = con.sql(
        f"select column_name, column_type from (describe select * from read_parquet({sql_string(str(path))}))"
    ).fetchall()
    return rows, dict(types)


def _inventory_file(
    table: str, path: Path, inventory: Inventory, duckdb_config: Mapping, earlier: Mapping[str, Scan]
) -> None:
    """Adds one file to the inventory: as a file to read, or as a rejected file. A file whose
    stamp an earlier inventory scanned is not scanned again."""

    def reject(reason):
        inventory.rejected.append({"table_name": table, "source_file": str(path), "reason": reason})

    if any(c in path.name for c in GLOB_CHARS):
        return reject("file name contains a glob character (* ? [): not read")
    try:
        stamp = file_stamp(path)  # before the scan: a file written during it gets scanned again next time
        if known := earlier.get(stamp):
            inventory.files[table].append(dict(known.entry))
            inventory.malformed += known.malformed
            return None
        with db.connect(config=duckdb_config) as con:
            if path.suffix == ".csv":
                header = read_header(path)
                rows, malformed = scan_csv(con, path, header)
                columns = {h: "VARCHAR" for h in header}
                inventory.malformed += [
                    {"table_name": table, "source_file": str(path), "line": line, "reason": reason, "raw_text": raw}
                    for line, reason, raw in malformed
                ]
            else:
                rows, columns = scan_parquet(con, path)
            entry = {"path": str(path), "kind": path.suffix[1:], "columns": columns, "rows": rows, "stamp": stamp}
            _note_latest_activity(con, table, entry)
    except (ValueError, duckdb.Error, OSError) as e:
        return reject(f"cannot be read: {_first_line(e)}")
    inventory.files[table].append(entry)


def _note_latest_activity(con: duckdb.DuckDBPyConnection, table: str, entry: dict) -> None:
    """The file's latest order or event date (ISO; None when none parses) in `entry`, for
    default_as_of; left out when the file has no such column or the read fails (default_as_of
    then reads the file itself, and fails as it would have)."""
    parts = _activity_parts(table, entry, "max")
    if parts:
        try:
            latest = con.sql(f"select max(d) from ({' union all '.join(parts)})").fetchone()[0]
        except duckdb.Error:
            return
        entry[LATEST_ACTIVITY] = latest.isoformat() if latest else None


def take_inventory(
    landing: Path,
    history_dir: Path | None = None,
    duckdb_config: Mapping = DUCKDB_DEFAULTS,
    earlier: Mapping[str, Scan] | None = None,
) -> Inventory:
    """Every file of `landing` scanned (readable rows, malformed rows, columns) or rejected;
    `earlier` (earlier_scans) saves the scan of each file written no later than it was read."""
    landing = Path(landing).resolve()
    refuse_glob_chars(landing, "landing folder")
    if not landing.is_dir():
        raise LandingError(f"landing folder {landing} does not exist")
    inventory = Inventory(landing, {table: [] for table in TABLES})
    for table, paths in discover(landing).items():
        for path in paths:
            _inventory_file(table, path, inventory, duckdb_config, earlier or {})
    if history_dir is not None:
        history_dir = Path(history_dir).resolve()
        refuse_glob_chars(history_dir, "history folder")
        snapshots = sorted(history_dir.glob("as_of=*/tier_snapshot.parquet"))
        inventory.history_snapshots = [stored_snapshot(p) for p in snapshots]
    return inventory


def file_stamp(path: Path) -> str:
    """Changes whenever the file is written again (path, size, modification time, inode); a read
    does not change it."""
    st = path.stat()
    return f"{path}|{st.st_size}|{st.st_mtime_ns}|{st.st_ino}"


def _file_identity(path: Path) -> dict:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "inode": st.st_ino}


def write_snapshot_origin(path: Path, computed_by: dict[str, str]) -> None:
    """Beside the snapshot file `path`, just written from a build: each event log's record of that
    build's own computation of the date (log -> marker), with the file's size, modification time
    and inode (a rename into place keeps them)."""
    origin = {"snapshot": _file_identity(path), "computed_by": computed_by}
    (path.parent / SNAPSHOT_ORIGIN_NAME).write_text(json.dumps(origin, indent=2, sort_keys=True))


def snapshot_origin(path: Path) -> dict[str, str]:
    """The markers write_snapshot_origin left beside the stored snapshot `path` (log -> marker):
    an event log whose record of the date holds its marker computed that date's rows from what
    this file holds, so it keeps them. Empty (the file's stamp decides) when there are none, they
    cannot be read, or the file was written again since."""
    try:
        origin = json.loads((path.parent / SNAPSHOT_ORIGIN_NAME).read_text())
        if origin["snapshot"] != _file_identity(path):
            return {}
        return {str(log): str(marker) for log, marker in origin["computed_by"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def earlier_scans(folder: Path, landing_dir: Path) -> dict[str, Scan]:
    """The file scans of the newest readable inventory of `landing_dir` written in `folder` (a
    build's lies beside its file: inventory_dir), by stamp; another landing folder's files never
    match. Empty when there is none: it only saves time (a landing's old CSV files would
    otherwise be read again every night)."""
    landing = str(Path(landing_dir).resolve())
    try:
        written = sorted(
            Path(folder).glob(f"*{INVENTORY_SUFFIX}/{INVENTORY_NAME}"), key=lambda p: -p.stat().st_mtime_ns
        )
    except OSError:  # one removed while listing
        return {}
    for path in written:
        scans = inventory_scans(path, landing)
        if scans is not None:
            return scans
    return {}


def inventory_scans(path: Path, landing: str) -> dict[str, Scan] | None:
    """The file scans of the inventory `path` by stamp; None when it is not one of `landing`
    by this scanner, or cannot be read."""
    try:
        document = json.loads(path.read_text())
        if document.get("scanner") != SCANNER or document.get("landing_dir") != landing:
            return None
        malformed = pq.read_table(document["malformed_rows_file"]).to_pylist()
        files = [f for t in document["tables"].values() for f in t["files"] if "stamp" in f]
    except (OSError, ValueError, KeyError, TypeError, AttributeError, pa.ArrowException):
        return None
    by_file: dict[str, list[dict]] = {}
    for row in malformed:
        by_file.setdefault(row["source_file"], []).append(row)
    return {f["stamp"]: Scan(f, by_file.get(f["path"], [])) for f in files}


def stored_snapshot(path: Path) -> dict:
    """A stored snapshot's path, its date (from its folder, as_of=D), whether it holds a
    loyalty-club state (a membership_level that is not null: footer statistics, else the column
    itself), its columns (a snapshot stored by an earlier version lacks the later ones), a
    stamp that changes whenever the file is written again (path, size, modification time,
    inode): the event logs keep the rows computed from snapshots whose stamp has not changed,
    and computed_by (snapshot_origin)."""
    folder = path.parent.name.removeprefix("as_of=")
    try:
        as_of = date.fromisoformat(folder)
    except ValueError:
        raise LandingError(f"stored snapshot {path}: its folder must be named as_of=YYYY-MM-DD") from None
    try:
        meta = pq.ParquetFile(path).metadata
        columns = meta.schema.to_arrow_schema().names
        club_state = holds_values(path, meta, "membership_level")  # may read the column itself
    except (OSError, pa.ArrowException) as e:
        raise LandingError(f"stored snapshot {path} cannot be read: {_first_line(e)}") from None
    return {
        "path": str(path),
        "as_of": as_of.isoformat(),
        "stamp": file_stamp(path),
        "computed_by": snapshot_origin(path),
        "club_state": club_state,
        "columns": columns,
    }


def holds_values(path: Path, meta: pq.FileMetaData, column: str) -> bool:
    """Whether the Parquet file `path` (its footer `meta`) has `column` with a value that is not null."""
    paths = [meta.schema.column(i).path for i in range(meta.num_columns)]
    if column not in paths:
        return False
    chunks = [meta.row_group(g).column(paths.index(column)) for g in range(meta.num_row_groups)]
    if all(c.statistics is not None and c.statistics.has_null_count for c in chunks):
        return any(c.statistics.null_count < c.num_values for c in chunks)
    return pq.read_table(path, columns=[column]).column(0).null_count < meta.num_rows


def inventory_dir(build_file: Path) -> Path:
    """Where a build's inventory is written: beside the build file."""
    return build_file.with_name(build_file.stem + INVENTORY_SUFFIX)


def inventory_file(build_file: Path) -> Path:
    """The inventory JSON of a build (the value of $WAREHOUSE_INVENTORY)."""
    return inventory_dir(build_file) / INVENTORY_NAME


def landing_marker(build_file: Path) -> Path:
    """Beside a build file: the landing folder it was built from (an increment must read the same)."""
    return build_file.with_suffix(".landing")


def built_from(build_file: Path) -> str | None:
    """The landing folder a build file was built from; None when unknown (no marker)."""
    marker = landing_marker(build_file)
    return marker.read_text() if marker.exists() else None


def refuse_other_landing(build_file: Path, landing_dir: Path) -> None:
    """An existing build file is built on incrementally: only from the landing folder it was
    built from, else two landings' rows would mix."""
    earlier = built_from(build_file) if build_file.exists() else None
    if earlier is not None and earlier != str(landing_dir):
        raise LandingError(
            f"{build_file} was built from {earlier}, not {landing_dir}: build into another file or add --full-refresh"
        )


def write_inventory(inventory: Inventory, folder: Path, allowed_empty: list[str] = ()) -> Path:
    """inventory.json plus malformed_rows.parquet and rejected_files.parquet in `folder`; returns
    the JSON file (the value of $WAREHOUSE_INVENTORY)."""
    folder = Path(folder).resolve()
    refuse_glob_chars(folder, "inventory folder")
    folder.mkdir(parents=True, exist_ok=True)
    malformed, rejected = folder / "malformed_rows.parquet", folder / "rejected_files.parquet"
    pq.write_table(pa.Table.from_pylist(inventory.malformed, MALFORMED_SCHEMA), malformed)
    pq.write_table(pa.Table.from_pylist(inventory.rejected, REJECTED_SCHEMA), rejected)
    document = {
        "landing_dir": str(inventory.landing_dir),
        "scanner": SCANNER,
        "tables": {t: {"folder": str(inventory.folder(t)), "files": files} for t, files in inventory.files.items()},
        "malformed_rows_file": str(malformed),
        "rejected_files_file": str(rejected),
        "history_snapshots": inventory.history_snapshots,
        "allowed_empty_tables": sorted(allowed_empty),
    }
    target, staged = folder / INVENTORY_NAME, folder / f".{INVENTORY_NAME}.{os.getpid()}"
    staged.write_text(json.dumps(document, indent=1))
    os.replace(staged, target)  # a reader (earlier_scans) never finds it half-written
    return target


def completeness_failure(inventory: Inventory, allowed_empty: list[str]) -> str | None:
    """One line naming each contract table with no readable file holding rows, or None."""
    gaps = []
    for table, files in inventory.files.items():
        if table in allowed_empty or any(f["rows"] for f in files):
            continue
        folder = inventory.folder(table)
        rejected = sum(r["table_name"] == table for r in inventory.rejected)
        why = (
            "folder missing"
            if not folder.is_dir()
            else f"{len(files)} readable file(s) without rows, {rejected} rejected"
        )
        gaps.append(f"'{table}' in {folder} ({why})")
    if not gaps:
        return None
    return "no rows landed for contract table " + "; ".join(gaps) + ": failed extract, nothing built"


def _utc_timestamp(column: str, column_type: str) -> str:
    """`column` of one file as a UTC timestamp, the way macros/typing.sql converts it."""
    if column_type == "TIMESTAMP WITH TIME ZONE":
        return f"timezone('UTC', {column})"
    if column_type in NAIVE_TIMESTAMP_TYPES:  # no offset: already UTC, no round trip through text
        return f"{column}::timestamp"
    text = f"trim({column}::varchar)"
    return (
        f"case when regexp_matches({text}, '{OFFSET_PATTERN}') then timezone('UTC', try_cast({text} as timestamptz)) "
        f"else try_cast({text} as timestamp) end"
    )


def _activity_parts(table: str, f: dict, aggregate: str) -> list[str]:
    """`select aggregate(date) as d` of one inventory entry's order or event timestamps that parse."""
    parts = []
    for activity_table, column in ACTIVITY_COLUMNS:
        if activity_table != table or column not in {c.lower() for c in f["columns"]}:
            continue
        name = next(c for c in f["columns"] if c.lower() == column)
        quoted = '"' + name.replace('"', '""') + '"'
        source = (
            f"(select * from {csv_source(f['path'], list(f['columns']), 'ignore_errors = true')} {EVERY_COLUMN_READ})"
            if f["kind"] == "csv"
            else f"read_parquet({sql_string(f['path'])})"
        )
        parts.append(f"select {aggregate}({_utc_timestamp(quoted, f['columns'][name])})::date as d from {source}")
    return parts


def _activity_dates(files: dict[str, list[dict]], aggregate: str, duckdb_config: Mapping) -> date | None:
    """`aggregate` (min or max) of the order and event dates in `files` (table -> inventory
    entries) that parse as timestamps."""
    parts = [part for table, entries in files.items() for f in entries for part in _activity_parts(table, f, aggregate)]
    if not parts:
        return None
    with db.connect(config=duckdb_config) as con:
        return con.sql(f"select {aggregate}(d) from ({' union all '.join(parts)})").fetchone()[0]


def default_as_of(inventory: Inventory, duckdb_config: Mapping = DUCKDB_DEFAULTS) -> date | None:
    """The latest order or event date in the inventory's files that parses as a timestamp: each
    file's as noted when it was scanned, else read now."""
    noted = [
        date.fromisoformat(f[LATEST_ACTIVITY]) for fs in inventory.files.values() for f in fs if f.get(LATEST_ACTIVITY)
    ]
    unknown = {table: [f for f in fs if LATEST_ACTIVITY not in f] for table, fs in inventory.files.items()}
    read = _activity_dates(unknown, "max", duckdb_config)
    return max([*noted, *([read] if read else [])], default=None)


def first_order_date(landing: Path, duckdb_config: Mapping = DUCKDB_DEFAULTS) -> date | None:
    """The earliest order date in the landing's order files, without a full inventory (no
    malformed-row scan): None when there is none, or the folder or a file cannot be read."""
    try:
        orders = discover(Path(landing))["orders"]
        entries = [
            {"path": str(p), "kind": "csv", "columns": dict.fromkeys(read_header(p), "VARCHAR")}
            if p.suffix == ".csv"
            else {"path": str(p), "kind": "parquet", "columns": _parquet_types(p, duckdb_config)}
            for p in orders
            if not any(c in p.name for c in GLOB_CHARS)
        ]
        return _activity_dates({"orders": entries}, "min", duckdb_config)
    except (ValueError, duckdb.Error, OSError):
        return None


def _parquet_types(path: Path, duckdb_config: Mapping) -> dict[str, str]:
    with db.connect(config=duckdb_config) as con:
        return scan_parquet(con, path)[1]
