"""The Dagster code location: landing -> dbt build (into a build file) -> GX audit -> publish -> report;
and the same night on Spark (job spark_warehouse, not scheduled).

Composes the parts (orchestration/assets, resources, schedules, sensors, freshness) for one
Settings. The dbt manifest is prepared by `make manifest` (`dbt parse`); loading never parses
dbt. Assets are partitioned by as-of date (daily, from the landing's first order date).
"""

from collections.abc import Mapping

from dagster import Definitions, LoggerDefinition, definitions

from orchestration.assets import nightly_assets
from orchestration.assets.spark import spark_assets
from orchestration.freshness import mart_freshness
from orchestration.partitions import nightly_partitions
from orchestration.resources import resources
from orchestration.schedules import nightly_job, nightly_schedule, spark_job
from orchestration.sensors import failure_sensor
from tiering.settings import Settings


def build_definitions(settings: Settings, loggers: Mapping[str, LoggerDefinition] | None = None) -> Definitions:
    partitions = nightly_partitions(settings)
    job, spark = nightly_job(), spark_job()
    return Definitions(
        assets=[*nightly_assets(partitions, mart_freshness(settings)), *spark_assets(partitions)],
        jobs=[job, spark],
        schedules=[nightly_schedule(job)],
        sensors=[failure_sensor([job, spark], settings)],
        resources=resources(settings),
        loggers=loggers,
    )


@definitions
def defs() -> Definitions:
    """What `dagster dev` loads: settings from the environment (WAREHOUSE_HOME, LANDING_DIR, ...)."""
    return build_definitions(Settings.from_env())
