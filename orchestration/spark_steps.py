"""The steps of one Spark build, in one process and one Spark session (started once by dbt's
`session` connection, reused by every step; on a cluster, where dbt connects over Thrift or
HTTP, the Python steps reach it through Spark Connect: Settings.spark_connect):

1. dbt builds everything int_clv_predictions reads (tests later, in step 4);
2. the Arrow step: the per-customer summary is read from Spark as an Arrow table, the CLV fit
   of tiering.clv_predictions runs on it (the same function as the dbt Python model on
   DuckDB) and the predictions are written back as table int_clv_predictions (dbt-spark's
   session method does not run Python models);
3. dbt builds the rest;
4. dbt tests everything (data tests and unit tests);
5. the GX audit (orchestration/spark_audit.py): the marts against the independent
   recomputation of the landing, as on DuckDB; its verdict goes to <schema>.audit.json and each
   failed figure to stderr;
6. with a served schema given and every step passed: publish (write-audit-publish): each
   public mart's view in the served schema is replaced by one over the audited build schema,
   <spark dir>/served.json records which build each served schema reads, and earlier build
   schemas beyond Settings.keep_builds are dropped (orchestration/retention.py).

Run by orchestration/spark_runner.py in a subprocess with the build's environment (which holds
the as-of date: orchestration/dbt_args.py dbt_env); writes
<spark dir>/<schema>.results.json (every node's status per step) and <schema>.timing.json
(each step's wall seconds and each node's execution seconds, for docs/scaling.md).

    python -m orchestration.spark_steps BUILD_SCHEMA [SERVED_SCHEMA]
"""

import json
import os
import shutil
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from orchestration.dbt_args import build_args
from orchestration.retention import expired
from tiering import clv_predictions
from tiering.landing import inventory_dir
from tiering.project import PROJECT_DIR
from tiering.settings import PUBLIC_MARTS, Settings

SUMMARY = "int_clv_purchase_history"
PREDICTIONS = "int_clv_predictions"
NO_TESTS = ["resource_type:test", "resource_type:unit_test"]
PASSED = ("success", "pass", "no-op")  # no-op: exposures and saved queries, nothing to run
SERVED_RECORD = "served.json"  # served schema -> the build schema its views read


def step_files(spark_dir: Path, schema: str) -> list[Path]:
    """What this module writes of one build: statuses (last, once the build ended), GX verdict, timing."""
    return [Path(spark_dir) / f"{schema}.{kind}.json" for kind in ("results", "audit", "timing")]


def dbt_steps() -> list[tuple[str, list[str]]]:
    """(name, dbt arguments) of the dbt steps around the Arrow step."""
    build = build_args(PROJECT_DIR)
    test = ["test", *build[1:]]
    target = ["--target", "spark"]
    return [
        ("upstream", [*build, *target, "--select", f"+{PREDICTIONS}", "--exclude", PREDICTIONS, *NO_TESTS]),
        ("downstream", [*build, *target, "--exclude", f"+{PREDICTIONS}", *NO_TESTS]),
        ("audit", [*test, *target]),
    ]


TIMING: dict[str, dict[str, float]] = {}  # node execution seconds of this process's dbt runs


def run_dbt(args: list[str]) -> dict[str, str]:
    """One dbt invocation in this process: {unique_id: status}."""
    from dbt.cli.main import dbtRunner

    result = dbtRunner().invoke(args)
    if result.result is None:
        raise RuntimeError(f"dbt {args[0]} did not run: {result.exception}")
    TIMING.setdefault("nodes", {}).update({r.node.unique_id: round(r.execution_time, 2) for r in result.result.results})
    return {r.node.unique_id: str(r.status) for r in result.result.results}


def timed(step: str, fn, *args):
    start = time.monotonic()
    out = fn(*args)
    TIMING.setdefault("steps", {})[step] = round(time.monotonic() - start, 1)
    return out


def spark_session(connect: str | None = None):
    """The session of the Arrow, GX and publish steps: dbt's own (method `session`, started by
    step 1), or with `connect` (Settings.spark_connect: dbt reaches a cluster over Thrift or
    HTTP) a Spark Connect session to that cluster, given the profile's SQL settings."""
    if not connect:
        from pyspark.sql import SparkSession

        return SparkSession.builder.getOrCreate()
    from pyspark.sql.connect.session import SparkSession as ConnectSession

    spark = ConnectSession.builder.remote(connect).getOrCreate()
    for key, value in profile_parameters().items():
        if key.startswith("spark.sql.") and spark.conf.isModifiable(key):
            spark.conf.set(key, value)  # time zone, decimal scale: as dbt's queries see them
    return spark


def profile_parameters(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The `server_side_parameters` of profiles.yml's spark target, rendered as dbt renders them."""
    import yaml
    from dbt.config.renderer import ProfileRenderer
    from dbt_common.context import set_invocation_context

    set_invocation_context(dict(environ))  # env_var() reads the invocation's environment
    profile = yaml.safe_load((PROJECT_DIR / "profiles.yml").read_text())["customer_tiers"]["outputs"]["spark"]
    rendered = ProfileRenderer({}).render_data(profile)
    return {k: str(v) for k, v in rendered.get("server_side_parameters", {}).items()}


def write_predictions(spark, schema: str) -> None:
    """The Arrow step: the summary out of Spark, the fit, the predictions back."""
    history = spark.table(f"{schema}.{SUMMARY}").toArrow()
    setting = spark.sql(f"select value from {schema}.tier_settings where setting = 'clv_min_customers'").collect()
    table = clv_predictions.predictions(history, float(setting[0][0]))
    spark.createDataFrame(table).write.mode("overwrite").format("parquet").saveAsTable(f"{schema}.{PREDICTIONS}")


def gx_audit(spark, schema: str, build_file: Path, settings: Settings) -> dict[str, str]:
    """The GX suites on the build: {suite: pass or fail}."""
    from orchestration import audit, spark_audit

    results = spark_audit.audit_spark_build(spark, schema, build_file, f"spark {schema}", settings)
    checks = audit.verdict_checks(results, settings.gx_dir)
    (build_file.parent / f"{schema}.audit.json").write_text(json.dumps(checks, indent=1))
    for cause in (c for r in results for c in r.causes):
        print(cause, file=sys.stderr)
    return {f"gx.{r.name}": "pass" if r.success else "fail" for r in results}


def publish(spark, build_schema: str, served_schema: str) -> None:
    """Points each public mart's view in the served schema at the audited build. Each view is
    replaced atomically; during the switch (a few seconds) a reader may see some marts of the
    previous build and some of the new one (docs/spark.md)."""
    spark.sql(f"create schema if not exists {served_schema}")
    for mart in PUBLIC_MARTS:
        spark.sql(f"create or replace view {served_schema}.{mart} as select * from {build_schema}.{mart}")


def record_served(spark_dir: Path, served_schema: str, build_schema: str) -> dict[str, str]:
    record = spark_dir / SERVED_RECORD
    served = {**(json.loads(record.read_text()) if record.exists() else {}), served_schema: build_schema}
    record.write_text(json.dumps(served, indent=1, sort_keys=True))
    return served


def finished_builds(spark_dir: Path) -> list[str]:
    """The build schemas whose build ended here (their statuses file), oldest first."""
    ended = sorted(spark_dir.glob("*.results.json"), key=lambda p: (p.stat().st_mtime, p.name))
    return [p.name.removesuffix(".results.json") for p in ended]


def retire_builds(spark, spark_dir: Path, served: dict[str, str], keep: int) -> dict[str, str]:
    """Drops the finished build schemas that no served schema reads, beyond the `keep` newest,
    with their files; one that cannot be dropped is reported and stays. {schema: "success"}."""
    dropped = {}
    for old in expired(finished_builds(spark_dir), {*served, *served.values()}, keep):
        try:
            spark.sql(f"drop schema if exists `{old}` cascade")
        except Exception as e:  # a local AnalysisException or a Connect error: report, go on
            print(f"could not drop build schema {old} ({str(e).splitlines()[0]}); it stays", file=sys.stderr)
            continue
        for f in step_files(spark_dir, old):
            f.unlink(missing_ok=True)
        shutil.rmtree(inventory_dir(spark_dir / old), ignore_errors=True)
        print(f"dropped build schema {old}: older than the {keep} kept (WAREHOUSE_KEEP_BUILDS)")
        dropped[old] = "success"
    return dropped


def main(argv=None) -> int:
    argv = argv or sys.argv[1:]
    schema, served = argv[0], (argv[1] if len(argv) > 1 else None)
    spark_dir = Path(os.environ["WAREHOUSE_SPARK_DIR"])
    settings = Settings.from_env()
    connect = settings.spark_connect
    statuses: dict[str, dict[str, str]] = {}
    ok = True
    for name, args in dbt_steps():
        statuses[name] = timed(name, run_dbt, args)
        ok = ok and all(s in PASSED for s in statuses[name].values())
        if name == "upstream":
            if not ok:
                break
            timed("arrow", write_predictions, spark_session(connect), schema)
            statuses["arrow"] = {f"model.customer_tiers.{PREDICTIONS}": "success"}
    if ok:
        statuses["gx"] = timed("gx", gx_audit, spark_session(connect), schema, spark_dir / schema, settings)
        ok = all(s in PASSED for s in statuses["gx"].values())
    if ok and served:
        timed("publish", publish, spark_session(connect), schema, served)
        statuses["publish"] = {served: "success"}
        serving = record_served(spark_dir, served, schema)
        statuses["retire"] = retire_builds(spark_session(connect), spark_dir, serving, settings.keep_builds)
    results, _, timing = step_files(spark_dir, schema)
    timing.write_text(json.dumps(TIMING, indent=1))
    results.write_text(json.dumps(statuses, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
