"""Freshness of the public marts: a night that was not built by its deadline shows as a failed
(warning) check on each mart, evaluated by a sensor."""

from dagster import AssetChecksDefinition, AssetKey, build_time_partition_freshness_checks

from tiering.settings import PUBLIC_MARTS, Settings

# the nightly schedule starts at 02:00; a night not done by 06:00 is missed
FRESHNESS_DEADLINE = "0 6 * * *"


def freshness_checks(settings: Settings) -> list[AssetChecksDefinition]:
    """Each public mart's latest daily partition (yesterday) is built by the deadline."""
    return list(
        build_time_partition_freshness_checks(
            assets=[AssetKey(m) for m in PUBLIC_MARTS], deadline_cron=FRESHNESS_DEADLINE, timezone=settings.timezone
        )
    )
