"""`warehouse-build-spark`: the same landing inventory and dbt project as warehouse-build, on
Apache Spark (profiles.yml target `spark`: a local pyspark session, docs/spark.md). Tables and
the Hive metastore are kept under the Spark folder; each build goes into its own build schema
and, with --publish, is served once audited (orchestration/spark_steps.py).

    warehouse-build-spark [--landing-dir D] [--as-of YYYY-MM-DD] [--spark-dir DIR] [--schema S] [--publish SERVED]
"""

import argparse
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

from orchestration.dbt_args import dbt_env
from orchestration.dbt_runner import prepare_landing
from tiering.landing import LandingError
from tiering.project import PROJECT_DIR
from tiering.settings import Settings

DEFAULT_SCHEMA = "customer_tiers"
CONTRACT = PROJECT_DIR / "models" / "staging" / "_sources.yml"


def spark_env(base: dict[str, str], spark_dir: Path, schema: str, contract_copy: Path) -> dict[str, str]:
    """`base` (a dbt environment) plus the Spark folder, the schema a build writes to and the
    copy of the contract dbt's unit tests read (Spark skips files whose name starts with '_')."""
    return {
        **base,
        "WAREHOUSE_SPARK_DIR": str(Path(spark_dir).resolve()),
        "WAREHOUSE_SPARK_SCHEMA": schema,
        "WAREHOUSE_CONTRACT_FILE": str(Path(contract_copy).resolve()),
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
    given and audited. A landing folder that cannot be built gives return code 2 and its cause."""
    settings = (settings or Settings.from_env()).model_copy(update={"landing_dir": Path(landing_dir).resolve()})
    spark_dir = Path(spark_dir).resolve()
    spark_dir.mkdir(parents=True, exist_ok=True)
    build_file = spark_dir / schema  # names the inventory folder, <spark dir>/<schema>.inventory
    try:
        as_of, inventory = prepare_landing(settings, as_of, build_file, spark_dir / "history")
    except LandingError as e:
        if not capture:
            print(e, file=sys.stderr)
        return subprocess.CompletedProcess(["warehouse-build-spark"], 2, stdout=f"{e}\n", stderr=f"{e}\n")
    contract_copy = Path(shutil.copy(CONTRACT, spark_dir / "contract.yml"))
    env = spark_env(dbt_env(settings, build_file, inventory, os.environ), spark_dir, schema, contract_copy)
    cmd = [sys.executable, "-m", "orchestration.spark_steps", as_of.isoformat(), schema, *([served] if served else [])]
    return subprocess.run(cmd, cwd=PROJECT_DIR, env=env, capture_output=capture, text=True)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="warehouse-build-spark", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--landing-dir", type=Path, default=None, help="default: $LANDING_DIR, else the sample")
    p.add_argument("--as-of", type=date.fromisoformat, default=None, help="default: as warehouse-build")
    p.add_argument("--spark-dir", type=Path, default=PROJECT_DIR / "warehouse" / "spark", help="tables and metastore")
    p.add_argument("--schema", default=DEFAULT_SCHEMA, help="the build schema (a fresh one per build)")
    p.add_argument("--publish", metavar="SERVED", default=None, help="serve the audited build in this schema")
    return p


def main(argv=None) -> int:
    a = parser().parse_args(argv)
    settings = Settings.from_env(landing_dir=a.landing_dir)
    return run_spark_build(
        settings.landing_dir, a.as_of, a.spark_dir, a.schema, a.publish, settings=settings
    ).returncode


if __name__ == "__main__":
    sys.exit(main())
