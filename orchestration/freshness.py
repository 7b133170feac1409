"""Freshness of the public marts: each must have been built in the day before 06:00 (the
nightly schedule starts at 02:00), so a missed night shows as a failing freshness state on every
public mart in the UI. Dagster's freshness policies are evaluated by the daemon of an instance
with `freshness: enabled: true` (orchestration/instance.py writes it); no sensor is needed."""

from datetime import timedelta

from dagster import FreshnessPolicy

from tiering.settings import Settings

DEADLINE = "0 6 * * *"
WINDOW = timedelta(hours=24)


def mart_freshness(settings: Settings) -> FreshnessPolicy:
    return FreshnessPolicy.cron(deadline_cron=DEADLINE, lower_bound_delta=WINDOW, timezone=settings.timezone)
