"""Dagster pipeline: definitions, write-audit-publish, failures that must not publish."""

import hashlib
import json
from datetime import timedelta

import duckdb
import pytest
from conftest import PIPELINE_AS_OF
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetKey,
    AssetSelection,
    DagsterInstance,
    DagsterRunStatus,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    Failure,
    Output,
)

from orchestration import audit
from orchestration.assets import dbt as dbt_step
from orchestration.assets.audit import AUDITS
from orchestration.dbt_failures import TransientDbtError, classify
from orchestration.definitions import build_definitions
from orchestration.main_job import main
from orchestration.publish import EXPORT_ORDER
from tiering.settings import PUBLIC_MARTS, Settings, mart_schemas

AS_OF = PIPELINE_AS_OF


@pytest.fixture
def home(tmp_path, monkeypatch, pipeline_landing):
    """An empty warehouse home."""
    monkeypatch.setenv("WAREHOUSE_HOME", str(tmp_path / "wh"))
    monkeypatch.setenv("LANDING_DIR", str(pipeline_landing))
    return tmp_path / "wh"


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


SINGULAR_CHECKS = {  # singular dbt test reading several nodes -> the asset it checks
    "assert_company_pnl_ties_to_accepted_rows": "company_pnl",
    "assert_company_pnl_ties_to_customer_value": "company_pnl",
    "assert_customer_cost_to_serve_ties_to_customer_value": "customer_cost_to_serve",
    "assert_migration_totals_equal_populations": "tier_migration",
    "assert_service_plan_vs_actual_ties_to_company_pnl": "service_plan_vs_actual",
    "assert_tier_marts_tie_to_company_pnl": "tier_profitability",
    "assert_whale_curve_ends_at_total": "whale_curve",
    "assert_every_contract_table_has_accepted_rows": "landing_reconciliation",
    "assert_long_tier_marts_tie_out": "customer_scheme_tiers",
    "assert_every_buyer_in_one_tier_per_scheme": "int_customer_scheme_tiers",
    "assert_every_tier_has_a_review_rule": "tier_review_rules",
    "assert_tier_schemes_are_well_formed": "tier_schemes",
}


@pytest.fixture(scope="module")
def defs():
    return build_definitions(Settings())


def test_definitions_load_with_schedule_checks_and_sensor(defs):
    job = defs.resolve_job_def("nightly_warehouse")
    assert job.partitions_def is not None
    nightly_schedule = defs.resolve_schedule_def("nightly_warehouse_schedule")
    assert nightly_schedule.cron_schedule == "0 2 * * *"
    assert defs.resolve_sensor_def("record_run_failure")
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {
        "landing_zone",
        "stg_orders",
        "customer_value",
        "tier_profitability",
        "warehouse_audit",
        "published_warehouse",
        "tier_report",
    } <= keys
    groups = {k.to_user_string(): graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert (
        groups["stg_orders"],
        groups["int_orders__validated"],
        groups["customer_value"],
        groups["tier_profitability"],
        groups["rfm_segment_map"],
    ) == ("staging", "intermediate_landing", "marts_customer_value", "marts_tiers", "seeds")
    assert nightly_schedule.default_status == DefaultScheduleStatus.RUNNING
    assert defs.resolve_sensor_def("record_run_failure").default_status == DefaultSensorStatus.RUNNING
    checks = {k.name for k in graph.asset_check_keys}
    assert set(AUDITS) <= checks
    assert any(name.startswith("not_null_") or name.startswith("unique_") for name in checks)  # dbt tests
    assert {"key_company_pnl_line_order", "key_action_rules_rule_id"} <= checks  # a mart's and a seed's key test


def test_singular_tests_are_blocking_checks_of_their_assets_upstream_of_publish(defs):
    graph = defs.resolve_asset_graph()
    checks = {k.name: k for k in graph.asset_check_keys}
    for test, mart in SINGULAR_CHECKS.items():
        key = checks[test]
        assert key.asset_key == AssetKey(mart) and graph.get_check_spec(key).blocking, test
        assert AssetKey("published_warehouse") in AssetSelection.assets(mart).downstream().resolve(graph)


def test_every_singular_dbt_test_is_an_asset_check(defs):
    """A singular test that reads several nodes is no check unless it names the asset it checks
    (meta ref): it would stop the dbt step while showing on no asset."""
    manifest = json.loads(dbt_step.DBT_PROJECT.manifest_path.read_text())
    singular = {
        n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "test" and "test_metadata" not in n
    }
    assert singular == {p.stem for p in (dbt_step.DBT_PROJECT.project_dir / "tests" / "dbt").glob("*.sql")}
    checks = {k.name for k in defs.resolve_asset_graph().asset_check_keys}
    assert singular <= checks, sorted(singular - checks)


def test_each_public_mart_and_only_they_have_the_nightly_freshness_policy(defs):
    graph = defs.resolve_asset_graph()
    fresh = {k.to_user_string(): graph.get(k).freshness_policy for k in graph.get_all_asset_keys()}
    assert {k for k, policy in fresh.items() if policy} == set(PUBLIC_MARTS)
    policy = fresh["customer_tiers"]
    assert (policy.deadline_cron, policy.lower_bound_delta, policy.timezone) == (
        "0 6 * * *",
        timedelta(hours=24),
        "UTC",
    )


class FailedTieOut:
    """A dbt build whose company_pnl tie-out test fails (and whose exit code does not say so)."""

    def __init__(self, context, build_file):
        self.context, self.process = context, type("Done", (), {"poll": lambda self: 0})()
        with duckdb.connect(str(build_file)) as con:
            con.execute("create or replace table company_pnl as select 1 as line")

    def stream(self):
        pnl = AssetKey("company_pnl")
        yield Output(None, output_name=self.context.assets_def.get_output_name_for_asset_key(pnl))
        for check in self.context.selected_asset_check_keys:
            failed = check.name == "assert_company_pnl_ties_to_accepted_rows"
            yield AssetCheckResult(
                asset_key=pnl, check_name=check.name, passed=not failed, severity=AssetCheckSeverity.ERROR
            )

    def is_successful(self):
        return True


def test_a_failing_tie_out_test_blocks_audit_and_publish(home, monkeypatch, defs):
    monkeypatch.setattr(
        dbt_step, "dbt_build", lambda context, settings, build_file, at, as_of, target: FailedTieOut(context, at)
    )
    settings = Settings.from_env()
    job = build_definitions(settings).resolve_job_def("nightly_warehouse")
    selection = [AssetKey(k) for k in ("landing_zone", "company_pnl", "warehouse_audit", "published_warehouse")]
    result = job.execute_in_process(partition_key=AS_OF, asset_selection=selection, raise_on_error=False)
    assert not result.success
    done = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events() if e.asset_key}
    assert "company_pnl" in done and not {"warehouse_audit", "published_warehouse"} & done
    [step] = [e for e in result.all_events if e.is_step_failure]
    assert step.step_key == "warehouse_models" and "blocking asset check failed" in step.step_failure_data.error.message
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert [e.check_name for e in failed] == ["assert_company_pnl_ties_to_accepted_rows"]
    assert not settings.served_file.exists()


def test_a_killed_nights_file_is_not_resumed_by_a_full_night(home, monkeypatch, defs):
    """A night killed while dbt built leaves its file in the slot: the next full night of that
    date gets it back before preparing its build file, so it starts from a new file."""
    settings = Settings.from_env()
    build_file, slot = settings.build_file(AS_OF), settings.dbt_parse_dir
    slot.mkdir(parents=True)
    duckdb.connect(str(slot / "build.duckdb")).execute("create table half_built as select 1 as x").close()
    (slot / "origin").write_text(str(build_file))
    seen = []

    def fake_dbt(context, settings, build_file, at, as_of, target):
        with duckdb.connect(str(at)) as con:
            seen.append(con.sql("select table_name from duckdb_tables()").fetchall())
        return FailedTieOut(context, at)

    monkeypatch.setattr(dbt_step, "dbt_build", fake_dbt)
    job = build_definitions(settings).resolve_job_def("nightly_warehouse")
    selection = [AssetKey(k) for k in ("landing_zone", "company_pnl")]
    job.execute_in_process(partition_key=AS_OF, asset_selection=selection, raise_on_error=False)
    assert seen == [[]] and not settings.incremental
    assert sorted(p.name for p in slot.iterdir()) == ["slot.lock"]


def test_pipeline_publishes_served_file_and_exports(published_home):
    home = published_home
    with DagsterInstance.from_config(str(home / "dagster")) as instance:  # the run is kept in the home's instance
        [run] = instance.get_runs()
        assert run.status == DagsterRunStatus.SUCCESS and run.tags["dagster/partition"] == AS_OF
        recorded = {
            m: instance.get_latest_materialization_event(AssetKey(m)).asset_materialization.metadata
            for m in PUBLIC_MARTS
        }
    with duckdb.connect(str(home / "build" / f"warehouse-{AS_OF}.duckdb"), read_only=True) as con:
        for mart, metadata in recorded.items():
            assert metadata["as_of"].value == AS_OF
            assert metadata["dagster/row_count"].value == con.sql(f"select count(*) from {mart}").fetchone()[0]
    served = home / "served" / "warehouse.duckdb"
    with duckdb.connect(str(served), read_only=True) as con:
        assert con.sql("select count(*) from marts.customer_tiers").fetchone()[0] > 500
        # only the public marts, as tables: no view reads landing files from the served file
        assert con.sql("select count(*) from duckdb_views() where not internal").fetchone()[0] == 0
        tables = con.sql("select schema_name || '.' || table_name from duckdb_tables()").fetchall()
        assert sorted(t for (t,) in tables) == sorted(f"{schema}.{mart}" for mart, schema in mart_schemas().items())
    exports = sorted(p.name for p in (home / "served" / "exports").iterdir())
    assert "tier_profitability.parquet" in exports and "customer_value.parquet" in exports
    for mart in PUBLIC_MARTS:  # each export in its key's order (the served table's stored order)
        rows = f"select * from read_parquet('{home / 'served' / 'exports' / mart}.parquet')"
        assert duckdb.sql(rows).fetchall() == duckdb.sql(f"{rows} order by {EXPORT_ORDER[mart]}").fetchall(), mart
    assert json.loads((home / "served" / "publication.json").read_text())["as_of"] == AS_OF
    assert audit.data_docs_index(home / "gx").exists()  # the home's own Data Docs


@pytest.mark.slow
def test_same_input_gives_byte_identical_exports(published_home):
    """Twice: the second night also reuses the parse dbt saved in the home (orchestration/dbt_slot.py;
    the copied home's first night cannot: the build path is the home's)."""
    home = published_home
    log = home / "logs" / f"warehouse-run-{AS_OF}.log"
    first = {p.name: digest(p) for p in (home / "served" / "exports").iterdir()}
    for night in range(2):
        assert main(["--as-of", AS_OF]) == 0
        assert {p.name: digest(p) for p in (home / "served" / "exports").iterdir()} == first
        assert ("Unable to do partial parsing" in log.read_text()) == (night == 0)
    assert "Running dbt command" in log.read_text()
    assert sorted(p.name for p in (home / "dbt-parse").iterdir()) == ["partial_parse.msgpack", "slot.lock"]


@pytest.mark.slow  # a second night on the published home
def test_broken_marts_fail_audit_with_amounts_and_leave_served_file_untouched(published_home, monkeypatch, capsys):
    home = published_home
    served = home / "served" / "warehouse.duckdb"
    before = digest(served), (home / "served" / "publication.json").read_text()
    real = audit.audit_warehouse

    def corrupted(database, run_name, settings):
        with duckdb.connect(str(database)) as con:  # model bugs: a buyer in the wrong tier, a cent on one customer
            con.execute(
                "update tier_profitability set buyers = buyers + 1 where scheme = 'vip_1_4_15_80' and tier = 'A'"
            )
            con.execute(  # customer_value is a view over int_customer_profitability
                "update int_customer_profitability set contribution = contribution + 0.01 "
                "where customer_id = (select min(customer_id) from customer_value where is_buyer)"
            )
        return real(database, run_name, settings)

    monkeypatch.setattr(audit, "audit_warehouse", corrupted)
    capsys.readouterr()
    assert main(["--as-of", AS_OF]) == 1
    assert (digest(served), (home / "served" / "publication.json").read_text()) == before
    verdict = json.loads((home / "build" / f"warehouse-{AS_OF}.audit.json").read_text())
    assert not verdict["passed"] and {"tier_counts", "recomputed_pnl"} <= set(verdict["failed"])
    causes = [c for check in verdict["checks"] for c in check["failed"]]
    assert any(c.startswith("tier_counts: vip_1_4_15_80 tier A buyers: mart ") for c in causes)
    assert any("customer_value contribution: mart" in c and "difference 0.01" in c for c in causes)
    failed_lines = [
        line for line in capsys.readouterr().err.splitlines() if line.startswith("FAILED check gx_recomputed_pnl")
    ]
    assert len(failed_lines) == 1 and "difference 0.01" in failed_lines[0]


def test_failed_tests_are_not_retried_but_lock_errors_are():
    results = {"results": [{"unique_id": "test.x", "status": "fail", "message": "Got 3 results"}]}
    failure = classify(results, "")
    assert isinstance(failure, Failure) and failure.allow_retries is False and "test.x" in failure.description
    assert isinstance(classify(None, "IO Error: Could not set lock on file"), TransientDbtError)
    assert isinstance(classify(None, "Compilation Error"), Failure)
