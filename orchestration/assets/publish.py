"""Publication of an audited night: its tier snapshot in history, and the served file BI reads."""

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, Config, Failure, PartitionsDefinition, asset

from orchestration.assets.common import hold_lock, passed_audit
from orchestration.publish import PublishRefused, publish, record_alert, served_as_of, should_publish, store_snapshot
from orchestration.resources import SettingsResource
from tiering.settings import Settings


class PublishConfig(Config):
    republish: bool = False  # publish this date although a later date is served


def republish_hint(as_of: str) -> str:
    return f"to serve {as_of} instead: warehouse-run --as-of {as_of} --republish (Dagster: published_warehouse config republish: true)"


def not_published(context: AssetExecutionContext, settings: Settings, as_of: str, served: str | None) -> None:
    """A night older than the served one: audited, not published, and said so where operators look."""
    message = (
        f"{as_of} audited, not published: the served file is as of {served}, a later date; {republish_hint(as_of)}"
    )
    context.log.warning(message)
    record_alert(
        settings,
        {
            "kind": "not_published",
            "run_id": context.run.run_id,
            "partition": as_of,
            "served_as_of": served,
            "error": message,
        },
    )
    context.add_output_metadata({"published": False, "served_as_of": str(served)})


def drift_override(context: AssetExecutionContext, settings: Settings, as_of: str, verdict: dict) -> dict:
    """The operator's accepted drift, recorded with the publication and in the alerts."""
    override = {"reason": verdict["drift"]["accepted"], "breaches": verdict["drift"]["breaches"]}
    record_alert(
        settings,
        {
            "kind": "drift_accepted",
            "run_id": context.run.run_id,
            "partition": as_of,
            "error": f"published despite drift: {override['reason']}",
            **override,
        },
    )
    return override


def publish_assets(partitions: PartitionsDefinition) -> list[AssetsDefinition]:
    @asset(
        partitions_def=partitions,
        group_name="publish",
        deps=[AssetKey("warehouse_audit")],
        description="This date's tier snapshot, kept in tier history (history/<landing source>/as_of=D/); "
        "a rebuild replaces only D.",
    )
    def tier_history(context: AssetExecutionContext, settings: SettingsResource) -> None:
        as_of = context.partition_key
        hold_lock(context, settings)
        passed_audit(settings, as_of)
        folder = store_snapshot(settings.build_file(as_of), settings.history_dir, as_of, settings.duckdb_config)
        context.add_output_metadata({"snapshot": str(folder)})

    @asset(
        partitions_def=partitions,
        group_name="publish",
        deps=[AssetKey("warehouse_audit")],
        description="The served DuckDB file BI opens read-only (public marts by domain schema), and Parquet exports.",
    )
    def published_warehouse(context: AssetExecutionContext, config: PublishConfig, settings: SettingsResource) -> None:
        as_of = context.partition_key
        hold_lock(context, settings)
        if as_of > settings.today().isoformat():
            raise Failure(
                f"as-of {as_of} is later than today ({settings.today()} in {settings.timezone}): nothing published",
                allow_retries=False,
            )
        verdict = passed_audit(settings, as_of)
        served = served_as_of(settings)
        if not should_publish(settings, as_of) and not config.republish:
            not_published(context, settings, as_of, served)
            return
        extra = {"replaced_as_of": served} if config.republish else {}
        if verdict["drift"].get("accepted"):
            extra["drift_override"] = drift_override(context, settings, as_of, verdict)
        try:
            record = publish(settings, as_of, context.run.run_id, log=context.log.info, extra=extra)
        except PublishRefused as e:
            raise Failure(str(e), allow_retries=False) from None
        except OSError as e:
            raise Failure(
                f"publish of {as_of} failed ({e.strerror or e}); served file unchanged: {settings.served_file}"
            ) from None
        context.add_output_metadata({"published": True, **{k: str(v) for k, v in record.items()}})

    return [tier_history, published_warehouse]
