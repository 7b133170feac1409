"""Benchmark smoke run (CI): the command works end to end and writes its results. No timing asserts."""

import json
import subprocess
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from devtools import benchmark
from devtools.benchmark import baseline_stages, machine, main, starting_results
from devtools.benchmark_analysis import (
    DBT_FIXED,
    DESIGNS,
    NONLINEAR_CAUSES,
    PIPELINE,
    SMALL_DESIGNS,
    analysis,
    time_by_part,
)
from devtools.generator.cli import Spec, generate
from devtools.profile import profile_sql


def run_results(target: Path) -> list[dict]:
    return json.loads((target / "run_results.json").read_text())["results"]


@pytest.mark.slow
def test_benchmark_smoke_writes_results(tmp_path):
    out = tmp_path / "results"
    work = tmp_path / "work"
    assert main(["--sizes", "300", "--repeat", "1", "--work", str(work), "--out", str(out), "--keep-homes"]) == 0
    results = json.loads(out.with_suffix(".json").read_text())
    size = results["sizes"][0]
    assert results["machine"]["cpus"] >= 1 and size["customers"] == 300
    stages = size["stages"]
    assert set(stages) == {*PIPELINE, "single_pass_query", "pandas", "dbt_increment"}
    assert stages["report"]["answer"].endswith(".html")  # the tier report, written from the served file
    assert all(stage["seconds"] > 0 and stage["peak_mb"] > 0 for stage in stages.values())
    assert stages["dbt_build"]["slowest"] and stages["dbt_increment"]["slowest"]  # dbt's timing artifact
    # the warehouse and both baselines report the same buyers and default pyramid
    buyers = stages["dbt_build"]["answer"].split()[0]
    assert stages["single_pass_query"]["answer"].startswith(f"[({buyers},")
    assert stages["pandas"]["answer"].startswith(f"{buyers} ")
    assert {"dbt_build_over_single_pass", "pandas_over_dbt_build", "increment_over_dbt_build"} <= set(size["ratios"])
    assert "| 300 |" in out.with_suffix(".md").read_text()
    parts = stages["dbt_build"]["parts"]  # dbt's node times by project layer, plus dbt's own time
    assert parts["data tests"] > 0 and parts["marts"] > 0 and DBT_FIXED in parts
    assert sum(parts.values()) == pytest.approx(stages["dbt_build"]["seconds"], abs=0.05)
    manifest = json.loads((work / "target-300-0" / "manifest.json").read_text())["nodes"].values()
    assert stages["dbt_build"]["nodes"] == {
        k: sum(n["resource_type"] == k for n in manifest) for k in ("model", "test")
    }
    assert (tmp_path / "ANALYSIS.md").read_text() == analysis(results)
    build_dir = work / "home-300" / "build"
    assert not list(build_dir.glob("increment-*"))  # the increment's copy, its inventory and marker
    # the increment is the night after a published one: it starts from the tier snapshot the publish
    # stored and keeps the event logs' rows of that date
    assert (build_dir / "history" / "as_of=2026-06-30" / "tier_snapshot.parquet").exists()
    compiled = {r["unique_id"].split(".")[-1]: r["compiled_code"] for r in run_results(work / "target-300-0")}
    assert "as_of=2026-06-30/tier_snapshot.parquet" in compiled["int_stored_tier_assignments"]
    assert "as_of_date >= date '2026-07-01'" in compiled["tier_assignment_history"]


def test_each_measured_build_parses_afresh(tmp_path):
    """A target folder left by an earlier benchmark (another checkout's parse: its seeds' paths)
    is emptied before a measured build, so it parses the project as a night does."""
    stale = tmp_path / "target-5000000-0" / "partial_parse.msgpack"
    stale.parent.mkdir()
    stale.write_bytes(b"stale")
    assert benchmark.fresh_target(tmp_path, "target-5000000-0") == stale.parent and not stale.parent.exists()


def test_a_commit_is_marked_changed_by_code_not_by_the_runs_own_reports(tmp_path, monkeypatch):
    git = lambda *args: subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)
    git("init", "-q")
    (tmp_path / "model.sql").write_text("select 1\n")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one")
    monkeypatch.setattr(benchmark, "PROJECT_DIR", tmp_path)
    assert "+" not in benchmark.provenance("0", tmp_path.parent / "results")["commit"]  # reports outside
    out = tmp_path / "bench"  # a --out outside benchmarks/: bench.json, bench.md, ANALYSIS.md
    for f in benchmark.report_files(out):
        f.write_text("{}")
    assert "+" not in benchmark.provenance("0", out)["commit"]
    (tmp_path / "model.sql").write_text("select 2\n")
    assert benchmark.provenance("0", out)["commit"].endswith("+changes")


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


def test_a_size_that_fails_late_keeps_the_stages_it_measured(tmp_path, monkeypatch):
    """The 5M increment once ran out of disk after the build, audit and publish were measured:
    those figures stay in the results beside the failure."""
    pristine = tmp_path / "work" / "landing-300"
    (pristine / "order_lines").mkdir(parents=True)
    pq.write_table(pa.table({"order_id": ["o1"]}), pristine / "order_lines" / "x.parquet")
    (pristine / ".complete").write_text("")

    def build_then_no_disk(customers, landing, work, build_file, env, repeat, *args):
        args[-1]["dbt_build"] = [{"seconds": 1107.8, "peak_mb": 5400}]
        raise OSError(28, "No space left on device")  # copying the build for the increment (5M, 2026-11-28)

    monkeypatch.setattr(benchmark, "measure_size", build_then_no_disk)
    out = tmp_path / "results"
    assert main(["--sizes", "300", "--repeat", "1", "--work", str(tmp_path / "work"), "--out", str(out)]) == 1
    failed = json.loads(out.with_suffix(".json").read_text())["failed"][0]
    assert failed["stages"]["dbt_build"]["seconds"] == 1107.8 and "No space left" in failed["error"]
    assert "Measured before it failed (medians): dbt_build 1107.8 s (5,400 MB)." in out.with_suffix(".md").read_text()


@pytest.mark.parametrize("keep", [False, True])
def test_a_sizes_build_and_landing_copy_leave_the_disk_unless_kept(tmp_path, monkeypatch, keep):
    """At 5M the build is 24 GB: the homes of the sizes before it once filled the disk."""
    pristine = tmp_path / "work" / "landing-300"
    (pristine / "order_lines").mkdir(parents=True)
    pq.write_table(pa.table({"order_id": ["o1"]}), pristine / "order_lines" / "x.parquet")
    (pristine / ".complete").write_text("")

    def build(customers, landing, work, build_file, env, repeat, *args):
        build_file.write_text("a build")
        raise RuntimeError("dbt build failed")  # deleted on a failure too

    monkeypatch.setattr(benchmark, "measure_size", build)
    keep_flag = ["--keep-homes"] if keep else []
    assert main(["--sizes", "300", "--work", str(tmp_path / "work"), "--out", str(tmp_path / "r"), *keep_flag]) == 1
    left = {p.name for p in (tmp_path / "work").iterdir()}
    assert left == ({"landing-300", "home-300", "run-300"} if keep else {"landing-300"})
    assert (pristine / "order_lines" / "x.parquet").exists()  # the generated landing is reused by the next run


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
    beyond = baseline_stages(landing, tmp_path, customers=200, pandas_max=1000, with_pandas=False)
    assert "pandas-repeat" in beyond["pandas"]["skipped"]  # a later repetition of a size


def test_profile_ranks_the_operators_of_a_query(tmp_path):
    database = tmp_path / "wh.duckdb"
    duckdb.connect(str(database)).execute(
        "create table t as select range % 1000 as k, range as v from range(2000000)"
    ).close()
    result = profile_sql(
        database, 'select k, sum(v) as total from "build"."main"."t" group by k'
    )  # as dbt compiles `this`
    names = [op["operator"] for op in result["operators"]]
    assert any(n.endswith("HASH_GROUP_BY") for n in names) and "CREATE_TABLE_AS" in names
    assert result["cpu_seconds"] > 0 and result["operators"][0]["cpu_seconds"] >= result["operators"][-1]["cpu_seconds"]
    with duckdb.connect(str(database), read_only=True) as con:  # the scratch table is gone
        assert con.sql("select count(*) from duckdb_tables() where table_name = '__warehouse_profile'").fetchone() == (
            0,
        )


def test_time_by_part_groups_dbt_nodes_by_layer():
    run_results = {
        "results": [
            {"unique_id": "model.p.int_orders__validated", "execution_time": 4.0},
            {"unique_id": "model.p.customer_value", "execution_time": 2.0},
            {"unique_id": "model.p.int_customer_sales", "execution_time": 1.5},
            {"unique_id": "test.p.unique_x", "execution_time": 1.0},
            {"unique_id": "unit_test.p.customer_value.a_rule", "execution_time": 0.5},
        ]
    }
    paths = {
        "model.p.int_orders__validated": "models/intermediate/landing/int_orders__validated.sql",
        "model.p.customer_value": "models/marts/customer_value/customer_value.sql",
        "model.p.int_customer_sales": "models/intermediate/customer_value/int_customer_sales.sql",
    }
    manifest = {"nodes": {k: {"original_file_path": v} for k, v in paths.items()}}
    parts = time_by_part(run_results, manifest, wall_seconds=12.0)
    assert list(parts.values()) == [4.0, 3.0, 2.0, 1.5, 1.0, 0.5]  # largest first
    assert parts[DBT_FIXED] == 3.0 and parts["marts"] == 2.0 and parts["customer-level intermediate"] == 1.5
    assert parts["data tests"] == 1.0 and parts["dbt unit tests"] == 0.5


def a_size(customers: int, build: float, single: float, pandas: float, increment: float, peak: int) -> dict:
    stage = lambda seconds, **more: {"seconds": seconds, "peak_mb": peak, "runs": [{}], **more}
    parts = {"landing validation (every landed row with its verdict)": build * 0.6, "data tests": build * 0.3}
    stages = {
        "dbt_build": stage(
            build,
            parts=parts,
            slowest=[{"node": "int_order_lines__validated", "seconds": 9.5}],
            nodes={"model": 79, "test": 173},
        ),
        "gx_audit": stage(10.0),
        "publish": stage(5.0),
        "single_pass_query": stage(single),
        "pandas": stage(pandas),
        "dbt_increment": stage(increment, parts={"customer-level intermediate": increment * 0.5}, slowest=[]),
    }
    pipeline = build + 15.0
    ratios = {
        "dbt_build_over_single_pass": round(build / single, 2),
        "pipeline_over_single_pass": round(pipeline / single, 2),
        "pandas_over_dbt_build": round(pandas / build, 2),
        "increment_over_dbt_build": round(increment / build, 2),
        "pipeline_seconds": pipeline,
        "pipeline_peak_mb": peak,
    }
    return {"customers": customers, "order_lines": customers * 30, "stages": stages, "ratios": ratios}


def test_analysis_states_figure_cause_and_design_of_each_missed_target_only():
    results = {
        "machine": machine(),
        "sizes": [a_size(100_000, 20.0, 2.0, 10.0, 15.0, 900), a_size(1_000_000, 120.0, 20.0, 150.0, 30.0, 4000)],
    }
    text = analysis(results)
    # at 1M: build 6x (missed), pipeline 6.75x (met), pandas 1.25x (missed), memory (met), increment 0.25 (missed)
    assert text.count("### Missed:") == 3
    assert "measured 6.0, bound <= 5.0" in text and "measured 1.25, bound >= 4.0" in text
    assert (
        "measured 0.25, bound <= 0.2" in text
        and "pipeline within 7x the single-pass query | 6.75 | <= 7.0 | yes" in text
    )
    # what dominates the build: the parts of its last run (108 s: the test's parts are 90% of 120 s)
    assert "the last run's 108.0 s: landing validation (every landed row with its verdict) 72.0 s (67%)" in text
    assert "`int_order_lines__validated` 9.5 s" in text and "customer-level intermediate 15.0 s (100%)" in text
    assert "Build 120.0 s (median), 79 models and 173 data tests; single pass 20.0 s; " in text  # from the results
    for key in ("dbt_build_over_single_pass", "pandas_over_dbt_build", "increment_over_dbt_build"):
        assert DESIGNS[key] in text
    assert DESIGNS["pipeline_peak_mb"] not in text and DESIGNS["pipeline_over_single_pass"] not in text
    assert "Targets at 100,000" not in text  # the targets are set at 1M
    only_small = analysis({**results, "sizes": results["sizes"][:1]})  # then shown at the largest, as an indication
    assert "shown at 100,000 as an indication only" in only_small and "Targets at 100,000" in only_small
    assert "measured 10.0, bound <= 5.0" in only_small
    # the pipeline at 100k is 17.5x: audit and publish (15 s) alone are 7.5x the single pass
    assert "The stages after the build alone take 7.5x the single pass." in only_small
    assert "targets are not judged" in analysis({**results, "sizes": []})


def test_analysis_judges_the_100k_target_and_the_cost_per_line_up_to_the_largest_size():
    sizes = [
        a_size(100_000, 30.0, 2.0, 10.0, 15.0, 900),  # build 15x the single pass: over the 10x set at 100k
        a_size(1_000_000, 120.0, 20.0, 150.0, 30.0, 4000),
        a_size(5_000_000, 720.0, 150.0, 150.0, 120.0, 5000),  # per line 1M's: build 1.2x, single pass 1.5x
    ]
    text = analysis({"machine": machine(), "sizes": sizes})
    assert "| full build (with its tests) within 10x the single-pass query | 15.0 | <= 10.0 | **no** |" in text
    assert SMALL_DESIGNS["dbt_build_over_single_pass"] in text
    assert "| dbt build | 10.0 | 4.0 | 4.8 | 1.2 | **no** |" in text  # microseconds per order line
    assert "| dbt increment | 5.0 | 1.0 | 0.8 | 0.8 | yes |" in text
    assert "- dbt build: at 1M no runs recorded, peak 4,000 MB; at 5,000,000 no runs recorded, peak 5,000 MB." in text
    assert "- dbt increment:" not in text  # a note for each stage that is not linear only
    assert NONLINEAR_CAUSES["single_pass_query"] in text and NONLINEAR_CAUSES["gx_audit"] not in text
    without_5m = analysis({"machine": machine(), "sizes": sizes[:2]})
    assert "| stage |" not in without_5m.split("## Cost per order line")[1].split("## ")[0]  # nothing to judge
    assert "Not judged: no size above 1,000,000 customers" in without_5m  # said, not left out


def test_committed_analysis_is_generated_from_the_committed_results():
    folder = Path(__file__).parents[1] / "benchmarks"
    results = json.loads((folder / "results.json").read_text())
    assert (folder / "ANALYSIS.md").read_text() == analysis(results)
