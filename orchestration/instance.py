"""The persistent Dagster instance of a warehouse home (<home>/dagster): warehouse-run records
its runs there, and `make dagster` starts `dagster dev` on it (DAGSTER_HOME), so the UI shows them.

    python -m orchestration.instance    # prints the instance folder of $WAREHOUSE_HOME
"""

from pathlib import Path

from dagster import DagsterInstance

from tiering.settings import Settings, entry_point_settings

DAGSTER_YAML = """\
# The Dagster instance of this warehouse home (written by orchestration/instance.py).
# Runs, events and schedules are kept in SQLite files beside this file.
telemetry:
  enabled: false
freshness:  # the daemon of `dagster dev` evaluates the public marts' freshness policies
  enabled: true
"""


def prepare_dagster_home(settings: Settings) -> Path:
    """The instance folder with its dagster.yaml (written once; an operator may edit it)."""
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    return home


def open_instance(settings: Settings) -> DagsterInstance:
    return DagsterInstance.from_config(str(prepare_dagster_home(settings)))


if __name__ == "__main__":
    print(prepare_dagster_home(entry_point_settings("make dagster")))
