"""Benchmark smoke run (CI): the command works end to end and writes its results. No timing asserts."""
import json

from orchestration.benchmark import main


def test_benchmark_smoke_writes_results(tmp_path):
    out = tmp_path / "results"
    assert main(["--sizes", "300", "--repeat", "1", "--work", str(tmp_path / "work"), "--out", str(out)]) == 0
    results = json.loads(out.with_suffix(".json").read_text())
    size = results["sizes"][0]
    assert results["machine"]["cpus"] >= 1 and size["customers"] == 300
    assert {"dbt_build", "gx_audit", "publish", "single_pass_query", "pandas", "dbt_increment"} <= set(size["stages"])
    assert all(stage["seconds"] > 0 and stage["peak_mb"] > 0 for stage in size["stages"].values())
    assert set(size["ratios"]) == {"dbt_build_over_single_pass", "pipeline_over_single_pass", "pandas_over_dbt_build",
                                   "increment_over_dbt_build"}
    assert "| 300 |" in out.with_suffix(".md").read_text()
