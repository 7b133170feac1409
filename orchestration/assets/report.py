"""The tier report of the served night."""

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, MetadataValue, PartitionsDefinition, asset

from orchestration.report import write_served_report
from orchestration.resources import SettingsResource


def report_assets(partitions: PartitionsDefinition) -> list[AssetsDefinition]:
    @asset(
        partitions_def=partitions,
        group_name="publish",
        deps=[AssetKey("published_warehouse")],
        description="The tier report: one self-contained HTML page per served as-of date, plus a latest copy.",
    )
    def tier_report(context: AssetExecutionContext, settings: SettingsResource) -> None:
        report = write_served_report(settings)
        context.add_output_metadata({"report": MetadataValue.path(str(report))})

    return [tier_report]
