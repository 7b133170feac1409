"""The order of a Spark build's steps and write-audit-publish, without Spark (dbt and the
Spark session replaced by recorders), and the one line a failed Spark build gives;
tests/test_spark.py runs the steps for real."""

import json
import os
import subprocess
from pathlib import Path

import pytest

from orchestration import spark_steps
from orchestration.definitions import build_definitions
from orchestration.spark_runner import failure_line, run_spark_build, spark_env
from tiering.project import SAMPLE_LANDING
from tiering.settings import Settings

pytestmark = pytest.mark.fast


@pytest.fixture
def recorded(monkeypatch, tmp_path):
    """Runs spark_steps.main with dbt results given per step; returns the calls made."""
    calls, sessions = [], []
    monkeypatch.setenv("WAREHOUSE_SPARK_DIR", str(tmp_path))
    monkeypatch.setattr(spark_steps, "spark_session", lambda connect: f"session {connect}")
    monkeypatch.setattr(spark_steps, "write_predictions", lambda spark, schema: calls.append(("arrow", schema)))
    monkeypatch.setattr(spark_steps, "publish", lambda spark, build, served: calls.append(("publish", build, served)))
    monkeypatch.setattr(
        spark_steps, "retire_builds", lambda spark, folder, served, keep: calls.append(("retire", served, keep)) or {}
    )

    def run(statuses: dict[str, str]):
        sessions.clear()

        def gx_audit(spark, schema, build_file, settings):
            calls.append(("gx", schema, build_file))
            sessions.append(spark)
            return {"gx.recomputed_pnl": statuses.get("gx", "pass"), "gx.partitions": "pass"}

        monkeypatch.setattr(spark_steps, "gx_audit", gx_audit)

        def run_dbt(args):
            step = next(name for name, a in spark_steps.dbt_steps() if a == args)
            calls.append((step,))
            return {f"node.{step}": statuses.get(step, "success")}

        monkeypatch.setattr(spark_steps, "run_dbt", run_dbt)
        code = spark_steps.main(["build_1", "served"])
        run.sessions = sessions
        return code, calls, json.loads((tmp_path / "build_1.results.json").read_text())

    return run


def test_an_audited_build_is_published_after_every_step(recorded, tmp_path):
    code, calls, results = recorded({})
    assert code == 0
    assert calls == [
        ("upstream",),
        ("arrow", "build_1"),
        ("downstream",),
        ("audit",),
        ("gx", "build_1", tmp_path / "build_1"),
        ("publish", "build_1", "served"),
        ("retire", {"served": "build_1"}, 2),
    ]
    assert list(results) == ["upstream", "arrow", "downstream", "audit", "gx", "publish", "retire"]
    assert json.loads((tmp_path / "served.json").read_text()) == {"served": "build_1"}


def test_the_python_steps_use_the_spark_connect_address_when_one_is_set(recorded, monkeypatch):
    recorded({})
    assert recorded.sessions == ["session None"]  # dbt's local session
    monkeypatch.setenv("WAREHOUSE_SPARK_CONNECT", "sc://spark.internal:15002")
    recorded({})
    assert recorded.sessions == ["session sc://spark.internal:15002"]


def test_a_connect_address_is_checked_and_passed_to_the_steps_process(tmp_path):
    with pytest.raises(ValueError, match="starts with sc://"):
        Settings(spark_connect="https://spark.internal:15002")
    settings = Settings.from_env({"WAREHOUSE_SPARK_CONNECT": "sc://spark.internal:15002"})
    env = spark_env({}, tmp_path, "b1", tmp_path / "contract.yml", settings)
    assert Settings.from_env(env).spark_connect == "sc://spark.internal:15002"
    assert Settings.from_env(spark_env({}, tmp_path, "b1", tmp_path / "c.yml", Settings())).spark_connect is None


def test_the_steps_process_keeps_as_many_builds_and_audits_as_the_run_in_its_home(tmp_path):
    run = Settings(keep_builds=0, keep_audits=3, home=tmp_path / "wh")
    steps = Settings.from_env(spark_env({}, Path("spark"), "b1", Path("c.yml"), run))
    assert (steps.keep_builds, steps.keep_audits, steps.gx_dir) == (0, 3, run.gx_dir)


class RecordedSpark:
    def __init__(self, refuse=()):
        self.statements, self.refuse = [], refuse

    def sql(self, statement):
        if any(name in statement for name in self.refuse):
            raise RuntimeError("[SCHEMA_NOT_FOUND] cannot drop\nstack trace")
        self.statements.append(statement)


def finished(spark_dir, *schemas):
    """Build schemas whose build ended, in this order, each with its step files and inventory."""
    for i, schema in enumerate(schemas):
        for f in spark_steps.step_files(spark_dir, schema):
            f.write_text("{}")
            os.utime(f, (1_000_000 + i, 1_000_000 + i))
        (spark_dir / f"{schema}.inventory").mkdir()


def test_builds_that_no_served_schema_reads_are_dropped_beyond_the_kept(tmp_path, capsys):
    finished(tmp_path, "b_old", "b_served_elsewhere", "b_mid", "b_new")
    spark = RecordedSpark()
    served = {"tiers": "b_now", "preview": "b_served_elsewhere"}
    assert spark_steps.retire_builds(spark, tmp_path, served, keep=1) == {"b_old": "success", "b_mid": "success"}
    assert spark.statements == ["drop schema if exists `b_old` cascade", "drop schema if exists `b_mid` cascade"]
    assert spark_steps.finished_builds(tmp_path) == ["b_served_elsewhere", "b_new"]
    assert sorted(p.name for p in tmp_path.glob("b_old*")) == []
    assert "dropped build schema b_old" in capsys.readouterr().out


def test_a_schema_that_cannot_be_dropped_keeps_its_files_and_the_rest_go_on(tmp_path, capsys):
    finished(tmp_path, "b1", "b2", "b3")
    spark = RecordedSpark(refuse=["b1"])
    assert spark_steps.retire_builds(spark, tmp_path, {"tiers": "b3"}, keep=0) == {"b2": "success"}
    assert spark_steps.finished_builds(tmp_path) == ["b1", "b3"]
    assert capsys.readouterr().err == "could not drop build schema b1 ([SCHEMA_NOT_FOUND] cannot drop); it stays\n"


def test_a_connect_session_gets_the_profiles_settings(tmp_path):
    """The Python steps' Connect session takes the spark target's SQL settings from
    profiles.yml, rendered with the build's environment as dbt renders them."""
    parameters = spark_steps.profile_parameters({"WAREHOUSE_SPARK_DIR": str(tmp_path)})
    assert parameters["spark.sql.session.timeZone"] == "UTC"
    assert parameters["spark.sql.legacy.decimal.retainFractionDigitsOnTruncate"] == "true"
    assert parameters["spark.sql.warehouse.dir"] == f"{tmp_path}/tables"


def test_nodes_with_nothing_to_run_do_not_stop_publish(recorded):
    code, calls, _ = recorded({"downstream": "no-op"})
    assert (code, calls[-2]) == (0, ("publish", "build_1", "served"))


def test_a_failed_audit_is_not_published(recorded):
    code, calls, results = recorded({"audit": "fail"})
    assert code == 1
    assert ("publish", "build_1", "served") not in calls and calls[-1][0] != "retire"
    assert [c for c in calls if c[0] == "gx"] == []  # GX audits only a build whose dbt tests passed
    assert results["audit"] == {"node.audit": "fail"}


def test_a_failed_gx_check_is_not_published(recorded):
    code, calls, results = recorded({"gx": "fail"})
    assert code == 1
    assert calls[-1][0] == "gx"
    assert results["gx"]["gx.recomputed_pnl"] == "fail"


def test_a_failed_upstream_step_stops_the_build(recorded):
    code, calls, _ = recorded({"upstream": "error"})
    assert (code, calls) == (1, [("upstream",)])


def test_the_arrow_step_sits_between_what_the_fit_reads_and_the_rest():
    steps = dict(spark_steps.dbt_steps())
    assert steps["upstream"][steps["upstream"].index("--select") + 1] == "+int_clv_predictions"
    assert "+int_clv_predictions" in steps["downstream"][steps["downstream"].index("--exclude") :]
    assert steps["audit"][0] == "test" and "--target" in steps["audit"]


# ---------------------------------------------------------------- why a Spark build was not served


def completed(code: int, stdout: str = "", stderr: str = "") -> subprocess.CompletedProcess:
    return subprocess.CompletedProcess(["warehouse-build-spark"], code, stdout=stdout, stderr=stderr)


def test_a_failed_step_is_named_in_one_line(tmp_path):
    statuses = {"upstream": {"model.a": "success"}, "audit": {f"test.t{i}": "fail" for i in range(5)} | {"t": "pass"}}
    (tmp_path / "b1.results.json").write_text(json.dumps(statuses))
    assert failure_line(tmp_path, "b1", completed(1, "dbt's\nlong\noutput")) == (
        "Spark build b1: 5 failed in step audit (test.t0, test.t1, test.t2, ...)"
    )


def test_a_failed_gx_suite_names_its_first_failed_figure(tmp_path):
    (tmp_path / "b1.results.json").write_text(json.dumps({"gx": {"gx.partitions": "fail", "gx.tier_counts": "pass"}}))
    checks = [{"suite": "partitions", "failed": ["partitions: customers: sum 9 vs customer_value 10, difference -1"]}]
    (tmp_path / "b1.audit.json").write_text(json.dumps({"checks": checks}))
    assert failure_line(tmp_path, "b1", completed(1)) == (
        "Spark build b1: 1 failed in step gx (gx.partitions); partitions: customers: sum 9 vs customer_value 10, "
        "difference -1"
    )


def test_a_build_that_died_gives_its_last_line(tmp_path):
    died = completed(-9, "starting\n", "java.lang.OutOfMemoryError: Java heap space\n\n")
    assert (
        failure_line(tmp_path, "b1", died)
        == "Spark build b1 ended with code -9: java.lang.OutOfMemoryError: Java heap space"
    )


def test_a_landing_that_cannot_be_built_fails_the_dagster_asset_in_one_line(tmp_path, monkeypatch):
    """The Spark job's asset (Dagster) refuses before Spark starts, with the landing's cause;
    the nightly DuckDB job does not include it."""
    settings = Settings(home=tmp_path / "home", landing_dir=tmp_path / "no-such-landing")
    defs = build_definitions(settings)
    assert "spark_served_marts" not in defs.resolve_job_def("nightly_warehouse").graph.node_dict
    result = defs.resolve_job_def("spark_warehouse").execute_in_process(
        partition_key="2026-06-30", raise_on_error=False
    )
    failure = next(e for e in result.all_events if e.is_step_failure).step_failure_data.error.message
    assert not result.success
    assert "no-such-landing does not exist" in failure and "\n" not in failure.strip()


def test_a_build_is_never_served_from_its_own_schema(tmp_path):
    """Publishing views over the build schema into that same schema would replace its tables."""
    refused = run_spark_build(SAMPLE_LANDING, None, tmp_path, "customer_tiers", "customer_tiers", capture=True)
    assert refused.returncode == 2
    assert (
        refused.stdout == "the build schema and the served schema are both customer_tiers: serve from another schema\n"
    )
