"""The Dagster code location: landing -> dbt build (into a build file) -> GX audit -> publish -> report.

The dbt manifest is prepared by the build step (`make setup` runs `dbt parse`); importing this
module never parses dbt. Every asset is partitioned by as-of date (daily); the schedule builds
yesterday's partition at 02:00 in $WAREHOUSE_TIMEZONE (default UTC).
"""

import os
from datetime import datetime

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    Config,
    DailyPartitionsDefinition,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    Definitions,
    Failure,
    MaterializeResult,
    MetadataValue,
    RetryPolicy,
    RunFailureSensorContext,
    asset,
    build_schedule_from_partitioned_job,
    define_asset_job,
    run_failure_sensor,
)
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from devtools.generator.cli import Spec, generate
from orchestration import audit, drift
from orchestration.dbt_args import dbt_env, dbt_executable, dbt_vars
from orchestration.dbt_failures import classify_dbt_failure
from orchestration.dbt_runner import prepare_landing
from orchestration.publish import (
    PublishRefused,
    build_identity,
    passed_verdict,
    prepare_build_file,
    publish,
    record_alert,
    served_as_of,
    should_publish,
    stamp_build,
    store_snapshot,
    write_verdict,
)
from orchestration.report import write_served_report
from orchestration.run_lock import LockHeld, acquire
from tiering.landing import LandingError, inventory_file
from tiering.project import PROJECT_DIR
from tiering.settings import PUBLIC_MARTS, Paths, today, warehouse_timezone

DBT_PROJECT = DbtProject(project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR)
if not DBT_PROJECT.manifest_path.exists():
    raise FileNotFoundError(f"{DBT_PROJECT.manifest_path} is missing: run `make setup` (it runs `dbt parse`)")

PARTITIONS = DailyPartitionsDefinition(start_date="2024-01-01", timezone=warehouse_timezone())
# Transient failures (a locked file, a full disk that is cleared) are retried; failed tests never are.
RETRY = RetryPolicy(max_retries=2, delay=30)


class LandingConfig(Config):
    generate_customers: int = 0  # > 0: write a fresh generated landing zone first
    seed: int = 42


@asset(
    partitions_def=PARTITIONS,
    group_name="landing",
    description="The landing folder (LANDING_DIR, default the bundled sample); optionally generated first.",
)
def landing_zone(context: AssetExecutionContext, config: LandingConfig) -> None:
    paths = Paths.from_env()
    if config.generate_customers > 0:
        counts = generate(Spec(customers=config.generate_customers, seed=config.seed), paths.landing_dir)
        context.add_output_metadata({"generated_rows": MetadataValue.json(counts)})
    try:  # the landing inventory dbt reads (a failed extract stops the run here)
        _, inventory = prepare_landing(
            paths.landing_dir, _date(context.partition_key), paths.build_file(context.partition_key), paths.history_dir
        )
    except LandingError as e:
        raise Failure(str(e), allow_retries=False) from None
    context.add_output_metadata({"landing_dir": str(paths.landing_dir), "inventory": str(inventory)})


def layer_group(fqn: list[str], resource_type: str) -> str:
    """The Dagster asset group of a dbt node: its layer and domain folder (marts_tiers, ...)."""
    if resource_type == "seed":
        return "seeds"
    folders = fqn[1:-1]
    return "_".join(folders[:2]) if folders else "dbt"


class Translator(DagsterDbtTranslator):
    """Assets grouped by layer; staging models read the landing zone, so they depend on it."""

    def get_asset_spec(self, manifest, unique_id, project):
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest["nodes"].get(unique_id, {})
        if node.get("fqn"):
            spec = spec.replace_attributes(group_name=layer_group(node["fqn"], node.get("resource_type", "")))
        if node.get("name", "").startswith("stg_"):
            spec = spec.merge_attributes(deps=[AssetKey("landing_zone")])
        return spec


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path,
    project=DBT_PROJECT,
    partitions_def=PARTITIONS,
    dagster_dbt_translator=Translator(),
    retry_policy=RETRY,
)
def warehouse_models(context: AssetExecutionContext, dbt: DbtCliResource):
    paths = Paths.from_env()
    as_of = context.partition_key
    hold_lock(context, paths)
    build_file = prepare_build_file(paths, as_of, incremental=os.environ.get("WAREHOUSE_INCREMENTAL") == "1")
    context.log.info(f"building {build_file} ({'incremental' if build_file.exists() else 'full'})")
    os.environ["WAREHOUSE_PATH"] = str(build_file)  # dbt writes the build file, never the served one
    if not inventory_file(build_file).exists():
        raise Failure(f"no landing inventory for {as_of}: materialise landing_zone first", allow_retries=False)
    os.environ.update(dbt_env(inventory_file(build_file)))  # written by landing_zone
    invocation = dbt.cli(["build", "--vars", dbt_vars(_date(as_of))], context=context, raise_on_error=False)
    yield from invocation.stream()
    if not invocation.is_successful():
        raise classify_dbt_failure(invocation)
    stamp_build(build_file, context.run.run_id)


def hold_lock(context: AssetExecutionContext, paths: Paths) -> None:
    """Every step that writes takes the warehouse home's lock for its run (see run_lock)."""
    try:
        acquire(paths.lock_file, context.run.run_id, log=context.log.warning)
    except LockHeld as e:
        raise Failure(str(e), allow_retries=False) from None


def _date(as_of: str):
    return datetime.strptime(as_of, "%Y-%m-%d").date()


AUDITS = {f"gx_{suite}": suite for suite in audit.SUITES}  # asset check on warehouse_audit -> its GX suite


class AuditConfig(Config):
    accept_drift: str = ""  # a reason: publish although drift checks breach (logged with the publication)


class PublishConfig(Config):
    republish: bool = False  # publish this date although a later date is served


@asset(
    partitions_def=PARTITIONS,
    group_name="audit",
    deps=[AssetKey(m) for m in PUBLIC_MARTS],
    check_specs=[
        AssetCheckSpec(
            name, asset="warehouse_audit", blocking=True, description=f"Great Expectations: {suite.replace('_', ' ')}"
        )
        for name, suite in AUDITS.items()
    ]
    + [
        AssetCheckSpec(
            "drift_vs_served",
            asset="warehouse_audit",
            blocking=True,
            description="Night-over-night drift against the served night (config/drift_thresholds.csv)",
        )
    ],
    description="Great Expectations audit and drift checks of the build file; its checks block publishing.",
)
def warehouse_audit(context: AssetExecutionContext, config: AuditConfig):
    paths = Paths.from_env()
    as_of = context.partition_key
    hold_lock(context, paths)
    build_file = paths.build_file(as_of)
    identity = audited_identity(build_file)
    results = audit.audit_warehouse(build_file, run_name=f"{as_of} {context.run.run_id[:8]}")
    drifted = drift.check(build_file, paths.served_file, served_as_of(paths))
    for breach in drifted["breaches"]:
        context.log.warning(drift.describe(breach))
    if drifted["breaches"] and config.accept_drift:
        drifted["accepted"] = config.accept_drift
        context.log.warning(f"drift accepted by the operator: {config.accept_drift}")
    failed = [r.name for r in results if not r.success] + (
        ["drift"] if drifted["breaches"] and not config.accept_drift else []
    )
    verdict = write_verdict(paths, as_of, identity, failed, drifted, audit.verdict_checks(results))
    yield MaterializeResult(
        metadata={
            "passed": verdict["passed"],
            "build_id": str(identity["build_id"]),
            "data_docs": MetadataValue.path(str(audit.data_docs_index())),
        }
    )
    for name, suite in AUDITS.items():
        mine = [r for r in results if r.name == suite]
        yield AssetCheckResult(
            check_name=name,
            passed=all(r.success for r in mine),
            severity=AssetCheckSeverity.ERROR,
            metadata={
                "statistics": MetadataValue.json({r.name: r.statistics for r in mine}),
                "failed_expectations": "; ".join(c for r in mine for c in r.causes),
                "figures": MetadataValue.md("\n".join(f"- {f['line']}" for r in mine for f in r.figures)),
                "data_docs": MetadataValue.path(str(audit.data_docs_index())),
            },
        )
    yield AssetCheckResult(
        check_name="drift_vs_served",
        passed="drift" not in failed,
        severity=AssetCheckSeverity.WARN if drifted.get("accepted") else AssetCheckSeverity.ERROR,
        metadata={
            "compared_with": str(drifted["compared_with"]),
            "breaches": MetadataValue.json(drifted["breaches"]),
            "failed_expectations": "; ".join(drift.describe(b) for b in drifted["breaches"]),
            "accepted": drifted.get("accepted", ""),
        },
    )


def audited_identity(build_file):
    identity = build_identity(build_file)
    if identity["build_id"] is None:
        raise Failure(
            f"{build_file} has no build id: its dbt build did not finish; nothing audited", allow_retries=False
        )
    return identity


def _passed_audit(paths: Paths, as_of: str) -> dict:
    try:
        return passed_verdict(paths, as_of)
    except PublishRefused as e:
        raise Failure(f"{e}; see {audit.data_docs_index()}", allow_retries=False) from None


@asset(
    partitions_def=PARTITIONS,
    group_name="publish",
    deps=[AssetKey("warehouse_audit")],
    description="This date's tier snapshot, kept in tier history (history/<landing source>/as_of=D/); "
    "a rebuild replaces only D.",
)
def tier_history(context: AssetExecutionContext) -> None:
    paths = Paths.from_env()
    as_of = context.partition_key
    hold_lock(context, paths)
    _passed_audit(paths, as_of)
    folder = store_snapshot(paths.build_file(as_of), paths.history_dir, as_of)
    context.add_output_metadata({"snapshot": str(folder)})


def republish_hint(as_of: str) -> str:
    return f"to serve {as_of} instead: warehouse-run --as-of {as_of} --republish (Dagster: published_warehouse config republish: true)"


@asset(
    partitions_def=PARTITIONS,
    group_name="publish",
    deps=[AssetKey("warehouse_audit")],
    description="The served DuckDB file BI opens read-only (public marts by domain schema), and Parquet exports.",
)
def published_warehouse(context: AssetExecutionContext, config: PublishConfig) -> None:
    paths = Paths.from_env()
    as_of = context.partition_key
    hold_lock(context, paths)
    if as_of > today().isoformat():
        raise Failure(
            f"as-of {as_of} is later than today ({today()} in {warehouse_timezone()}): nothing published",
            allow_retries=False,
        )
    verdict = _passed_audit(paths, as_of)
    served = served_as_of(paths)
    if not should_publish(paths, as_of) and not config.republish:
        message = (
            f"{as_of} audited, not published: the served file is as of {served}, a later date; {republish_hint(as_of)}"
        )
        context.log.warning(message)
        record_alert(
            paths,
            {
                "kind": "not_published",
                "run_id": context.run.run_id,
                "partition": as_of,
                "served_as_of": served,
                "error": message,
            },
        )
        context.add_output_metadata({"published": False, "served_as_of": str(served)})
        return
    extra = {"replaced_as_of": served} if config.republish else {}
    if verdict["drift"].get("accepted"):
        extra["drift_override"] = {"reason": verdict["drift"]["accepted"], "breaches": verdict["drift"]["breaches"]}
        record_alert(
            paths,
            {
                "kind": "drift_accepted",
                "run_id": context.run.run_id,
                "partition": as_of,
                "error": f"published despite drift: {verdict['drift']['accepted']}",
                **extra["drift_override"],
            },
        )
    try:
        record = publish(paths, as_of, context.run.run_id, log=context.log.info, extra=extra)
    except PublishRefused as e:
        raise Failure(str(e), allow_retries=False) from None
    except OSError as e:
        raise Failure(
            f"publish of {as_of} failed ({e.strerror or e}); served file unchanged: {paths.served_file}"
        ) from None
    context.add_output_metadata({"published": True, **{k: str(v) for k, v in record.items()}})


@asset(
    partitions_def=PARTITIONS,
    group_name="publish",
    deps=[AssetKey("published_warehouse")],
    description="The tier report: one self-contained HTML page per served as-of date, plus a latest copy.",
)
def tier_report(context: AssetExecutionContext) -> None:
    report = write_served_report(Paths.from_env())
    context.add_output_metadata({"report": MetadataValue.path(str(report))})


nightly_job = define_asset_job(
    "nightly_warehouse",
    selection="*",
    partitions_def=PARTITIONS,
    description="Land, build and test with dbt, audit with Great Expectations, publish.",
)
# on by default: `dagster dev` (with its daemon) runs the nightly job; stop it in the UI or with
# `dagster schedule stop nightly_warehouse_schedule`
nightly_schedule = build_schedule_from_partitioned_job(
    nightly_job, hour_of_day=2, minute_of_hour=0, default_status=DefaultScheduleStatus.RUNNING
)


@run_failure_sensor(
    monitored_jobs=[nightly_job],
    description="Records every failed run where operators look.",
    default_status=DefaultSensorStatus.RUNNING,
)
def record_run_failure(context: RunFailureSensorContext):
    event = record_alert(
        Paths.from_env(),
        {
            "kind": "run_failed",
            "run_id": context.dagster_run.run_id,
            "job": context.dagster_run.job_name,
            "partition": context.dagster_run.tags.get("dagster/partition"),
            "error": context.failure_event.message,
        },
    )
    context.log.error(f"run {event['run_id']} failed: {event['error']}")


defs = Definitions(
    assets=[landing_zone, warehouse_models, warehouse_audit, tier_history, published_warehouse, tier_report],
    jobs=[nightly_job],
    schedules=[nightly_schedule],
    sensors=[record_run_failure],
    resources={
        "dbt": DbtCliResource(project_dir=DBT_PROJECT, profiles_dir=str(PROJECT_DIR), dbt_executable=dbt_executable())
    },
)
