"""`warehouse-build-spark`: the same landing inventory and dbt project as warehouse-build, on
Apache Spark (profiles.yml target `spark`: a local pyspark session, docs/spark.md). Tables and
the Hive metastore are kept under the Spark folder; each build goes into its own build schema
and, with --publish, is served once audited (orchestration/spark_steps.py).

    warehouse-build-spark [--landing-dir D] [--as-of YYYY-MM-DD] [--spark-dir DIR] [--schema S] [--publish SERVED]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

from orchestration.dbt_args import dbt_env
from orchestration.dbt_runner import prepare_landing
from orchestration.spark_steps import PASSED, step_files
from tiering.landing import LandingError
from tiering.project import PROJECT_DIR
from tiering.settings import Settings, entry_point_settings

DEFAULT_SCHEMA = "customer_tiers"
CONTRACT = PROJECT_DIR / "models" / "staging" / "_sources.yml"


def spark_env(
    base: dict[str, str], spark_dir: Path, schema: str, contract_copy: Path, settings: Settings
) -> dict[str, str]:
    """`base` (a dbt environment) plus the Spark folder, the schema a build writes to, the
    copy of the contract dbt's unit tests read (Spark skips files whose name starts with '_'),
    the Spark Connect address of the Python steps (none: dbt's local session), how many
    earlier builds they keep and the home whose GX project the audit writes (with how many audits)."""
    return {
        **base,
        "WAREHOUSE_SPARK_DIR": str(Path(spark_dir).resolve()),
        "WAREHOUSE_SPARK_SCHEMA": schema,
        "WAREHOUSE_CONTRACT_FILE": str(Path(contract_copy).resolve()),
        "WAREHOUSE_SPARK_CONNECT": settings.spark_connect or "",  # empty: unset (Settings.from_env)
        "WAREHOUSE_KEEP_BUILDS": str(settings.keep_builds),
        "WAREHOUSE_HOME": str(settings.home),
        "WAREHOUSE_KEEP_AUDITS": str(settings.keep_audits),
    }


def run_spark_build(
    landing_dir: Path,
    as_of: date | None,
    spark_dir: Path,
    schema: str = DEFAULT_SCHEMA,
    served: str | None = None,
    capture: bool = False,
    settings: Settings | None = None,
) -> subprocess.CompletedProcess:
    """The Spark build of `landing_dir` into `schema` of the Spark folder `spark_dir` (the
    steps of orchestration/spark_steps.py in a subprocess), published to schema `served` when
    given and audited. A landing folder that cannot be built, or a served schema that is the
    build schema, gives return code 2 and its cause."""
    settings = (settings or Settings.from_env()).model_copy(update={"landing_dir": Path(landing_dir).resolve()})
    spark_dir = Path(spark_dir).resolve()
    spark_dir.mkdir(parents=True, exist_ok=True)
    build_file = spark_dir / schema  # names the inventory folder, <spark dir>/<schema>.inventory
    if served == schema:
        return _refused(f"the build schema and the served schema are both {schema}: serve from another schema", capture)
    try:
        as_of, inventory = prepare_landing(settings, as_of, build_file, spark_dir / "history")
    except LandingError as e:
        return _refused(str(e), capture)
    for stale in step_files(spark_dir, schema):  # an earlier build's verdict must not answer for this one
        stale.unlink(missing_ok=True)
    contract_copy = Path(shutil.copy(CONTRACT, spark_dir / "contract.yml"))
    base = dbt_env(settings, build_file, inventory, as_of, os.environ)
    env = spark_env(base, spark_dir, schema, contract_copy, settings)
    cmd = [sys.executable, "-m", "orchestration.spark_steps", schema, *([served] if served else [])]
    return subprocess.run(cmd, cwd=PROJECT_DIR, env=env, capture_output=capture, text=True)


def _refused(cause: str, capture: bool) -> subprocess.CompletedProcess:
    if not capture:
        print(cause, file=sys.stderr)
    return subprocess.CompletedProcess(["warehouse-build-spark"], 2, stdout=f"{cause}\n", stderr=f"{cause}\n")


def failure_line(spark_dir: Path, schema: str, result: subprocess.CompletedProcess) -> str:
    """One line on why the Spark build of `schema` was not served."""
    results, verdict, _ = step_files(spark_dir, schema)
    if result.returncode == 2 or not results.exists():
        said = [[line for line in (out or "").splitlines() if line.strip()] for out in (result.stderr, result.stdout)]
        lines = said[0] or said[1]  # stderr first: where errors are said
        last = lines[-1].strip() if lines else "no output"
        return last if result.returncode == 2 else f"Spark build {schema} ended with code {result.returncode}: {last}"
    for step, nodes in json.loads(results.read_text()).items():
        failed = sorted(node for node, status in nodes.items() if status not in PASSED)
        if failed:
            named = ", ".join(failed[:3]) + (", ..." if len(failed) > 3 else "")
            line = f"Spark build {schema}: {len(failed)} failed in step {step} ({named})"
            if step == "gx" and verdict.exists():
                causes = [c for check in json.loads(verdict.read_text())["checks"] for c in check["failed"]]
                line += f"; {causes[0]}" if causes else ""
            return line
    return f"Spark build {schema} ended with code {result.returncode}"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="warehouse-build-spark", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--landing-dir", type=Path, default=None, help="default: $LANDING_DIR, else the sample")
    p.add_argument("--as-of", type=date.fromisoformat, default=None, help="default: as warehouse-build")
    p.add_argument("--spark-dir", type=Path, default=None, help="tables and metastore (default: <home>/spark)")
    p.add_argument("--schema", default=DEFAULT_SCHEMA, help="the build schema (a fresh one per build)")
    p.add_argument("--publish", metavar="SERVED", default=None, help="serve the audited build in this schema")
    return p


def main(argv=None) -> int:
    a = parser().parse_args(argv)
    settings = entry_point_settings("warehouse-build-spark", landing_dir=a.landing_dir)
    spark_dir = a.spark_dir or settings.spark_dir
    result = run_spark_build(settings.landing_dir, a.as_of, spark_dir, a.schema, a.publish, settings=settings)
    if result.returncode not in (0, 2):  # 2: the landing's cause is printed already
        print(failure_line(spark_dir, a.schema, result), file=sys.stderr)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
