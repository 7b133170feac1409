"""The Dagster code location: landing -> dbt build (into a build file) -> GX audit -> publish -> report.

The dbt manifest is prepared by the build step (`make setup` runs `dbt parse`); importing this
module never parses dbt. Every asset is partitioned by as-of date (daily); the schedule builds
yesterday's partition at 02:00 in $WAREHOUSE_TIMEZONE (default UTC).
"""
import json
import os
from datetime import datetime, timezone

from dagster import (
    AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetExecutionContext, AssetKey, Config,
    DailyPartitionsDefinition, Definitions, Failure, MaterializeResult, MetadataValue, RetryPolicy, RunFailureSensorContext,
    asset, build_schedule_from_partitioned_job, define_asset_job, run_failure_sensor,
)
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from orchestration import audit
from orchestration.dbt_args import dbt_env, dbt_executable, dbt_vars
from orchestration.dbt_failures import classify_dbt_failure
from orchestration.dbt_runner import prepare_landing
from orchestration.generator.cli import Spec, generate
from orchestration.landing import LandingError, inventory_file
from orchestration.project import PROJECT_DIR
from orchestration.publish import prepare_build_file, publish, should_publish, store_snapshot
from orchestration.report import write_served_report
from orchestration.settings import PUBLIC_MARTS, Paths

DBT_PROJECT = DbtProject(project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR)
if not DBT_PROJECT.manifest_path.exists():
    raise FileNotFoundError(f"{DBT_PROJECT.manifest_path} is missing: run `make setup` (it runs `dbt parse`)")

PARTITIONS = DailyPartitionsDefinition(start_date="2024-01-01", timezone=os.environ.get("WAREHOUSE_TIMEZONE", "UTC"))
# Transient failures (a locked file, a full disk that is cleared) are retried; failed tests never are.
RETRY = RetryPolicy(max_retries=2, delay=30)


class LandingConfig(Config):
    generate_customers: int = 0  # > 0: write a fresh generated landing zone first
    seed: int = 42


@asset(partitions_def=PARTITIONS, group_name="landing",
       description="The landing folder (LANDING_DIR, default the bundled sample); optionally generated first.")
def landing_zone(context: AssetExecutionContext, config: LandingConfig) -> None:
    paths = Paths.from_env()
    if config.generate_customers > 0:
        counts = generate(Spec(customers=config.generate_customers, seed=config.seed), paths.landing_dir)
        context.add_output_metadata({"generated_rows": MetadataValue.json(counts)})
    try:  # the landing inventory dbt reads (a failed extract stops the run here)
        _, inventory = prepare_landing(paths.landing_dir, _date(context.partition_key),
                                       paths.build_file(context.partition_key), paths.history_dir)
    except LandingError as e:
        raise Failure(str(e), allow_retries=False) from None
    context.add_output_metadata({"landing_dir": str(paths.landing_dir), "inventory": str(inventory)})


class Translator(DagsterDbtTranslator):
    """dbt staging models read the landing zone, so they depend on the landing_zone asset."""

    def get_asset_spec(self, manifest, unique_id, project):
        spec = super().get_asset_spec(manifest, unique_id, project)
        if manifest["nodes"].get(unique_id, {}).get("name", "").startswith("stg_"):
            spec = spec.merge_attributes(deps=[AssetKey("landing_zone")])
        return spec


@dbt_assets(manifest=DBT_PROJECT.manifest_path, project=DBT_PROJECT, partitions_def=PARTITIONS,
            dagster_dbt_translator=Translator(), retry_policy=RETRY)
def warehouse_models(context: AssetExecutionContext, dbt: DbtCliResource):
    paths = Paths.from_env()
    as_of = context.partition_key
    build_file = prepare_build_file(paths, as_of, incremental=os.environ.get("WAREHOUSE_INCREMENTAL") == "1")
    context.log.info(f"building {build_file} ({'incremental' if build_file.exists() else 'full'})")
    os.environ["WAREHOUSE_PATH"] = str(build_file)  # dbt writes the build file, never the served one
    if not inventory_file(build_file).exists():
        raise Failure(f"no landing inventory for {as_of}: materialise landing_zone first", allow_retries=False)
    os.environ.update(dbt_env(inventory_file(build_file)))  # written by landing_zone
    invocation = dbt.cli(["build", "--vars", dbt_vars(_date(as_of))],
                         context=context, raise_on_error=False)
    yield from invocation.stream()
    if not invocation.is_successful():
        raise classify_dbt_failure(invocation)


def _date(as_of: str):
    return datetime.strptime(as_of, "%Y-%m-%d").date()


AUDITS = {  # asset check on warehouse_audit -> the GX suite it runs
    "gx_tier_counts": "tier_counts",
    "gx_profit_tie_out": "profit_tie_out",
    "gx_partitions": "partitions",
    "gx_service_policies": "service_policies",
}


@asset(partitions_def=PARTITIONS, group_name="audit", deps=[AssetKey(m) for m in PUBLIC_MARTS],
       check_specs=[AssetCheckSpec(name, asset="warehouse_audit", blocking=True,
                                   description=f"Great Expectations: {suite.replace('_', ' ')}")
                    for name, suite in AUDITS.items()],
       description="Great Expectations audit of the build file; its checks block publishing.")
def warehouse_audit(context: AssetExecutionContext):
    paths = Paths.from_env()
    as_of = context.partition_key
    results = audit.audit_warehouse(paths.build_file(as_of), run_name=f"{as_of} {context.run.run_id[:8]}")
    verdict = {"as_of": as_of, "passed": all(r.success for r in results),
               "failed": [r.name for r in results if not r.success]}
    paths.build_file(as_of).with_suffix(".audit.json").write_text(json.dumps(verdict))
    yield MaterializeResult(metadata={"passed": verdict["passed"], "data_docs": MetadataValue.path(str(audit.data_docs_index()))})
    for name, suite in AUDITS.items():
        mine = [r for r in results if r.name.split("[")[0] == suite]
        yield AssetCheckResult(
            check_name=name, passed=all(r.success for r in mine), severity=AssetCheckSeverity.ERROR,
            metadata={
                "statistics": MetadataValue.json({r.name: r.statistics for r in mine}),
                "failed_expectations": MetadataValue.json({r.name: r.failures for r in mine if r.failures}),
                "data_docs": MetadataValue.path(str(audit.data_docs_index())),
            })


def _passed_audit(paths: Paths, as_of: str) -> None:
    verdict_file = paths.build_file(as_of).with_suffix(".audit.json")
    verdict = json.loads(verdict_file.read_text()) if verdict_file.exists() else {"passed": False, "failed": ["no audit"]}
    if not verdict["passed"] or verdict.get("as_of") != as_of:
        raise Failure(f"audit of {as_of} did not pass ({', '.join(verdict['failed'])}): nothing published; "
                      f"see {audit.data_docs_index()}", allow_retries=False)


@asset(partitions_def=PARTITIONS, group_name="publish", deps=[AssetKey("warehouse_audit")],
       description="This date's tier snapshot, kept in tier history (history/as_of=D/); a rebuild replaces only D.")
def tier_history(context: AssetExecutionContext) -> None:
    paths = Paths.from_env()
    as_of = context.partition_key
    _passed_audit(paths, as_of)
    folder = store_snapshot(paths.build_file(as_of), paths.history_dir, as_of)
    context.add_output_metadata({"snapshot": str(folder)})


@asset(partitions_def=PARTITIONS, group_name="publish", deps=[AssetKey("warehouse_audit")],
       description="The served DuckDB file BI opens read-only, and Parquet exports of the public marts.")
def published_warehouse(context: AssetExecutionContext) -> None:
    paths = Paths.from_env()
    as_of = context.partition_key
    _passed_audit(paths, as_of)
    if not should_publish(paths, as_of):
        context.log.info(f"{as_of} is older than the served date: audited, not published")
        context.add_output_metadata({"published": False})
        return
    record = publish(paths, paths.build_file(as_of), as_of, context.run.run_id)
    context.add_output_metadata({"published": True, **{k: str(v) for k, v in record.items()}})


@asset(partitions_def=PARTITIONS, group_name="publish", deps=[AssetKey("published_warehouse")],
       description="The tier report: one self-contained HTML page per served as-of date, plus a latest copy.")
def tier_report(context: AssetExecutionContext) -> None:
    report = write_served_report(Paths.from_env())
    context.add_output_metadata({"report": MetadataValue.path(str(report))})


nightly_job = define_asset_job(
    "nightly_warehouse", selection="*", partitions_def=PARTITIONS,
    description="Land, build and test with dbt, audit with Great Expectations, publish.",
)
nightly_schedule = build_schedule_from_partitioned_job(nightly_job, hour_of_day=2, minute_of_hour=0)


@run_failure_sensor(monitored_jobs=[nightly_job], description="Records every failed run where operators look.")
def record_run_failure(context: RunFailureSensorContext):
    paths = Paths.from_env()
    paths.alerts_file.parent.mkdir(parents=True, exist_ok=True)
    event = {"at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "run_id": context.dagster_run.run_id,
             "job": context.dagster_run.job_name, "partition": context.dagster_run.tags.get("dagster/partition"),
             "error": context.failure_event.message}
    with paths.alerts_file.open("a") as f:
        f.write(json.dumps(event) + "\n")
    context.log.error(f"run {event['run_id']} failed: {event['error']}")


defs = Definitions(
    assets=[landing_zone, warehouse_models, warehouse_audit, tier_history, published_warehouse, tier_report],
    jobs=[nightly_job],
    schedules=[nightly_schedule],
    sensors=[record_run_failure],
    resources={"dbt": DbtCliResource(project_dir=DBT_PROJECT, profiles_dir=str(PROJECT_DIR),
                                     dbt_executable=dbt_executable())},
)
