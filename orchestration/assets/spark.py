"""The Spark build as a Dagster asset, in its own job (`spark_warehouse`, not scheduled): the
same landing and dbt project built on Spark into a build schema, tested, audited with the GX
suites and served by switching the views of the served schema (orchestration/spark_steps.py)."""

from datetime import date

from dagster import AssetExecutionContext, AssetsDefinition, Config, Failure, PartitionsDefinition, asset

from orchestration.assets.common import hold_lock, partition_date
from orchestration.resources import SettingsResource
from orchestration.spark_runner import failure_line, run_spark_build
from orchestration.spark_steps import step_files

SPARK_GROUP = "spark"


class SparkBuildConfig(Config):
    served_schema: str = "customer_tiers"  # the schema BI reads: one view per public mart
    build_schema: str = ""  # default: build_<as-of>_<run id>, a fresh schema per run


def build_schema_name(configured: str, as_of: date, run_id: str) -> str:
    return configured or f"build_{as_of:%Y%m%d}_{run_id.replace('-', '')[:8]}"


def spark_assets(partitions: PartitionsDefinition) -> list[AssetsDefinition]:
    @asset(
        partitions_def=partitions,
        group_name=SPARK_GROUP,
        description="The public marts on Spark: built, tested and GX-audited in a build schema, then served "
        "as views in the served schema (docs/spark.md).",
    )
    def spark_served_marts(context: AssetExecutionContext, config: SparkBuildConfig, settings: SettingsResource):
        hold_lock(context, settings)
        as_of = partition_date(context.partition_key)
        schema = build_schema_name(config.build_schema, as_of, context.run.run_id)
        context.log.info(f"building {as_of} on Spark into schema {schema} ({settings.spark_dir})")
        result = run_spark_build(
            settings.landing_dir, as_of, settings.spark_dir, schema, config.served_schema, True, settings
        )
        if result.returncode != 0:
            raise Failure(failure_line(settings.spark_dir, schema, result), allow_retries=False)
        results, verdict, timing = step_files(settings.spark_dir, schema)
        context.add_output_metadata(
            {
                "build_schema": schema,
                "served_schema": config.served_schema,
                "gx_verdict": str(verdict),
                "step_statuses": str(results),
                "step_seconds": str(timing),
            }
        )

    return [spark_served_marts]
