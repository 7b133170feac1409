"""What every step of the nightly job shares: the run lock, the partition's date, the verdict."""

from datetime import date

from dagster import AssetExecutionContext, Failure

from orchestration import audit
from orchestration.publish import PublishRefused, finish_interrupted, passed_verdict
from orchestration.run_lock import LockHeld, acquire
from tiering.settings import Settings


def hold_lock(context: AssetExecutionContext, settings: Settings) -> None:
    """Every step that writes takes the warehouse home's lock for its run (see run_lock), then
    finishes a publish that an earlier run left half-switched."""
    try:
        acquire(settings.lock_file, context.run.run_id, log=context.log.warning)
    except LockHeld as e:
        raise Failure(str(e), allow_retries=False) from None
    finish_interrupted(settings, log=context.log.warning)


def partition_date(as_of: str) -> date:
    return date.fromisoformat(as_of)


def passed_audit(settings: Settings, as_of: str) -> dict:
    try:
        return passed_verdict(settings, as_of)
    except PublishRefused as e:
        raise Failure(f"{e}; see {audit.data_docs_index(settings.gx_dir)}", allow_retries=False) from None
