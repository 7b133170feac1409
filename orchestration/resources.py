"""The code location's resources: the run's Settings (built once per entry point, passed to
every asset as resource `settings`)."""

from dagster import ResourceParam

from tiering.settings import Settings

SettingsResource = ResourceParam[Settings]


def resources(settings: Settings) -> dict:
    return {"settings": settings}
