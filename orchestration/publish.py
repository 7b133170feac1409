"""Publish an audited build: atomically replace the served DuckDB file and its Parquet exports.

The served file is a new DuckDB file holding only the public marts (schemas by domain: marts,
data_quality, history), with the dbt descriptions as comments; no view reads landing files
from it. It is never written in place: it is written beside the served one, made read-only
and renamed over it (an atomic rename on one filesystem), so a reader that holds the old file
keeps reading the old inode, and a new reader sees the new one. Only the build the audit
checked is published: the verdict names the build's id (a table in the build file), size and
modification time.
"""

import json
import os
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

from orchestration.crm_delta import write_crm_delta
from tiering import db
from tiering.db import sql_string
from tiering.landing import DUCKDB_DEFAULTS, built_from, landing_marker, write_snapshot_origin
from tiering.project import PROJECT_DIR
from tiering.settings import PUBLIC_MARTS, Settings, mart_schemas

EXPORT_ORDER = {  # each served table, and so its export, is stored sorted by its key: deterministic bytes
    "customer_value": "customer_id",
    "customer_cost_to_serve": "customer_id, activity",
    "company_pnl": "line_order",
    "customer_tiers": "customer_id",
    "customer_scheme_tiers": "customer_id, scheme",
    "tier_profitability": "scheme, tier_order, tier",
    "quadrant_profitability": "quadrant",
    "grid_profitability": "value_grid",
    "whale_curve": "row_type = 'peak', customer_rank",
    "profit_concentration": "as_of_date",
    "quarantine": "all",
    "landing_reconciliation": "table_name",
    "rejected_files": "table_name, source_file",
    "tier_migration": "from_date, to_date, scheme, from_tier, to_tier",
    "membership_levels": "customer_id",
    "membership_level_history": "as_of_date, customer_id",
    "early_warning": "call_priority",
    "service_plan_vs_actual": "tier_order, activity",
    "service_exceptions": "customer_id, exception, activity",
    "fee_income": "tier_order",
    "customer_actions": "customer_id",
    "prospect_scores": "customer_id",
    "churn_risk": "as_of_date, customer_id",
    "churn_backtest": "backtest_date",
    "high_value_retention": "cohort_date",
    "assigned_tiers": "customer_id, scheme",
    "tier_assignment_history": "as_of_date, customer_id, scheme",
}
BUILD_ID_TABLE = "warehouse_build"
# customers with an event on the date first (a changed assignment or a club event): the history
# marts filter on them, and DuckDB skips the stored rows past them
SNAPSHOT_ORDER = "coalesce(assignment_changed or membership_event, true) desc, customer_id"


class PublishRefused(Exception):
    """This build may not be published (no verdict, a failed one, or a verdict of another build)."""


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# ---------------------------------------------------------------- build identity and verdict


def prepare_build_file(paths: Settings, as_of: str, incremental: bool) -> Path:
    """The file dbt builds into. Full: a new file. Incremental: the latest earlier build of the
    same landing folder is copied first, so dbt reads only new files and re-judges only what
    they touch. An earlier verdict of this date is removed: it judged another build."""
    build_file = paths.build_file(as_of)
    build_file.parent.mkdir(parents=True, exist_ok=True)
    paths.verdict_file(as_of).unlink(missing_ok=True)
    landing = str(paths.landing_dir)
    if not incremental or built_from(build_file) not in (None, landing):  # never on another landing's rows
        for stale in (build_file, build_file.with_name(build_file.name + ".wal")):
            stale.unlink(missing_ok=True)
    if incremental and not build_file.exists():
        earlier = sorted(
            p
            for p in paths.build_dir.glob("warehouse-*.duckdb")
            if p.stem.removeprefix("warehouse-") < as_of and built_from(p) == landing
        )
        if earlier:
            shutil.copyfile(earlier[-1], build_file)
    landing_marker(build_file).write_text(landing)
    return build_file


def stamp_build(build_file: Path, run_id: str, duckdb_config: dict = DUCKDB_DEFAULTS) -> str:
    """Write a new build id into a finished build and fold its WAL in (the file is final after this)."""
    build_id = uuid.uuid4().hex
    with db.connect(build_file, config=duckdb_config) as con:
        con.execute(
            f"create or replace table {BUILD_ID_TABLE} as select ? as build_id, ? as run_id, "
            "now()::timestamp as built_at",
            [build_id, run_id],
        )
        con.execute("checkpoint")
    return build_id


def build_identity(build_file: Path, duckdb_config: dict = DUCKDB_DEFAULTS) -> dict:
    """The id written inside the build, with the file's size and modification time."""
    if not build_file.exists():
        return {"build_id": None}
    with db.connect(build_file, read_only=True, config=duckdb_config) as con:
        found = con.sql(f"select count(*) from duckdb_tables() where table_name = '{BUILD_ID_TABLE}'").fetchone()[0]
        build_id = con.sql(f"select build_id from {BUILD_ID_TABLE}").fetchone()[0] if found else None
    stat = build_file.stat()
    return {"build_id": build_id, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def write_verdict(
    paths: Settings, as_of: str, identity: dict, failed: list[str], drift: dict, audit: dict | None = None
) -> dict:
    verdict = {
        "as_of": as_of,
        "passed": not failed,
        "failed": failed,
        **(audit or {}),  # checks: each audit suite's compared figures and failed ones; data_docs
        "build": identity,
        "drift": drift,
        "audited_at": now(),
    }
    target = paths.verdict_file(as_of)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
    tmp.write_text(json.dumps(verdict, indent=2, default=str))
    os.replace(tmp, target)
    return verdict


def passed_verdict(paths: Settings, as_of: str) -> dict:
    """The verdict of the build file as it is now, if it passed; else PublishRefused with one line."""
    build_file = paths.build_file(as_of)
    target = paths.verdict_file(as_of)
    if not target.exists():
        raise PublishRefused(f"no audit verdict for {build_file}: nothing published; run the audit first")
    verdict = json.loads(target.read_text())
    if not verdict.get("passed") or verdict.get("as_of") != as_of:
        causes = "".join(f"; {c}" for check in verdict.get("checks") or [] for c in check["failed"])
        raise PublishRefused(
            f"audit of {as_of} did not pass ({', '.join(verdict.get('failed') or ['?'])}{causes}): nothing published"
        )
    current = build_identity(build_file, paths.duckdb_config)
    if current["build_id"] is None or verdict.get("build") != current:
        raise PublishRefused(
            f"{build_file} is not the build the audit checked (audited {verdict.get('build')}, "
            f"now {current}): nothing published; rerun the build and audit"
        )
    return verdict


# ---------------------------------------------------------------- the served folder


def served_as_of(paths: Settings) -> str | None:
    if not paths.publication_file.exists():
        return None
    return json.loads(paths.publication_file.read_text())["as_of"]


def should_publish(paths: Settings, as_of: str) -> bool:
    """Only a date at or after the one being served replaces it (a backfill of the past does not)."""
    current = served_as_of(paths)
    return current is None or as_of >= current


def record_alert(paths: Settings, event: dict) -> dict:
    """Append an event to the alerts file operators watch (failed runs land there too)."""
    paths.alerts_file.parent.mkdir(parents=True, exist_ok=True)
    event = {"at": now(), **event}
    with paths.alerts_file.open("a") as f:
        f.write(json.dumps(event, default=str) + "\n")
    return event


def remove_orphans(paths: Settings, log=print) -> list[Path]:
    """Staged copies and export folders a crashed or failed publish left behind (the lock makes
    this run the only publisher)."""
    folder = paths.served_file.parent
    if not folder.is_dir():
        return []
    link = paths.exports_link
    current = link.resolve() if link.is_symlink() else None
    orphans = [
        *folder.glob(f".{paths.served_file.name}.*.tmp*"),
        *folder.glob(f".{link.name}.*"),
        *folder.glob(f".{paths.publication_file.name}.*"),
        *folder.glob(f".{intent_file(paths).name}.*"),
        *(p for p in folder.glob("exports-*") if p.resolve() != current),
    ]
    for orphan in orphans:
        log(f"removing {orphan}, left by an earlier publish that did not finish")
        if orphan.is_dir() and not orphan.is_symlink():
            shutil.rmtree(orphan)
        else:
            orphan.unlink(missing_ok=True)
    return orphans


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _descriptions(manifest_path: Path) -> dict[str, dict]:
    nodes = json.loads(manifest_path.read_text())["nodes"].values()
    return {n["name"]: n for n in nodes if n["resource_type"] == "model" and n["name"] in PUBLIC_MARTS}


def write_served_file(
    build_file: Path,
    target: Path,
    exports: Path,
    duckdb_config: dict = DUCKDB_DEFAULTS,
    manifest_path: Path = PROJECT_DIR / "target" / "manifest.json",
) -> None:
    """A new DuckDB file with the public marts of `build_file`, in schemas by domain, commented
    from the dbt descriptions; and a Parquet export of each mart into `exports`."""
    schemas, nodes = mart_schemas(manifest_path), _descriptions(manifest_path)
    exports.mkdir(parents=True)
    with db.connect(target, config=duckdb_config) as con:
        # DuckDB's default, relied on: a table keeps the order it was inserted in (sorted by key)
        con.execute("set preserve_insertion_order = true")
        con.execute(f"attach {sql_string(build_file)} as build (read_only)")
        for schema in sorted(set(schemas.values())):
            con.execute(f"create schema {schema}")
        for mart, schema in schemas.items():
            con.execute(
                f"create table {schema}.{mart} as select * from build.main.{mart} order by {EXPORT_ORDER[mart]}"
            )
            con.execute(f"comment on table {schema}.{mart} is {sql_string(nodes[mart]['description'].strip())}")
            for column, spec in nodes[mart]["columns"].items():
                if spec.get("description"):
                    con.execute(
                        f"comment on column {schema}.{mart}.{column} is {sql_string(spec['description'].strip())}"
                    )
        con.execute("detach build")
        for mart, schema in schemas.items():  # stored sorted: exported in that order
            export_mart(con, f"{schema}.{mart}", exports / f"{mart}.parquet")
        con.execute("checkpoint")
    if target.with_name(target.name + ".wal").exists():
        raise OSError(f"{target} kept a WAL after its checkpoint")


def export_mart(con, table: str, target: Path, order: str | None = None) -> None:
    """`table` as Parquet, sorted by `order`, else in the order it is stored."""
    source = f"(select * from {table} order by {order})" if order else table
    con.execute(f"copy {source} to {sql_string(target)} (format parquet)")


def _swap_link(link: Path, target: Path) -> Path | None:
    """Point `link` at `target` atomically; returns the folder it pointed at before."""
    previous = link.resolve() if link.is_symlink() else None
    tmp = link.with_name(f".{link.name}.{uuid.uuid4().hex}")
    tmp.symlink_to(target.name)
    os.replace(tmp, link)
    return previous


def _crm_delta(paths: Settings, as_of: str, exports: Path) -> tuple[str | None, int]:
    """The CRM delta against the night served now (a rerun of that night: against the one before it)."""
    last = paths.exports_link.resolve() if paths.exports_link.is_symlink() else None
    served = served_as_of(paths)
    rerun = served == as_of
    since = json.loads(paths.publication_file.read_text()).get("crm_delta_since") if rerun else served
    rows = write_crm_delta(last if last and last.is_dir() else None, exports, as_of, since, rerun)
    return since, rows


def publish(paths: Settings, as_of: str, run_id: str = "", log=print, extra: dict | None = None) -> dict:
    """Publish the audited build of `as_of`; on any failure the served file and exports stay as they were."""
    verdict = passed_verdict(paths, as_of)
    served = paths.served_file
    served.parent.mkdir(parents=True, exist_ok=True)
    finish_interrupted(paths, log)
    remove_orphans(paths, log)
    stamp = uuid.uuid4().hex[:12]
    staged = served.with_name(f".{served.name}.{stamp}.tmp")
    exports = served.parent / f"exports-{as_of}-{stamp}"
    try:
        write_served_file(paths.build_file(as_of), staged, exports, paths.duckdb_config)
        crm_since, crm_rows = _crm_delta(paths, as_of, exports)
        for f in (staged, *exports.iterdir()):
            os.chmod(f, paths.served_mode)
            _fsync(f)
    except BaseException:
        remove_orphans(paths, log)
        raise
    record = {
        "as_of": as_of,
        "published_at": now(),
        "run_id": run_id,
        "build_id": verdict["build"]["build_id"],
        "served_file": str(served),
        "exports": str(paths.exports_link),
        "crm_delta_since": crm_since,
        "crm_delta_rows": crm_rows,
        **(extra or {}),
    }
    intent = {"staged": staged.name, "exports": exports.name, "record": record}
    _write_atomically(intent_file(paths), json.dumps(intent, indent=2, default=str), stamp)
    _switch(paths, intent)
    return record


def intent_file(paths: Settings) -> Path:
    """Written once everything is staged and synced, removed when the switch is complete."""
    return paths.served_file.with_name(".publish-intent.json")


def _write_atomically(target: Path, text: str, stamp: str) -> None:
    tmp = target.with_name(f".{target.name}.{stamp}")
    tmp.write_text(text)
    _fsync(tmp)
    os.replace(tmp, target)


def _switch(paths: Settings, intent: dict) -> None:
    """Serve the staged file, its exports and its publication record; safe to repeat, so an
    interrupted switch is finished by the next run (finish_interrupted)."""
    served, folder = paths.served_file, paths.served_file.parent
    staged, exports = folder / intent["staged"], folder / intent["exports"]
    if staged.exists():
        # a foreign WAL would be replayed onto the new file
        served.with_name(served.name + ".wal").unlink(missing_ok=True)
        os.replace(staged, served)
    previous = _swap_link(paths.exports_link, exports)
    if previous and previous != exports.resolve() and previous.parent == folder:
        shutil.rmtree(previous, ignore_errors=True)
    _write_atomically(
        paths.publication_file, json.dumps(intent["record"], indent=2, default=str), uuid.uuid4().hex[:12]
    )
    intent_file(paths).unlink()


def finish_interrupted(paths: Settings, log=print) -> bool:
    """A publish killed between its renames left the served file, the exports and the
    publication record of different nights: finish it (everything it serves was staged and
    synced before the first rename). Run by every step that takes the run lock."""
    intent = intent_file(paths)
    if not intent.exists():
        return False
    record = json.loads(intent.read_text())
    log(f"finishing the publish of {record['record']['as_of']} that was interrupted while switching the served files")
    _switch(paths, record)
    return True


CLUB_COLUMNS = {  # the club state of a stored snapshot <- int_membership_replay's column
    "membership_points": "points",
    "membership_points_level": "points_level",
    "membership_level": "level",
    "membership_since": "level_since",
    "membership_valid_until": "valid_until",
    "membership_reason": "reason",
    "membership_event": "is_event",
}


def add_club_state(con, history_dir: Path, as_of: str) -> list[Path]:
    """Stored snapshots before `as_of` without club state (stored by an older version) get the
    state this build replayed for their date, each file replaced whole; returns them. Without
    it their club events would be replayed on this night only, then missing from
    membership_level_history."""
    added = []
    for leftover in history_dir.glob("as_of=*/.tier_snapshot.*.parquet"):  # a run killed while writing
        leftover.unlink()
    for snapshot in sorted(history_dir.glob("as_of=*/tier_snapshot.parquet")):
        day = snapshot.parent.name.removeprefix("as_of=")
        columns = {name for (name,) in con.execute("select name from parquet_schema(?)", [str(snapshot)]).fetchall()}
        if day >= as_of or "membership_level" in columns:
            continue
        if not con.execute("select count(*) from int_membership_replay where as_of_date = ?", [day]).fetchone()[0]:
            continue
        club = ", ".join(f"r.{source} as {target}" for target, source in CLUB_COLUMNS.items())
        staged = snapshot.with_name(f".tier_snapshot.{uuid.uuid4().hex}.parquet")
        con.execute(f"""copy (select s.*, {club} from read_parquet({sql_string(str(snapshot))}) as s
                              left join int_membership_replay as r
                                  on r.customer_id = s.customer_id and r.as_of_date = s.as_of_date
                              order by s.customer_id)  -- no assignment_changed: not SNAPSHOT_ORDER
                        to {sql_string(str(staged))} (format parquet)""")
        os.replace(staged, snapshot)
        added.append(snapshot)
    return added


def event_log_markers(con, as_of: str) -> dict[str, str]:
    """Each event log's marker for `as_of` in its record (<log>__snapshots, macros/history.sql):
    log -> marker, for the logs whose last run computed that date."""
    records = con.sql(
        "select schema_name, table_name from duckdb_tables() where table_name like '%\\_\\_snapshots' escape '\\'"
    ).fetchall()
    markers = {}
    for schema, table in records:
        found = con.execute(
            f'select stamp from "{schema}"."{table}" where as_of_date = ? and stamp is not null', [as_of]
        ).fetchall()
        if found:
            markers[table.removesuffix("__snapshots")] = found[0][0]
    return markers


def store_snapshot(build_file: Path, history_dir: Path, as_of: str, duckdb_config: dict = DUCKDB_DEFAULTS) -> Path:
    """Keep this date's tier snapshot; a rebuild replaces that date's folder and, once, adds the
    club state to older snapshots stored without it (before this date's, so a killed run
    leaves them to the next night's replay). Beside it, the event logs' markers of this build's
    own computation of the date: the next night keeps their rows (macros/history.sql)."""
    folder = history_dir / f"as_of={as_of}"
    staged = history_dir / f".as_of={as_of}.{uuid.uuid4().hex}"
    staged.mkdir(parents=True)
    with db.connect(build_file, read_only=True, config=duckdb_config) as con:
        add_club_state(con, history_dir, as_of)
        export_mart(con, "int_tier_snapshot", staged / "tier_snapshot.parquet", order=SNAPSHOT_ORDER)
        markers = event_log_markers(con, as_of)
    write_snapshot_origin(staged / "tier_snapshot.parquet", markers)
    retired = None
    if folder.exists():
        retired = history_dir / f".retired-{as_of}.{uuid.uuid4().hex}"
        os.replace(folder, retired)
    os.replace(staged, folder)
    if retired:
        shutil.rmtree(retired, ignore_errors=True)
    return folder
