"""The order of a Spark build's steps and write-audit-publish, without Spark (dbt and the
Spark session replaced by recorders); tests/test_spark.py runs them for real."""

import json
from datetime import date

import pytest

from orchestration import spark_steps

pytestmark = pytest.mark.fast


@pytest.fixture
def recorded(monkeypatch, tmp_path):
    """Runs spark_steps.main with dbt results given per step; returns the calls made."""
    calls = []
    monkeypatch.setenv("WAREHOUSE_SPARK_DIR", str(tmp_path))
    monkeypatch.setattr(spark_steps, "spark_session", lambda: "session")
    monkeypatch.setattr(spark_steps, "write_predictions", lambda spark, schema: calls.append(("arrow", schema)))
    monkeypatch.setattr(spark_steps, "publish", lambda spark, build, served: calls.append(("publish", build, served)))

    def run(statuses: dict[str, str]):
        def run_dbt(args):
            step = next(name for name, a in spark_steps.dbt_steps(date(2026, 6, 30)) if a == args)
            calls.append((step,))
            return {f"node.{step}": statuses.get(step, "success")}

        monkeypatch.setattr(spark_steps, "run_dbt", run_dbt)
        code = spark_steps.main(["2026-06-30", "build_1", "served"])
        return code, calls, json.loads((tmp_path / "build_1.results.json").read_text())

    return run


def test_an_audited_build_is_published_after_every_step(recorded):
    code, calls, results = recorded({})
    assert code == 0
    assert calls == [("upstream",), ("arrow", "build_1"), ("downstream",), ("audit",), ("publish", "build_1", "served")]
    assert list(results) == ["upstream", "arrow", "downstream", "audit", "publish"]


def test_nodes_with_nothing_to_run_do_not_stop_publish(recorded):
    code, calls, _ = recorded({"downstream": "no-op"})
    assert (code, calls[-1]) == (0, ("publish", "build_1", "served"))


def test_a_failed_audit_is_not_published(recorded):
    code, calls, results = recorded({"audit": "fail"})
    assert code == 1
    assert ("publish", "build_1", "served") not in calls
    assert results["audit"] == {"node.audit": "fail"}


def test_a_failed_upstream_step_stops_the_build(recorded):
    code, calls, _ = recorded({"upstream": "error"})
    assert (code, calls) == (1, [("upstream",)])


def test_the_arrow_step_sits_between_what_the_fit_reads_and_the_rest():
    steps = dict(spark_steps.dbt_steps(date(2026, 6, 30)))
    assert steps["upstream"][steps["upstream"].index("--select") + 1] == "+int_clv_predictions"
    assert "+int_clv_predictions" in steps["downstream"][steps["downstream"].index("--exclude") :]
    assert steps["audit"][0] == "test" and "--target" in steps["audit"]
