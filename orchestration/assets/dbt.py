"""The dbt models, seeds and tests as Dagster assets and asset checks, built into the night's
build file by one `dbt build` whose environment is set explicitly (orchestration/dbt_args.py)."""

import os
import shutil
import uuid
from collections.abc import Iterator
from importlib.metadata import version as installed_version
from pathlib import Path

from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    Failure,
    FreshnessPolicy,
    MetadataValue,
    Output,
    PartitionsDefinition,
    RetryPolicy,
)
from dagster_dbt import DagsterDbtTranslator, DbtCliInvocation, DbtProject, dbt_assets
from dagster_dbt.asset_utils import get_updated_cli_invocation_params_for_context
from packaging.version import Version

from orchestration.assets.common import hold_lock, partition_date
from orchestration.dbt_args import build_args, dagster_dbt_env, dbt_env, dbt_executable
from orchestration.dbt_failures import classify_dbt_failure
from orchestration.dbt_slot import fixed_build_path, keep_parse, restore_parse, return_leftover
from orchestration.publish import prepare_build_file, served_as_of, stamp_build
from orchestration.resources import SettingsResource
from orchestration.retention import remove_expired, remove_old_dbt_runs
from tiering import db
from tiering.landing import inventory_file
from tiering.project import PROJECT_DIR
from tiering.settings import PUBLIC_MARTS, Settings

DBT_PROJECT = DbtProject(project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR)
# Transient failures (a locked file, a full disk that is cleared) are retried; failed tests never are.
RETRY = RetryPolicy(max_retries=2, delay=30)
MART_KEYS = {AssetKey(m) for m in PUBLIC_MARTS}


def layer_group(fqn: list[str], resource_type: str) -> str:
    """The Dagster asset group of a dbt node: its layer and domain folder (marts_tiers, ...)."""
    if resource_type == "seed":
        return "seeds"
    folders = fqn[1:-1]
    return "_".join(folders[:2]) if folders else "dbt"


class Translator(DagsterDbtTranslator):
    """Assets grouped by layer; staging models read the landing zone, so they depend on it;
    public marts carry the freshness policy. dbt tests of severity error are blocking checks
    (dagster-dbt's default); singular tests that read several nodes name the asset they check
    with `meta: {dagster: {ref: ...}}`."""

    def __init__(self, freshness: FreshnessPolicy | None = None):
        super().__init__()
        self.freshness = freshness

    def get_asset_spec(self, manifest, unique_id, project):
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest["nodes"].get(unique_id, {})
        if spec.key in MART_KEYS and self.freshness:
            spec = spec.replace_attributes(freshness_policy=self.freshness)
        if node.get("fqn"):
            spec = spec.replace_attributes(group_name=layer_group(node["fqn"], node.get("resource_type", "")))
        if node.get("name", "").startswith("stg_"):
            spec = spec.merge_attributes(deps=[AssetKey("landing_zone")])
        return spec


def mart_metadata(build_file: Path, marts: list[str], as_of: str, duckdb_config: dict) -> dict[str, dict]:
    """Materialization metadata of each mart built into `build_file`: its row count and as-of date."""
    with db.connect(build_file, read_only=True, config=duckdb_config) as con:
        return {
            m: {
                "dagster/row_count": MetadataValue.int(con.sql(f'select count(*) from "{m}"').fetchone()[0]),
                "as_of": as_of,
            }
            for m in marts
        }


def dbt_build(
    context: AssetExecutionContext, settings: Settings, build_file: Path, at: Path, as_of: str, target: Path
) -> DbtCliInvocation:
    """`dbt build` of the context's selection of `build_file`, at the path `at`, its artifacts
    and log in `target`, in a process whose environment is given explicitly (DbtCliResource
    would hand dbt this process's own environment)."""
    params = get_updated_cli_invocation_params_for_context(context, {}, Translator())
    project_dir = Path(params.dbt_project.project_dir) if params.dbt_project else PROJECT_DIR
    env = dbt_env(settings, at, inventory_file(build_file), partition_date(as_of), os.environ)
    return DbtCliInvocation.run(
        args=[dbt_executable(), *build_args(project_dir), *params.selection_args],
        env=dagster_dbt_env(env, target, params.indirect_selection),
        manifest=params.manifest,
        dagster_dbt_translator=params.dagster_dbt_translator,
        project_dir=project_dir,
        target_path=target,
        raise_on_error=False,
        context=context,
        adapter=None,
        cli_version=Version(installed_version("dbt-core")),
        dbt_project=params.dbt_project,
    )


def with_mart_metadata(context: AssetExecutionContext, events, settings: Settings, build_file: Path) -> Iterator:
    """The invocation's events; from the first public mart on they are held (in order: Dagster
    wants outputs topologically) until dbt has closed the build file, then each mart's output
    gets its row count and as-of date."""
    held = []
    for event in events:
        key = event.asset_key if isinstance(event, AssetCheckResult) else None
        if isinstance(event, Output):
            key = context.asset_key_for_output(event.output_name)
        if held or key in MART_KEYS:
            held.append((key, event))
        else:
            yield event
    built = [key.path[-1] for key, event in held if isinstance(event, Output) and key in MART_KEYS]
    metadata = mart_metadata(build_file, built, context.partition_key, settings.duckdb_config) if built else {}
    for key, event in held:
        if isinstance(event, Output) and key in MART_KEYS:
            event = event.with_metadata({**event.metadata, **metadata[key.path[-1]]})
        yield event


def dbt_assets_for(partitions: PartitionsDefinition, freshness: FreshnessPolicy) -> list[AssetsDefinition]:
    if not DBT_PROJECT.manifest_path.exists():
        raise FileNotFoundError(f"{DBT_PROJECT.manifest_path} is missing: run `make setup` (it runs `dbt parse`)")

    @dbt_assets(
        manifest=DBT_PROJECT.manifest_path,
        project=DBT_PROJECT,
        partitions_def=partitions,
        dagster_dbt_translator=Translator(freshness),
        retry_policy=RETRY,
    )
    def warehouse_models(context: AssetExecutionContext, settings: SettingsResource):
        as_of = context.partition_key
        hold_lock(context, settings)
        remove_expired(settings.build_dir, as_of, served_as_of(settings), settings.keep_builds, context.log.info)
        slot = settings.dbt_parse_dir  # one build path every night: dbt reuses its parse
        return_leftover(slot, context.log.warning)  # a killed night's file, back before it is prepared
        build_file = prepare_build_file(settings, as_of, incremental=settings.incremental)
        context.log.info(f"building {build_file} ({'incremental' if build_file.exists() else 'full'})")
        if not inventory_file(build_file).exists():
            raise Failure(f"no landing inventory for {as_of}: materialise landing_zone first", allow_retries=False)
        remove_old_dbt_runs(settings.dbt_runs_dir, context.log.info)
        target = settings.dbt_runs_dir / f"run-{context.run.run_id[:8]}-{uuid.uuid4().hex[:8]}"
        with fixed_build_path(build_file, slot, log=context.log.warning) as at:
            restore_parse(slot, target)
            invocation = dbt_build(context, settings, build_file, at, as_of, target)
            try:
                yield from with_mart_metadata(context, invocation.stream(), settings, at)
            finally:  # a step that stops early never leaves dbt writing the build file
                if invocation.process.poll() is None:
                    invocation.process.terminate()
                    invocation.process.wait()
            if at != build_file:  # a parse keyed on the slot's path
                keep_parse(target, slot)
        if not invocation.is_successful():
            context.log.info(f"dbt's artifacts and log of this build stay in {target}")
            raise classify_dbt_failure(invocation)
        stamp_build(build_file, context.run.run_id)
        shutil.rmtree(target, ignore_errors=True)  # ~20 MB a night; Dagster has its events

    return [warehouse_models]
