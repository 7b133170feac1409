"""`warehouse-run`: the whole nightly pipeline in-process on one as-of date.

landing (the bundled sample unless --landing-dir; --generate N writes a fresh one) -> dbt build
into a build file -> Great Expectations audit -> publish the served file and Parquet exports.
"""
import argparse
import os
import sys
from datetime import date
from pathlib import Path

from orchestration.landing import LandingError, default_as_of, take_inventory
from orchestration.project import SAMPLE_LANDING


def _parse(argv):
    p = argparse.ArgumentParser(prog="warehouse-run", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--landing-dir", type=Path, default=None, help="default: $LANDING_DIR, else the bundled sample")
    p.add_argument("--as-of", type=date.fromisoformat, default=None,
                   help="as-of date; default: the latest order or event date in the landing files")
    p.add_argument("--generate", type=int, default=0, metavar="N", help="first generate a landing zone of N customers")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--incremental", action="store_true",
                   help="build on the latest earlier build of this landing folder (only new files are read)")
    p.add_argument("--json", action="store_true", help="print the end-of-run summary as JSON")
    return p.parse_args(argv)


def main(argv=None) -> int:
    a = _parse(argv)
    landing = (a.landing_dir or Path(os.environ.get("LANDING_DIR") or SAMPLE_LANDING)).resolve()
    os.environ["LANDING_DIR"] = str(landing)
    if a.incremental:
        os.environ["WAREHOUSE_INCREMENTAL"] = "1"
    if a.generate:
        from orchestration.generator.cli import Spec, generate
        generate(Spec(customers=a.generate, seed=a.seed), landing)
    try:
        as_of = a.as_of or default_as_of(take_inventory(landing))
    except LandingError as e:
        print(e, file=sys.stderr)
        return 2
    if as_of is None:
        print(f"no order or event timestamp parses in {landing}: pass --as-of", file=sys.stderr)
        return 2
    from orchestration import audit
    from orchestration.definitions import defs
    from orchestration.settings import Paths
    from orchestration.summary import output_to, print_summary
    paths = Paths.from_env()
    log_file = paths.log_file(as_of.isoformat())
    print(f"running the nightly pipeline for {as_of} on {landing} (details: {log_file})", file=sys.stderr)
    with output_to(log_file):
        result = defs.resolve_job_def("nightly_warehouse").execute_in_process(
            partition_key=as_of.isoformat(), raise_on_error=False)
    if not result.success:
        for event in result.all_events:
            if event.is_step_failure:
                print(f"FAILED {event.step_key}: {event.step_failure_data.error.message.strip()[:2000]}", file=sys.stderr)
        for check in result.get_asset_check_evaluations():
            if not check.passed:
                print(f"FAILED check {check.check_name}: {check.metadata.get('failed_expectations')}", file=sys.stderr)
        print(f"data docs: {audit.data_docs_index()}", file=sys.stderr)
    print_summary(paths, as_of.isoformat(), result.success, log_file, a.json)
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main())
