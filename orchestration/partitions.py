"""The nightly partitions: one per as-of date, from the first order date in the landing."""

from datetime import date

from dagster import DailyPartitionsDefinition

from tiering.landing import first_order_date
from tiering.settings import Settings

# Partitions start here when the landing holds no readable order date (empty, missing or
# unreadable folder): such a night fails at landing_zone anyway, with its one-line cause.
FALLBACK_START = date(2024, 1, 1)


def partitions_start(first_order: date | None) -> date:
    return first_order or FALLBACK_START


def nightly_partitions(settings: Settings) -> DailyPartitionsDefinition:
    """Daily partitions in the settings' time zone, from the landing's first order date (one
    min() over the order files when definitions load)."""
    start = partitions_start(first_order_date(settings.landing_dir, settings.duckdb_config))
    return DailyPartitionsDefinition(start_date=start.isoformat(), timezone=settings.timezone)
