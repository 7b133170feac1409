"""Publish an audited build: atomically replace the served DuckDB file and its Parquet exports.

BI tools open the served file read-only. It is never written in place: a complete copy is
made beside it and renamed over it (an atomic rename on one filesystem), so a reader that
holds the old file keeps reading the old inode, and a new reader sees the new one.
"""
import json
import os
import shutil
import uuid
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from orchestration.settings import PUBLIC_MARTS, Paths, duckdb_config

EXPORT_ORDER = {  # each export is written sorted by its key, so the bytes are deterministic
    "customer_value": "customer_id", "customer_cost_to_serve": "customer_id, activity",
    "company_pnl": "line_order", "customer_tiers": "customer_id", "tier_profitability": "scheme, tier_order, tier",
    "quadrant_profitability": "quadrant", "grid_profitability": "value_grid",
    "whale_curve": "row_type = 'peak', customer_rank", "profit_concentration": "as_of_date", "quarantine": "all",
    "landing_reconciliation": "table_name", "rejected_files": "table_name, source_file",
    "tier_migration": "from_date, to_date, scheme, from_tier, to_tier", "membership_levels": "as_of_date, customer_id",
    "early_warning": "call_priority",
    "service_plan_vs_actual": "tier_order, activity", "service_exceptions": "customer_id, exception, activity", "fee_income": "tier_order", "customer_actions": "customer_id",
    "churn_risk": "as_of_date, customer_id", "churn_backtest": "backtest_date",
}


def prepare_build_file(paths: Paths, as_of: str, incremental: bool) -> Path:
    """The file dbt builds into. Full: a new file. Incremental: the latest earlier build of the
    same landing folder is copied first, so dbt reads only new files and re-judges only what
    they touch."""
    build_file = paths.build_file(as_of)
    build_file.parent.mkdir(parents=True, exist_ok=True)
    marker = build_file.with_suffix(".landing")
    if not incremental:
        for stale in (build_file, build_file.with_name(build_file.name + ".wal")):
            stale.unlink(missing_ok=True)
    elif not build_file.exists():
        earlier = sorted(p for p in paths.build_dir.glob("warehouse-*.duckdb")
                         if p.stem.removeprefix("warehouse-") < as_of
                         and p.with_suffix(".landing").exists()
                         and p.with_suffix(".landing").read_text() == str(paths.landing_dir))
        if earlier:
            shutil.copyfile(earlier[-1], build_file)
    marker.write_text(str(paths.landing_dir))
    return build_file


def served_as_of(paths: Paths) -> str | None:
    if not paths.publication_file.exists():
        return None
    return json.loads(paths.publication_file.read_text())["as_of"]


def should_publish(paths: Paths, as_of: str) -> bool:
    """Only a date at or after the one being served replaces it (a backfill of the past does not)."""
    current = served_as_of(paths)
    return current is None or as_of >= current


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def export_marts(database: Path, folder: Path) -> list[Path]:
    folder.mkdir(parents=True)
    written = []
    with duckdb.connect(str(database), read_only=True, config=duckdb_config()) as con:
        for mart in PUBLIC_MARTS:
            target = folder / f"{mart}.parquet"
            con.execute(f"copy (select * from {mart} order by {EXPORT_ORDER[mart]}) to '{target}' (format parquet)")
            written.append(target)
    return written


def _swap_link(link: Path, target: Path) -> Path | None:
    """Point `link` at `target` atomically; returns the folder it pointed at before."""
    previous = link.resolve() if link.is_symlink() else None
    tmp = link.with_name(f".{link.name}.{uuid.uuid4().hex}")
    tmp.symlink_to(target.name)
    os.replace(tmp, link)
    return previous


def publish(paths: Paths, build_file: Path, as_of: str, run_id: str = "") -> dict:
    served = paths.served_file
    served.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(build_file), config=duckdb_config()) as con:
        con.execute("checkpoint")  # fold the WAL into the file before copying it
    stamp = uuid.uuid4().hex[:12]
    staged = served.with_name(f".{served.name}.{stamp}.tmp")
    shutil.copyfile(build_file, staged)
    _fsync(staged)
    exports = served.parent / f"exports-{as_of}-{stamp}"
    export_marts(staged, exports)
    os.replace(staged, served)
    previous = _swap_link(paths.exports_link, exports)
    if previous and previous != exports.resolve() and previous.parent == served.parent:
        shutil.rmtree(previous, ignore_errors=True)
    record = {"as_of": as_of, "published_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "run_id": run_id, "served_file": str(served), "exports": str(paths.exports_link)}
    tmp = paths.publication_file.with_suffix(f".{stamp}.tmp")
    tmp.write_text(json.dumps(record, indent=2))
    os.replace(tmp, paths.publication_file)
    return record


def store_snapshot(build_file: Path, history_dir: Path, as_of: str) -> Path:
    """Keep this date's tier snapshot; a rebuild replaces that date's folder and nothing else."""
    folder = history_dir / f"as_of={as_of}"
    staged = history_dir / f".as_of={as_of}.{uuid.uuid4().hex}"
    staged.mkdir(parents=True)
    with duckdb.connect(str(build_file), read_only=True) as con:
        con.execute(f"copy (select * from int_tier_snapshot order by customer_id) "
                    f"to '{staged / 'tier_snapshot.parquet'}' (format parquet)")
    retired = None
    if folder.exists():
        retired = history_dir / f".retired-{as_of}.{uuid.uuid4().hex}"
        os.replace(folder, retired)
    os.replace(staged, folder)
    if retired:
        shutil.rmtree(retired, ignore_errors=True)
    return folder
