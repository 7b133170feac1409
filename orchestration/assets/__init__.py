"""The nightly job's assets by role: landing -> dbt -> audit -> publish -> report."""

from dagster import AssetsDefinition, FreshnessPolicy, PartitionsDefinition

from orchestration.assets.audit import audit_assets
from orchestration.assets.dbt import dbt_assets_for
from orchestration.assets.landing import landing_assets
from orchestration.assets.publish import publish_assets
from orchestration.assets.report import report_assets


def nightly_assets(partitions: PartitionsDefinition, freshness: FreshnessPolicy) -> list[AssetsDefinition]:
    return [
        *landing_assets(partitions),
        *dbt_assets_for(partitions, freshness),
        *audit_assets(partitions),
        *publish_assets(partitions),
        *report_assets(partitions),
    ]
