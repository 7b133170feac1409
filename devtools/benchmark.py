"""`warehouse-benchmark`: the nightly pipeline against two baselines, on generated landing zones.

For each size: the full pipeline (dbt build with every test, GX audit, publish with the tier
snapshot kept for the next night) stage by stage,
the cheapest hand-written DuckDB query for per-customer contribution and the default pyramid
(the lower bound: each file anti-joined against the keys later files deliver), a plain pandas implementation of the same figures (what a user
would otherwise write), and the nightly increment (one more day of files on a copy of the full
build, beside the snapshot the publish stored).
Every measurement runs in its own process: wall time and peak memory (max RSS) come from that
process. Linux hands a child the parent's high-water mark at exec, so the benchmark process
itself stays small (generating data runs in child processes too) and its own peak is recorded
as the floor under every figure. Medians over --repeat runs; ratios are taken within the same invocation. The
answers of the warehouse and both baselines are recorded side by side, and so are dbt's
slowest nodes (from its run_results.json). Results, with machine facts and the targets of
the performance issue, go to a JSON and a Markdown file.
"""

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from devtools.benchmark_analysis import PIPELINE, analysis, time_by_part, verdicts
from tiering.contract import TABLES
from tiering.db import sql_string
from tiering.landing import inventory_dir, landing_marker
from tiering.project import PROJECT_DIR
from tiering.settings import duckdb_config

AS_OF = date(2026, 6, 30)
NEXT_DAY = date(2026, 7, 1)
DUCKDB_SETTINGS = {
    "threads": str(duckdb_config()["threads"]),
    "memory_limit": duckdb_config()["memory_limit"],
    "dbt_threads": os.environ.get("WAREHOUSE_DBT_THREADS", "1"),
}

# The cheapest correct hand-written query for the same answer (buyers, their contribution, the
# default pyramid): the latest version of a key is its row in the last file that delivers it, so
# each file's rows are anti-joined against the keys of the (small) later files instead of
# windowing over every landed row; only the columns the answer needs are read.
BASELINE_READS = {  # table -> the columns the answer needs; key and types come from the contract
    "orders": ("order_id", "customer_id", "order_ts", "status"),
    "order_lines": ("order_id", "line_number", "quantity", "unit_price", "discount_amount", "unit_cost"),
    "service_events": ("event_id", "customer_id", "event_ts", "activity", "quantity"),
    "activity_rates": ("activity", "rate_per_unit", "valid_from", "valid_to"),
}
# quantity * unit_price summed over millions of lines: the integer is widened first
WIDER_TYPES = {("order_lines", "quantity"): "decimal(38, 0)"}


def baseline_columns(table: str) -> tuple[str, dict[str, str]]:
    """The key (SQL list) of a contract table and {column: DuckDB type} of the columns read."""
    contract = TABLES[table]
    types = {c: WIDER_TYPES.get((table, c), contract.column(c).duckdb_type) for c in BASELINE_READS[table]}
    return ", ".join(contract.key), types


def _read_file(path: Path, columns: dict) -> str:
    source = (
        f"read_parquet({sql_string(path)})"
        if path.suffix == ".parquet"
        else f"read_csv({sql_string(path)}, delim = ',', quote = '\"', escape = '\"', header = true, "
        f"all_varchar = true, ignore_errors = true)"
    )
    return f"(select {', '.join(f'try_cast({c} as {t}) as {c}' for c, t in columns.items())} from {source})"


def latest_rows_sql(landing: Path, table: str) -> str:
    """The latest version of every key of `table`: each file's rows whose key no later file
    delivers (a later file's own repeats are resolved by a window over that small file)."""
    key, columns = baseline_columns(table)
    files = sorted(p for p in (landing / table).iterdir() if p.suffix in (".parquet", ".csv"))
    reads = [_read_file(f, columns) for f in files]
    parts = []
    for i, read in enumerate(reads):
        rows = read if i == 0 else f"(from {read} qualify row_number() over (partition by {key}) = 1)"
        later = " union all ".join(f"select {key} from {r}" for r in reads[i + 1 :])
        parts.append(f"select * from {rows}" + (f" anti join ({later}) using ({key})" if later else ""))
    return " union all ".join(parts)


def single_pass_sql(landing: Path, as_of: date) -> str:
    window = f"> date '{as_of}' - 365 and {{c}}::date <= date '{as_of}'"
    return f"""
with orders as ({latest_rows_sql(landing, "orders")}),
lines as ({latest_rows_sql(landing, "order_lines")}),
events as ({latest_rows_sql(landing, "service_events")}),
rates as ({latest_rows_sql(landing, "activity_rates")}),
sales as (
    select o.customer_id, sum(l.quantity * l.unit_price - l.discount_amount) as revenue, sum(l.quantity * l.unit_cost) as cogs
    from lines l join orders o using (order_id)
    where o.status = 'completed' and o.order_ts::date {window.format(c="o.order_ts")}
    group by 1
), cost as (
    select e.customer_id, sum(e.quantity * r.rate_per_unit) as cost
    from events e join rates r on r.activity = e.activity and e.event_ts::date between r.valid_from and r.valid_to
    where e.event_ts::date {window.format(c="e.event_ts")}
    group by 1
), customers as (
    select customer_id, coalesce(revenue, 0) as revenue, coalesce(revenue, 0) - coalesce(cogs, 0) - coalesce(cost, 0) as contribution,
           revenue is not null as is_buyer
    from sales full join cost using (customer_id)
), ranked as (
    select *, row_number() over (order by revenue desc, customer_id) as rk, count(*) over () as n from customers where is_buyer
)
select count(*), sum(contribution),
       count(*) filter (where rk <= floor(0.01 * n + 0.5)) as tier_a,
       count(*) filter (where rk > floor(0.05 * n + 0.5) and rk <= floor(0.20 * n + 0.5)) as tier_c
from ranked
"""


PANDAS_SCRIPT = r"""
import glob, sys
import pandas as pd
d, asof = sys.argv[1], pd.Timestamp(sys.argv[2])
NUMBERS = {"line_number", "quantity", "unit_price", "discount_amount", "unit_cost"}
def load(table, columns, key):
    parts = []
    for f in sorted(glob.glob(f"{d}/{table}/*.parquet") + glob.glob(f"{d}/{table}/*.csv")):
        typed = f.endswith(".parquet")
        df = (pd.read_parquet(f, columns=columns, dtype_backend="pyarrow") if typed
              else pd.read_csv(f, usecols=columns, dtype=str, dtype_backend="pyarrow"))
        for c in columns:
            if c in NUMBERS:
                df[c] = df[c].astype("float64") if typed else pd.to_numeric(df[c], errors="coerce").astype("float64")
            elif c.endswith("_ts"):
                df[c] = (df[c] if typed else pd.to_datetime(df[c], errors="coerce")).astype("datetime64[us]")
        parts.append(df)
    return pd.concat(parts, ignore_index=True).drop_duplicates(key, keep="last")
lines = load("order_lines", ["order_id", "line_number", "quantity", "unit_price", "discount_amount", "unit_cost"], ["order_id", "line_number"])
orders = load("orders", ["order_id", "customer_id", "order_ts", "status"], ["order_id"])
events = load("service_events", ["event_id", "customer_id", "event_ts", "activity", "quantity"], ["event_id"])
rates = pd.read_parquet(glob.glob(f"{d}/activity_rates/*.parquet"))
orders["day"] = orders["order_ts"].dt.normalize()
window = lambda day: (day > asof - pd.Timedelta(days=365)) & (day <= asof)
sales = lines.merge(orders[(orders.status == "completed") & window(orders.day)], on="order_id")
sales["revenue"] = sales.quantity * sales.unit_price - sales.discount_amount
sales["cogs"] = sales.quantity * sales.unit_cost
per_customer = sales.groupby("customer_id")[["revenue", "cogs"]].sum()
events["day"] = events["event_ts"].dt.normalize()
events = events[window(events.day)].merge(rates, on="activity")
events = events[(events.day >= pd.to_datetime(events.valid_from)) & (events.day <= pd.to_datetime(events.valid_to))]
events["cost"] = events.quantity * events.rate_per_unit.astype(float)
cost = events.groupby("customer_id")["cost"].sum()
table = per_customer.join(cost, how="left").fillna(0)
table["contribution"] = table.revenue - table.cogs - table.cost
buyers = table.sort_values("revenue", ascending=False).reset_index()
n = len(buyers)
buyers["tier"] = pd.cut(buyers.index + 1, [0, round(0.01 * n), round(0.05 * n), round(0.2 * n), n], labels=list("ABCD"))
print(n, round(buyers.contribution.sum(), 2), buyers.tier.value_counts().sort_index().to_dict())
"""


def measured(cmd: list[str], env: dict | None = None) -> dict:
    """Run one stage in its own process: wall seconds, that process's peak memory, and the last
    line it printed; a failed stage is recorded with its output instead of stopping the run."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        cwd=PROJECT_DIR,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    result = {"seconds": round(time.perf_counter() - started, 2), "peak_mb": round(usage.ru_maxrss / 1024)}
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        return {**result, "error": f"exit {code}: {without_progress_bars(output)[-2000:]}"}
    lines = [line for line in output.splitlines() if line.strip()]
    return {**result, "answer": lines[-1][:300] if lines else ""}


def python(code: str, *args: str) -> list[str]:
    return [sys.executable, "-c", code, *args]


def warehouse_build(landing: Path, as_of, warehouse: Path, target: Path) -> list[str]:
    """The landing inventory and dbt build (orchestration/dbt_runner.py) as one measured stage."""
    return [
        sys.executable,
        "-m",
        "orchestration.dbt_runner",
        "--landing-dir",
        str(landing),
        "--as-of",
        as_of.isoformat(),
        "--warehouse",
        str(warehouse),
        "--target-path",
        str(target),
    ]


def dbt_timings(target: Path, wall_seconds: float, n: int = 8) -> dict:
    """dbt's timing artifact: the slowest nodes of the last run and its time per project part."""
    run_results = json.loads((target / "run_results.json").read_text())
    manifest = json.loads((target / "manifest.json").read_text())
    ranked = sorted(run_results["results"], key=lambda r: r["execution_time"], reverse=True)[:n]
    return {
        "slowest": [
            {"node": r["unique_id"].split(".", 2)[-1][:80], "seconds": round(r["execution_time"], 2)} for r in ranked
        ],
        "parts": time_by_part(run_results, manifest, wall_seconds),
        "nodes": {
            kind: sum(n["resource_type"] == kind for n in manifest["nodes"].values()) for kind in ("model", "test")
        },
    }


WAREHOUSE_ANSWER = """
select (select count(*) from customer_value where is_buyer),
       (select sum(contribution) from customer_value where is_buyer),
       (select list(buyers order by tier_order) from tier_profitability where scheme = 'vip_1_4_15_80' and tier <> 'non_buyer')
"""


def warehouse_answer(build_file: Path) -> str:
    import duckdb

    with duckdb.connect(str(build_file), read_only=True, config={"memory_limit": "1GB"}) as con:
        buyers, contribution, tiers = con.sql(WAREHOUSE_ANSWER).fetchone()
    return f"{buyers} buyers, contribution {contribution}, default pyramid {tiers}"


def fresh_target(work: Path, name: str) -> Path:
    """An empty dbt target folder: a measured build parses the whole project, as a home's first
    night does, and never reuses a parse made by another checkout."""
    target = work / name
    shutil.rmtree(target, ignore_errors=True)
    return target


def pipeline_stages(landing: Path, work: Path, build_file: Path, env: dict, tag: str) -> dict:
    target = fresh_target(work, f"target-{tag}")
    build = measured(warehouse_build(landing, AS_OF, build_file, target), env)
    if "error" in build:
        raise RuntimeError(f"dbt build failed: {build['error']}")
    build.update(answer=warehouse_answer(build_file), **dbt_timings(target, build["seconds"]))
    stages = {
        "dbt_build": build,
        "gx_audit": measured(
            python(
                "import sys; from pathlib import Path; from orchestration.audit import audit_warehouse;"
                "from orchestration.publish import build_identity, stamp_build, write_verdict;"
                "from tiering.settings import Settings; f = Path(sys.argv[1]); stamp_build(f, 'benchmark');"
                "identity = build_identity(f); settings = Settings.from_env(); r = audit_warehouse(f, 'benchmark', settings);"
                "write_verdict(settings, sys.argv[2], identity, [x.name for x in r if not x.success], {});"
                "sys.exit(0 if all(x.success for x in r) else 1)",
                str(build_file),
                AS_OF.isoformat(),
            ),
            env,
        ),
        "publish": measured(  # the served file and exports, and the tier snapshot the next night starts from
            python(
                "import sys; from pathlib import Path; from orchestration.publish import publish, store_snapshot;"
                "from tiering.settings import Settings; publish(Settings.from_env(), sys.argv[1]);"
                "f = Path(sys.argv[2]); store_snapshot(f, f.parent / 'history', sys.argv[1])",
                AS_OF.isoformat(),
                str(build_file),
            ),
            env,
        ),
        "report": measured(
            python(
                "from orchestration.report import write_served_report; from tiering.settings import Settings;"
                "print(write_served_report(Settings.from_env()))"
            ),
            env,
        ),
    }
    failed = {name: stage["error"] for name, stage in stages.items() if "error" in stage}
    if failed:
        raise RuntimeError(f"pipeline stages failed: {failed}")
    return stages


def baseline_stages(landing: Path, work: Path, customers: int, pandas_max: int, with_pandas: bool = True) -> dict:
    single = measured(
        python(
            f"import duckdb, sys; con = duckdb.connect(config={{'threads': {DUCKDB_SETTINGS['threads']}, "
            f"'memory_limit': '{DUCKDB_SETTINGS['memory_limit']}', 'temp_directory': sys.argv[2], "
            f"'preserve_insertion_order': False}}); print(con.sql(sys.argv[1]).fetchall())",
            single_pass_sql(landing, AS_OF),
            str(work / "spill"),
        )
    )
    if customers > pandas_max:
        pandas = {"skipped": f"above --pandas-max-customers {pandas_max:,} (16.6 GB peak at 1M customers)"}
    elif not with_pandas:
        pandas = {"skipped": "beyond --pandas-repeat"}
    else:
        pandas = measured(python(PANDAS_SCRIPT, str(landing), AS_OF.isoformat()))
    return {"single_pass_query": single, "pandas": pandas}


def increment_stage(landing: Path, work: Path, build_file: Path, env: dict, tag: str) -> dict:
    """The next night on a copy of the build, beside it: it reads the tier snapshot the publish
    stored (warehouse_build keeps tier history beside the warehouse file), as a night does."""
    incremental_file = build_file.with_name(f"increment-{tag}.duckdb")
    shutil.copyfile(build_file, incremental_file)
    target = work / f"target-{tag}"  # the build's: its saved parse serves, as the last night's serves a night
    try:
        run = measured(warehouse_build(landing, NEXT_DAY, incremental_file, target), env)
    finally:  # the copy and what a build leaves beside it: a later repetition would reuse its CSV scans
        incremental_file.unlink(missing_ok=True)
        shutil.rmtree(inventory_dir(incremental_file), ignore_errors=True)
        landing_marker(incremental_file).unlink(missing_ok=True)
    if "error" in run:
        raise RuntimeError(f"incremental dbt build failed: {run['error']}")
    return {**run, **dbt_timings(target, run["seconds"])}


def without_progress_bars(output: str) -> str:
    return "\n".join(line for line in output.splitlines() if "\u2595" not in line)


def error_line(error: str) -> str:
    """The line of a failed stage's output that names the error."""
    named = [line for line in error.splitlines() if "Error" in line or "Exception" in line]
    return (named[-1] if named else error)[:300]


def median_stage(values: list[dict]) -> dict:
    ok = [v for v in values if "seconds" in v and "error" not in v]
    if not ok:
        failed = values[0].get("error")
        return {
            "runs": values,
            "note": values[0].get("skipped")
            or f"failed after {values[0]['seconds']} s ({values[0]['peak_mb']} MB): {error_line(failed)}",
        }
    return {
        "seconds": round(statistics.median(v["seconds"] for v in ok), 2),
        "peak_mb": max(v["peak_mb"] for v in ok),
        "answer": ok[-1].get("answer"),
        "slowest": ok[-1].get("slowest"),
        "parts": ok[-1].get("parts"),
        "nodes": ok[-1].get("nodes"),
        "runs": [{k: v[k] for k in ("seconds", "peak_mb") if k in v} for v in values],
    }


def in_child(code: str, *args: str) -> None:
    """Data preparation in a child process: keeps the benchmark process's peak memory (inherited
    by every measured child) small."""
    subprocess.run(
        python(code, *args), cwd=PROJECT_DIR, check=True, stdout=subprocess.DEVNULL
    )  # DuckDB's progress bars


class SizeFailed(RuntimeError):
    """A size that could not finish, with the stages it measured before (seconds, peak memory)."""

    def __init__(self, cause: str, stages: dict):
        super().__init__(cause)
        self.stages = stages


def run_size(
    customers: int, work: Path, repeat: int, pandas_max: int, pandas_repeat: int | None = None, keep: bool = False
) -> dict:
    pristine = work / f"landing-{customers}"
    if not (pristine / ".complete").exists():
        shutil.rmtree(pristine, ignore_errors=True)
        in_child(
            "import sys; from pathlib import Path; from devtools.generator.cli import Spec, generate;"
            "generate(Spec(customers=int(sys.argv[1]), seed=42), Path(sys.argv[2]))",
            str(customers),
            str(pristine),
        )
        (pristine / ".complete").write_text("")
    landing = work / f"run-{customers}"  # hard links: the increment only adds files
    shutil.rmtree(landing, ignore_errors=True)
    shutil.copytree(pristine, landing, copy_function=os.link)
    import duckdb

    with duckdb.connect(config={"memory_limit": "1GB"}) as con:
        lines = con.sql(f"select count(*) from read_parquet('{landing}/order_lines/*.parquet')").fetchone()[0]
    home = work / f"home-{customers}"
    build_file = home / "build" / f"warehouse-{AS_OF}.duckdb"  # where publish looks for the audited build
    build_file.parent.mkdir(parents=True, exist_ok=True)
    env = {"WAREHOUSE_PATH": str(build_file), "WAREHOUSE_HOME": str(home)}
    stages: dict[str, list[dict]] = {}
    try:
        measure_size(customers, landing, work, build_file, env, repeat, pandas_max, pandas_repeat, stages)
    except (RuntimeError, subprocess.CalledProcessError, OSError) as failure:
        raise SizeFailed(str(failure), {name: median_stage(values) for name, values in stages.items()}) from failure
    finally:
        if not keep:  # a size's build is as large as its landing several times over: the next size needs the disk
            shutil.rmtree(home, ignore_errors=True)
            shutil.rmtree(landing, ignore_errors=True)
    med = {name: median_stage(values) for name, values in stages.items()}
    return {"customers": customers, "order_lines": lines, "stages": med, "ratios": ratios(med)}


def measure_size(customers, landing, work, build_file, env, repeat, pandas_max, pandas_repeat, stages) -> None:
    """The pipeline and the baselines `repeat` times, then the increment `repeat` times; each
    repetition's runs are added to `stages` when it finishes (a later failure keeps them)."""
    for i in range(repeat):
        build_file.unlink(missing_ok=True)
        runs = {
            **pipeline_stages(landing, work, build_file, env, f"{customers}-{i}"),
            **baseline_stages(landing, work, customers, pandas_max, pandas_repeat is None or i < pandas_repeat),
        }
        for name, value in runs.items():
            stages.setdefault(name, []).append(value)
    in_child(
        "import sys; from datetime import date; from pathlib import Path;"
        "from devtools.generator.increment import append_day;"
        "append_day(Path(sys.argv[1]), date.fromisoformat(sys.argv[2]))",
        str(landing),
        NEXT_DAY.isoformat(),
    )
    for i in range(repeat):
        stages.setdefault("dbt_increment", []).append(
            increment_stage(landing, work, build_file, env, f"{customers}-{i}")
        )


def seconds(med: dict, stage: str) -> float | None:
    return med[stage].get("seconds")


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


def ratios(med: dict) -> dict:
    pipeline = sum(seconds(med, s) for s in PIPELINE)
    return {
        "dbt_build_over_single_pass": ratio(seconds(med, "dbt_build"), seconds(med, "single_pass_query")),
        "pipeline_over_single_pass": ratio(pipeline, seconds(med, "single_pass_query")),
        "pandas_over_dbt_build": ratio(seconds(med, "pandas"), seconds(med, "dbt_build")),
        "increment_over_dbt_build": ratio(seconds(med, "dbt_increment"), seconds(med, "dbt_build")),
        "pipeline_seconds": round(pipeline, 2),
        "pipeline_peak_mb": max(med[s]["peak_mb"] for s in (*PIPELINE, "dbt_increment")),
    }


def machine() -> dict:
    mem_kb = int(
        next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")).split()[1]
    )
    import duckdb

    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "platform": platform.platform(),
        "date": date.today().isoformat(),
        "duckdb_settings": DUCKDB_SETTINGS,
    }


def _cell(med: dict, stage: str, key: str = "seconds") -> str:
    value = med[stage].get(key)
    return "n/a" if value is None else f"{value:,}" if isinstance(value, int) else str(value)


def markdown(results: dict) -> str:
    m = results["machine"]
    out = [
        f"# Benchmark\n\n{m['cpus']} CPUs, {m['memory_gb']} GB, Python {m['python']}, DuckDB {m['duckdb']}, "
        f"{m['platform']}, {m['date']}; DuckDB {m['duckdb_settings']}; medians of the runs shown; peak memory "
        f"is the stage's own process (the benchmark process, {results.get('benchmark_process_peak_mb', 'n/a')} MB "
        "at its peak, is a floor under every figure); written by "
        "`warehouse-benchmark` (see ANALYSIS.md for what the figures mean).\n",
        "Measured: "
        + "; ".join(
            f"{r['customers']:,} on {r.get('measured', {}).get('date', 'n/a')} at commit "
            f"{r.get('measured', {}).get('commit', 'n/a')} (load average {r.get('measured', {}).get('load_average', 'n/a')})"
            for r in results["sizes"]
        )
        + ".\n",
        "## Seconds per stage (peak MB in brackets)\n",
        "| customers | order lines | runs | dbt build | GX audit | publish | report | pipeline | single pass | pandas "
        "| increment |",
        "|" + "---|" * 11,
    ]
    for r in results["sizes"]:
        s = r["stages"]
        cell = lambda st: (
            "not measured"  # a stage added after these figures were taken
            if st not in s
            else f"{_cell(s, st)} ({_cell(s, st, 'peak_mb')})"
            if "seconds" in s[st]
            else "failed"
            if s[st].get("note", "").startswith("failed")
            else "skipped"
        )
        out.append(
            f"| {r['customers']:,} | {r['order_lines']:,} | {len(s['dbt_build']['runs'])} | {cell('dbt_build')} | "
            f"{cell('gx_audit')} | {cell('publish')} | {cell('report')} | {r['ratios']['pipeline_seconds']} | {cell('single_pass_query')} | "
            f"{cell('pandas')} | {cell('dbt_increment')} |"
        )
    out += [
        "\n## Ratios within each size\n",
        "| customers | build / single pass | pipeline / single pass | pandas / build | increment / build | "
        "build µs per order line | single pass µs per order line |",
        "|" + "---|" * 7,
    ]
    for r in results["sizes"]:
        q, s = r["ratios"], r["stages"]
        per_line = lambda st: "n/a" if not seconds(s, st) else round(seconds(s, st) / r["order_lines"] * 1e6, 2)
        na = lambda key: "n/a" if q[key] is None else q[key]
        out.append(
            f"| {r['customers']:,} | {na('dbt_build_over_single_pass')} | {na('pipeline_over_single_pass')} | "
            f"{na('pandas_over_dbt_build')} | {na('increment_over_dbt_build')} | {per_line('dbt_build')} | "
            f"{per_line('single_pass_query')} |"
        )
    for size in (r for r in results["sizes"] if r["customers"] >= 1_000_000):  # the issue sets them at 1M
        out += [
            f"\n## Targets at {size['customers']:,} customers\n",
            "| target | measured | bound | met |",
            "|---|---|---|---|",
        ]
        out += [
            f"| {v['target']} | {'n/a' if v['measured'] is None else v['measured']} | {v['bound']} | {'yes' if v['met'] else 'no' if v['met'] is False else 'n/a'} |"
            for v in verdicts(size)
        ]
    out.append("\n## Same answers (buyers, their contribution, default pyramid)\n")
    for r in results["sizes"]:
        s = r["stages"]
        out.append(
            f"- {r['customers']:,}: warehouse {s['dbt_build'].get('answer')}; single pass "
            f"{s['single_pass_query'].get('answer') or s['single_pass_query'].get('note')}; pandas "
            f"{s['pandas'].get('answer') or s['pandas'].get('note')}"
        )
    for failed in results.get("failed", []):
        out.append(f"\n## {failed['customers']:,} customers: failed\n\n```\n{failed['error'][-1500:]}\n```")
        done = [
            f"{name} {st['seconds']} s ({st['peak_mb']:,} MB)"
            for name, st in failed.get("stages", {}).items()
            if "seconds" in st
        ]
        if done:
            out.append(f"\nMeasured before it failed (medians): {'; '.join(done)}.")
    out.append("\n## Slowest dbt nodes (dbt's run_results.json, last run)\n")
    for r in results["sizes"]:
        for stage in ("dbt_build", "dbt_increment"):
            nodes = ", ".join(f"{n['node']} {n['seconds']} s" for n in r["stages"][stage].get("slowest") or [])
            out.append(f"- {r['customers']:,} {stage.replace('_', ' ')}: {nodes}")
    return "\n".join(out) + "\n"


def load_average() -> str:
    """The machine's 1/5/15-minute load average (others' work moves the seconds, less the ratios)."""
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def report_files(out: Path) -> list[Path]:
    """The files a run writes: results.json, results.md and ANALYSIS.md beside them."""
    return [out.with_suffix(".json"), out.with_suffix(".md"), out.parent / "ANALYSIS.md"]


def provenance(load_at_start: str, out: Path) -> dict:
    """When and on which commit a size was measured (+changes: with uncommitted changes outside
    benchmarks/ and the run's own report files), and the load around it."""
    git = lambda *args: subprocess.run(["git", *args], cwd=PROJECT_DIR, capture_output=True, text=True).stdout.strip()
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    root = PROJECT_DIR.resolve()
    own = [f":(exclude){f.relative_to(root)}" for f in map(Path.resolve, report_files(out)) if f.is_relative_to(root)]
    return {
        "date": date.today().isoformat(),
        "commit": commit + ("+changes" if git("status", "--porcelain", "--", ".", ":!benchmarks", *own) else ""),
        "load_average": f"start {load_at_start}, end {load_average()}",
    }


COMPARABLE = ("cpus", "memory_gb", "duckdb", "duckdb_settings")


def starting_results(out: Path, sizes: list[int], append: bool) -> dict:
    """Fresh results, or with --append the earlier ones minus the sizes measured again; sizes
    measured on another machine or with other DuckDB settings are refused, not mixed."""
    fresh = {"machine": machine(), "sizes": []}
    if not append or not out.with_suffix(".json").exists():
        return fresh
    earlier = json.loads(out.with_suffix(".json").read_text())
    differ = [k for k in COMPARABLE if earlier["machine"].get(k) != fresh["machine"][k]]
    if differ:
        raise SystemExit(
            f"--append: {out.with_suffix('.json')} was measured with other {', '.join(differ)}; run without --append"
        )
    return {
        **earlier,
        "machine": fresh["machine"],
        "sizes": [r for r in earlier["sizes"] if r["customers"] not in sizes],
        "failed": [f for f in earlier.get("failed", []) if f["customers"] not in sizes],
    }


def write_reports(results: dict, out: Path) -> None:
    """results.md and ANALYSIS.md beside results.json, both generated from the results."""
    _, md, analysis_file = report_files(out)
    md.write_text(markdown(results))
    analysis_file.write_text(analysis(results))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        prog="warehouse-benchmark", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument(
        "--repeat-largest", type=int, default=None, help="repetitions for the largest size (default: --repeat)"
    )
    p.add_argument(
        "--pandas-max-customers",
        type=int,
        default=1_000_000,
        help="skip the pandas baseline above this size (it needs about 17 GB at 1M customers)",
    )
    p.add_argument(
        "--pandas-repeat",
        type=int,
        default=None,
        help="run the pandas baseline in only the first N repetitions of a size (default: every one)",
    )
    p.add_argument(
        "--append",
        action="store_true",
        help="keep the other sizes of an earlier results file from the same machine and settings",
    )
    p.add_argument(
        "--keep-homes",
        action="store_true",
        help="keep each size's build and its landing with the added day (default: deleted once the size is done)",
    )
    p.add_argument("--work", type=Path, default=PROJECT_DIR / "warehouse" / "benchmark")
    p.add_argument("--out", type=Path, default=PROJECT_DIR / "benchmarks" / "results")
    p.add_argument(
        "--analysis-only",
        action="store_true",
        help="measure nothing: write results.md and ANALYSIS.md again from results.json",
    )
    a = p.parse_args(argv)
    if a.analysis_only:
        write_reports(json.loads(a.out.with_suffix(".json").read_text()), a.out)
        return 0
    a.work.mkdir(parents=True, exist_ok=True)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    results = starting_results(a.out, a.sizes, a.append)
    for size in sorted(a.sizes):
        print(f"benchmarking {size:,} customers ...", file=sys.stderr, flush=True)
        load_at_start = load_average()
        repeat = a.repeat_largest if size == max(a.sizes) and a.repeat_largest else a.repeat
        try:
            results["sizes"].append(
                {
                    **run_size(size, a.work, repeat, a.pandas_max_customers, a.pandas_repeat, a.keep_homes),
                    "measured": provenance(load_at_start, a.out),
                }
            )
        # a size that cannot finish (a failed stage, a full disk) is a result too
        except (RuntimeError, subprocess.CalledProcessError, OSError) as failure:
            done = getattr(failure, "stages", {})  # what it measured before
            results.setdefault("failed", []).append(
                {
                    "customers": size,
                    "error": str(failure)[-3000:],
                    "measured": provenance(load_at_start, a.out),
                    "stages": done,
                }
            )
        results["sizes"].sort(key=lambda r: r["customers"])
        results["benchmark_process_peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        results["targets"] = [{"customers": r["customers"], "verdicts": verdicts(r)} for r in results["sizes"]]
        print(json.dumps(results["sizes"][-1]["ratios"] if results["sizes"] else {}), file=sys.stderr, flush=True)
        a.out.with_suffix(".json").write_text(
            json.dumps(results, indent=2, default=str)
        )  # after each size: nothing lost
        write_reports(results, a.out)
    print(markdown(results))
    return 1 if results.get("failed") else 0


if __name__ == "__main__":
    sys.exit(main())
