"""Progress of `warehouse-run` on the terminal: one line as each long step starts and one as it
ends, with elapsed seconds. Dagster's own (debug) output goes to the run's log file."""

import contextlib
import json
import logging
import time
from pathlib import Path
from typing import TextIO

from dagster import LoggerDefinition, logger

STEPS = {  # step of the nightly job -> what the line calls it
    "landing_zone": "landing inventory",
    "warehouse_models": "dbt build",
    "warehouse_audit": "audit",
    "tier_history": "tier history",
    "published_warehouse": "publish",
    "tier_report": "report",
}
DBT_NODE_TYPES = ("model", "seed", "snapshot", "test")


def dbt_node_count(manifest: dict, unit_tests: bool) -> int:
    """Nodes `dbt build` runs: models that are not ephemeral, seeds, snapshots, data tests and,
    when they run (Settings.dbt_unit_tests), unit tests."""
    nodes = [
        n
        for n in manifest["nodes"].values()
        if n["resource_type"] in DBT_NODE_TYPES and n.get("config", {}).get("materialized") != "ephemeral"
    ]
    return len(nodes) + (len(manifest.get("unit_tests", {})) if unit_tests else 0)


def started(step: str, detail: str = "") -> str:
    return f"{step}{f' ({detail})' if detail else ''}: started"


def ended(step: str, seconds: float, outcome: str = "done") -> str:
    return f"{step}: {outcome} in {seconds:.1f} s"


@contextlib.contextmanager
def step(stream: TextIO, name: str, detail: str = ""):
    """Start and end lines around a step run outside Dagster."""
    print(started(name, detail), file=stream, flush=True)
    start, outcome = time.monotonic(), "failed"
    try:
        yield
        outcome = "done"
    finally:
        print(ended(name, time.monotonic() - start, outcome), file=stream, flush=True)


class StepLines(logging.Handler):
    """Turns Dagster's step start, success and failure events into progress lines."""

    def __init__(self, stream: TextIO, details: dict[str, str]):
        super().__init__(logging.DEBUG)
        self.stream, self.details, self.starts = stream, details, {}

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "dagster_meta", {}).get("dagster_event")
        if event is None or event.step_key not in STEPS:
            return
        name = STEPS[event.step_key]
        if event.is_step_start:
            self.starts[event.step_key] = time.monotonic()
            print(started(name, self.details.get(event.step_key, "")), file=self.stream, flush=True)
        elif event.is_step_success or event.is_step_failure or event.is_step_up_for_retry:
            outcome = "done" if event.is_step_success else "failed" if event.is_step_failure else "to be retried"
            seconds = time.monotonic() - self.starts.get(event.step_key, time.monotonic())
            print(ended(name, seconds, outcome), file=self.stream, flush=True)


def progress_logger(stream: TextIO, manifest_path: Path, unit_tests: bool) -> LoggerDefinition:
    """A Dagster logger writing the progress lines to `stream` (the terminal's stderr)."""
    details = {"warehouse_models": f"{dbt_node_count(json.loads(manifest_path.read_text()), unit_tests)} nodes"}

    @logger(description="warehouse-run's progress lines")
    def progress(_):
        log = logging.Logger("warehouse-run-progress", logging.DEBUG)
        log.addHandler(StepLines(stream, details))
        return log

    return progress
