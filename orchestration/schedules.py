"""The nightly job and its schedule."""

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    ScheduleDefinition,
    build_schedule_from_partitioned_job,
    define_asset_job,
)

from orchestration.assets.spark import SPARK_GROUP

NIGHTLY_JOB = "nightly_warehouse"
SPARK_JOB = "spark_warehouse"


def nightly_job():
    """Every DuckDB asset and its checks (partitioned by as-of date, as the assets are)."""
    return define_asset_job(
        NIGHTLY_JOB,
        selection=AssetSelection.all() - AssetSelection.groups(SPARK_GROUP),
        description="Land, build and test with dbt, audit with Great Expectations, publish.",
    )


def spark_job():
    """The same night on Spark (not scheduled: a deployment on Spark schedules this one)."""
    return define_asset_job(
        SPARK_JOB,
        selection=AssetSelection.groups(SPARK_GROUP),
        description="Build, test and audit on Spark, then serve by switching views.",
    )


def nightly_schedule(job) -> ScheduleDefinition:
    """Yesterday's partition at 02:00 in the partitions' time zone. On by default: `dagster dev`
    (with its daemon) runs it; stop it in the UI or with `dagster schedule stop nightly_warehouse_schedule`."""
    return build_schedule_from_partitioned_job(
        job, hour_of_day=2, minute_of_hour=0, default_status=DefaultScheduleStatus.RUNNING
    )
