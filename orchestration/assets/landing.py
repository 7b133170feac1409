"""The landing zone: the inventory of the landing folder dbt reads (a failed extract stops here)."""

from dagster import AssetExecutionContext, AssetsDefinition, Failure, PartitionsDefinition, asset

from orchestration.assets.common import partition_date
from orchestration.dbt_runner import prepare_landing
from orchestration.resources import SettingsResource
from tiering.landing import LandingError


def landing_assets(partitions: PartitionsDefinition) -> list[AssetsDefinition]:
    @asset(
        partitions_def=partitions,
        group_name="landing",
        description="The landing folder (settings.landing_dir: LANDING_DIR, default the bundled sample) "
        "and its inventory, written beside the build file.",
    )
    def landing_zone(context: AssetExecutionContext, settings: SettingsResource) -> None:
        as_of = context.partition_key
        try:
            _, inventory = prepare_landing(
                settings, partition_date(as_of), settings.build_file(as_of), settings.history_dir
            )
        except LandingError as e:
            raise Failure(str(e), allow_retries=False) from None
        context.add_output_metadata({"landing_dir": str(settings.landing_dir), "inventory": str(inventory)})

    return [landing_zone]
