"""Sensors: failed runs recorded where operators look."""

from dagster import (
    DefaultSensorStatus,
    RunFailureSensorContext,
    SensorDefinition,
    run_failure_sensor,
)

from orchestration.publish import record_alert
from tiering.settings import Settings


def failure_sensor(jobs: list, settings: Settings) -> SensorDefinition:
    @run_failure_sensor(
        monitored_jobs=jobs,
        description="Records every failed run where operators look.",
        default_status=DefaultSensorStatus.RUNNING,
    )
    def record_run_failure(context: RunFailureSensorContext):
        event = record_alert(
            settings,
            {
                "kind": "run_failed",
                "run_id": context.dagster_run.run_id,
                "job": context.dagster_run.job_name,
                "partition": context.dagster_run.tags.get("dagster/partition"),
                "error": context.failure_event.message,
            },
        )
        context.log.error(f"run {event['run_id']} failed: {event['error']}")

    return record_run_failure
