"""Benchmark smoke run (CI): the command works end to end and writes its results. No timing asserts."""

import json

import duckdb
import pytest

from devtools import benchmark
from devtools.benchmark import baseline_stages, machine, main, starting_results
from devtools.generator.cli import Spec, generate
from devtools.profile import profile_sql


def test_benchmark_smoke_writes_results(tmp_path):
    out = tmp_path / "results"
    assert main(["--sizes", "300", "--repeat", "1", "--work", str(tmp_path / "work"), "--out", str(out)]) == 0
    results = json.loads(out.with_suffix(".json").read_text())
    size = results["sizes"][0]
    assert results["machine"]["cpus"] >= 1 and size["customers"] == 300
    stages = size["stages"]
    assert set(stages) == {"dbt_build", "gx_audit", "publish", "single_pass_query", "pandas", "dbt_increment"}
    assert all(stage["seconds"] > 0 and stage["peak_mb"] > 0 for stage in stages.values())
    assert stages["dbt_build"]["slowest"] and stages["dbt_increment"]["slowest"]  # dbt's timing artifact
    # the warehouse and both baselines report the same buyers and default pyramid
    buyers = stages["dbt_build"]["answer"].split()[0]
    assert stages["single_pass_query"]["answer"].startswith(f"[({buyers},")
    assert stages["pandas"]["answer"].startswith(f"{buyers} ")
    assert {"dbt_build_over_single_pass", "pandas_over_dbt_build", "increment_over_dbt_build"} <= set(size["ratios"])
    assert "| 300 |" in out.with_suffix(".md").read_text()


def test_a_size_the_pipeline_cannot_finish_is_recorded(tmp_path, monkeypatch):
    def out_of_memory(customers, *args):
        raise RuntimeError(f"dbt build failed: Out of Memory Error at {customers}")

    monkeypatch.setattr(benchmark, "run_size", out_of_memory)
    out = tmp_path / "results"
    assert main(["--sizes", "5000000", "--work", str(tmp_path / "work"), "--out", str(out)]) == 1
    results = json.loads(out.with_suffix(".json").read_text())
    assert results["sizes"] == [] and results["failed"][0]["customers"] == 5_000_000
    assert "Out of Memory Error at 5000000" in results["failed"][0]["error"]
    assert "5,000,000 customers: failed" in out.with_suffix(".md").read_text()


def test_append_keeps_other_sizes_from_the_same_machine_only(tmp_path):
    out = tmp_path / "results"
    earlier = {
        "machine": machine(),
        "sizes": [{"customers": 100}, {"customers": 1000}],
        "failed": [{"customers": 1000, "error": "out of memory"}],
    }
    out.with_suffix(".json").write_text(json.dumps(earlier))
    kept = starting_results(out, [1000], append=True)
    assert kept["sizes"] == [{"customers": 100}] and kept["failed"] == []
    assert starting_results(out, [1000], append=False)["sizes"] == []
    out.with_suffix(".json").write_text(json.dumps({**earlier, "machine": {**earlier["machine"], "cpus": 64}}))
    with pytest.raises(SystemExit, match="cpus"):
        starting_results(out, [1000], append=True)


def test_pandas_baseline_is_skipped_above_its_limit(tmp_path):
    landing = tmp_path / "landing"
    generate(Spec(customers=200, seed=3), landing)
    stages = baseline_stages(landing, tmp_path, customers=200, pandas_max=100)
    assert "seconds" in stages["single_pass_query"] and "pandas-max-customers" in stages["pandas"]["skipped"]


def test_profile_ranks_the_operators_of_a_query(tmp_path):
    database = tmp_path / "wh.duckdb"
    duckdb.connect(str(database)).execute(
        "create table t as select range % 1000 as k, range as v from range(2000000)"
    ).close()
    result = profile_sql(database, "select k, sum(v) as total from t group by k")
    names = [op["operator"] for op in result["operators"]]
    assert any(n.endswith("HASH_GROUP_BY") for n in names) and "CREATE_TABLE_AS" in names
    assert result["cpu_seconds"] > 0 and result["operators"][0]["cpu_seconds"] >= result["operators"][-1]["cpu_seconds"]
    with duckdb.connect(str(database), read_only=True) as con:  # the scratch table is gone
        assert con.sql("select count(*) from duckdb_tables() where table_name = '__warehouse_profile'").fetchone() == (
            0,
        )
