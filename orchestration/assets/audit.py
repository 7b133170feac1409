"""The audit of the build file: Great Expectations suites and drift against the served night,
as blocking asset checks of warehouse_audit (they stop publishing)."""

from pathlib import Path

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    Config,
    Failure,
    MaterializeResult,
    MetadataValue,
    PartitionsDefinition,
    asset,
)

from orchestration import audit, drift
from orchestration.assets.common import hold_lock
from orchestration.publish import build_identity, served_as_of, write_verdict
from orchestration.resources import SettingsResource
from tiering.settings import PUBLIC_MARTS, Settings

AUDITS = {f"gx_{suite}": suite for suite in audit.SUITES}  # asset check on warehouse_audit -> its GX suite
CHECK_SPECS = [
    AssetCheckSpec(
        name, asset="warehouse_audit", blocking=True, description=f"Great Expectations: {suite.replace('_', ' ')}"
    )
    for name, suite in AUDITS.items()
] + [
    AssetCheckSpec(
        "drift_vs_served",
        asset="warehouse_audit",
        blocking=True,
        description="Night-over-night drift against the served night (config/drift_thresholds.csv)",
    )
]


class AuditConfig(Config):
    accept_drift: str = ""  # a reason: publish although drift checks breach (logged with the publication)


def audited_identity(settings: Settings, as_of: str) -> dict:
    identity = build_identity(settings.build_file(as_of), settings.duckdb_config)
    if identity["build_id"] is None:
        raise Failure(
            f"{settings.build_file(as_of)} has no build id: its dbt build did not finish; nothing audited",
            allow_retries=False,
        )
    return identity


def suite_results(results: list, data_docs: Path) -> list[AssetCheckResult]:
    """One check result per GX suite, with its statistics, failed expectations and Data Docs."""
    checks = []
    for name, suite in AUDITS.items():
        mine = [r for r in results if r.name == suite]
        checks.append(
            AssetCheckResult(
                check_name=name,
                passed=all(r.success for r in mine),
                severity=AssetCheckSeverity.ERROR,
                metadata={
                    "statistics": MetadataValue.json({r.name: r.statistics for r in mine}),
                    "failed_expectations": "; ".join(c for r in mine for c in r.causes),
                    "figures": MetadataValue.md("\n".join(f"- {f['line']}" for r in mine for f in r.figures)),
                    "data_docs": MetadataValue.path(str(data_docs)),
                },
            )
        )
    return checks


def drift_result(drifted: dict, failed: list[str]) -> AssetCheckResult:
    return AssetCheckResult(
        check_name="drift_vs_served",
        passed="drift" not in failed,
        severity=AssetCheckSeverity.WARN if drifted.get("accepted") else AssetCheckSeverity.ERROR,
        metadata={
            "compared_with": str(drifted["compared_with"]),
            "breaches": MetadataValue.json(drifted["breaches"]),
            "failed_expectations": "; ".join(drift.describe(b) for b in drifted["breaches"]),
            "accepted": drifted.get("accepted", ""),
        },
    )


def audit_assets(partitions: PartitionsDefinition) -> list[AssetsDefinition]:
    @asset(
        partitions_def=partitions,
        group_name="audit",
        deps=[AssetKey(m) for m in PUBLIC_MARTS],
        check_specs=CHECK_SPECS,
        description="Great Expectations audit and drift checks of the build file; its checks block publishing.",
    )
    def warehouse_audit(context: AssetExecutionContext, config: AuditConfig, settings: SettingsResource):
        as_of = context.partition_key
        hold_lock(context, settings)
        build_file = settings.build_file(as_of)
        identity = audited_identity(settings, as_of)
        results = audit.audit_warehouse(build_file, f"{as_of} {context.run.run_id[:8]}", settings)
        drifted = drift.check(build_file, settings.served_file, served_as_of(settings), settings.duckdb_config)
        for breach in drifted["breaches"]:
            context.log.warning(drift.describe(breach))
        if drifted["breaches"] and config.accept_drift:
            drifted["accepted"] = config.accept_drift
            context.log.warning(f"drift accepted by the operator: {config.accept_drift}")
        failed = [r.name for r in results if not r.success] + (
            ["drift"] if drifted["breaches"] and not config.accept_drift else []
        )
        verdict = write_verdict(
            settings, as_of, identity, failed, drifted, audit.verdict_checks(results, settings.gx_dir)
        )
        yield MaterializeResult(
            metadata={
                "passed": verdict["passed"],
                "build_id": str(identity["build_id"]),
                "data_docs": MetadataValue.path(str(audit.data_docs_index(settings.gx_dir))),
            }
        )
        yield from suite_results(results, audit.data_docs_index(settings.gx_dir))
        yield drift_result(drifted, failed)

    return [warehouse_audit]
