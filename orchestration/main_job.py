"""`warehouse-run`: the whole nightly pipeline in-process on one as-of date.

landing (the bundled sample unless --landing-dir; `warehouse-generate` writes a generated one)
-> dbt build into a build file -> Great Expectations audit and drift checks -> publish the
served file and Parquet exports -> tier report. One run at a time per warehouse home; every run
is recorded in the Dagster instance of the warehouse home (`make dagster` shows them).
"""

import argparse
import os
import sys
import uuid
from contextlib import suppress
from datetime import date, timedelta
from pathlib import Path

from tiering.landing import (
    INVENTORY_SUFFIX,
    Inventory,
    LandingError,
    earlier_scans,
    take_inventory,
    write_inventory,
)
from tiering.settings import Settings, entry_point_settings


class OneLineParser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def as_of_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--as-of {text!r} is not a date (YYYY-MM-DD)") from None


FAILURE_PREFIX = "dagster._core.definitions.events.Failure: "  # Dagster's class name before a step's own message


def parser() -> OneLineParser:
    p = OneLineParser(prog="warehouse-run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--landing-dir", type=Path, default=None, help="default: $LANDING_DIR, else the bundled sample")
    p.add_argument(
        "--as-of",
        type=as_of_date,
        default=None,
        help="as-of date, not later than today; default: the latest order or event date in the landing files",
    )
    p.add_argument(
        "--incremental",
        action="store_true",
        help="build on the latest earlier build of this landing folder (only new files are read)",
    )
    p.add_argument(
        "--history-months",
        type=int,
        default=0,
        metavar="N",
        help="when this landing folder has no tier history before the as-of date, first run the night of "
        "each of the N month-ends before it, so migration and membership have a past (a home that serves "
        "an earlier date or nothing publishes each, and the as-of night then replaces it)",
    )
    p.add_argument("--json", action="store_true", help="print the end-of-run summary as JSON on stdout")
    p.add_argument(
        "--accept-drift",
        default="",
        metavar="REASON",
        help="publish although the drift checks against the served night breach; the reason is logged",
    )
    p.add_argument(
        "--republish",
        action="store_true",
        help="publish this date although a later date is served (undo a wrong future date)",
    )
    return p


def check_as_of(as_of: date, settings: Settings, partitions) -> str | None:
    """Why this date cannot be a nightly partition, in one line (None: it can)."""
    today = settings.today()
    if as_of > today:
        return f"--as-of {as_of} is later than today ({today} in {settings.timezone}): refused"
    if not partitions.has_partition_key(as_of.isoformat()):
        first, last = partitions.get_first_partition_key(), partitions.get_last_partition_key()
        return f"--as-of {as_of} is not a nightly partition (dates {first} to {last}, {settings.timezone})"
    return None


def main(argv=None) -> int:
    a = parser().parse_args(argv)
    settings = entry_point_settings("warehouse-run", landing_dir=a.landing_dir, incremental=a.incremental or None)
    with os.fdopen(os.dup(2), "w", buffering=1) as terminal:  # stays the terminal while the run logs to a file
        return _main(a, settings, nightly_job(settings, terminal))


def nightly_job(settings: Settings, terminal):
    """The nightly job for these settings, logging to the run's log file and progress to `terminal`."""
    from dagster import colored_console_logger

    from orchestration.assets.dbt import DBT_PROJECT
    from orchestration.definitions import build_definitions
    from orchestration.progress import progress_logger

    loggers = {
        "console": colored_console_logger,
        "progress": progress_logger(terminal, DBT_PROJECT.manifest_path, settings.dbt_unit_tests),
    }
    return build_definitions(settings, loggers).resolve_job_def("nightly_warehouse")


def _main(a, settings: Settings, job) -> int:
    from orchestration.progress import step

    partitions = job.partitions_def
    if a.as_of and (refused := check_as_of(a.as_of, settings, partitions)):
        print(refused, file=sys.stderr)
        return 2
    scans = None  # the default as-of's inventory, kept for the night once the run lock is held
    try:
        if a.as_of:
            as_of = a.as_of
        else:
            with step(sys.stderr, "as-of date", "latest order or event in the landing"):
                as_of, scans = landing_default_as_of(settings)
    except LandingError as e:
        print(e, file=sys.stderr)
        return 2
    if as_of is None:
        print(f"no order or event timestamp parses in {settings.landing_dir}: pass --as-of", file=sys.stderr)
        return 2
    if refused := check_as_of(as_of, settings, partitions):
        print(refused, file=sys.stderr)
        return 2
    backfill = history_backfill(settings.history_dir, as_of, a.history_months)
    for past in [d for d in backfill if partitions.has_partition_key(d.isoformat())]:  # none before the data
        print(
            f"no tier history before {as_of} for this landing folder: building month-end {past} first", file=sys.stderr
        )
        if (code := _locked_run(a, job, past, settings, summary=False, scans=scans)) != 0:
            return code
    return _locked_run(a, job, as_of, settings, summary=True, scans=scans)


def landing_default_as_of(settings: Settings) -> tuple[date | None, Inventory]:
    """The landing's default as-of date, and the inventory it was taken from."""
    inventory = take_inventory(
        settings.landing_dir, None, settings.duckdb_config, earlier_scans(settings.build_dir, settings.landing_dir)
    )
    return settings.default_as_of(inventory), inventory


def keep_scans(settings: Settings, inventory: Inventory) -> None:
    """Writes `inventory` to the build folder, where the night's inventory (prepare_landing)
    finds it: the landing's new files are scanned once. It only saves time: a build folder
    that cannot be written fails the night, not this."""
    with suppress(OSError, LandingError):
        write_inventory(inventory, settings.build_dir / f"as-of{INVENTORY_SUFFIX}")


def month_ends_before(as_of: date, n: int) -> list[date]:
    """The n month-ends before `as_of` (not counting `as_of` itself), oldest first."""
    ends, d = [], as_of.replace(day=1) - timedelta(days=1)
    for _ in range(n):
        ends.append(d)
        d = d.replace(day=1) - timedelta(days=1)
    return ends[::-1]


def history_backfill(history_dir: Path, as_of: date, months: int) -> list[date]:
    """Month-ends to build first: only when no snapshot of this landing folder predates `as_of`."""
    earlier = [p for p in history_dir.glob("as_of=*") if p.name.removeprefix("as_of=") < as_of.isoformat()]
    return [] if earlier or months <= 0 else month_ends_before(as_of, months)


def _locked_run(a, job, as_of: date, settings: Settings, summary: bool, scans: Inventory | None = None) -> int:
    from orchestration.run_lock import LockHeld, acquire, release

    run_id = str(uuid.uuid4())
    try:
        acquire(settings.lock_file, run_id, log=lambda line: print(line, file=sys.stderr))
    except LockHeld as e:
        print(e, file=sys.stderr)
        return 1
    try:
        if scans is not None:
            keep_scans(settings, scans)
        return _run(a, job, as_of, settings, run_id, summary)
    finally:
        release(settings.lock_file, run_id)


def _run(a, job, as_of: date, settings: Settings, run_id: str, summary: bool = True) -> int:
    from orchestration import audit
    from orchestration.instance import open_instance
    from orchestration.summary import output_to, print_summary

    log_file = settings.log_file(as_of.isoformat())
    run_config = {
        "ops": {
            "warehouse_audit": {"config": {"accept_drift": a.accept_drift}},
            "published_warehouse": {"config": {"republish": a.republish}},
        },
        "loggers": {"console": {"config": {"log_level": "DEBUG"}}, "progress": {}},
    }
    print(f"running the nightly pipeline for {as_of} on {settings.landing_dir} (details: {log_file})", file=sys.stderr)
    with output_to(log_file), open_instance(settings) as instance:  # the run is recorded in the home's instance
        result = job.execute_in_process(
            run_config=run_config,
            instance=instance,
            partition_key=as_of.isoformat(),
            run_id=run_id,
            raise_on_error=False,
        )
    if not result.success:
        for event in result.all_events:
            if event.is_step_failure:
                message = event.step_failure_data.error.message.strip()
                print(f"FAILED {event.step_key}: {message.removeprefix(FAILURE_PREFIX)[:2000]}", file=sys.stderr)
        for check in result.get_asset_check_evaluations():
            if not check.passed:
                print(f"FAILED check {check.check_name}: {check.metadata.get('failed_expectations')}", file=sys.stderr)
        print(f"data docs: {audit.data_docs_index(settings.gx_dir)}", file=sys.stderr)
    if summary or not result.success:
        print_summary(settings, as_of.isoformat(), result.success, log_file, a.json)
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main())
