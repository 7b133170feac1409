"""`warehouse-benchmark`: the nightly pipeline against two baselines, on generated landing zones.

For each size: the full pipeline (dbt build with every test, GX audit, publish) stage by stage,
a hand-written single-pass DuckDB query computing per-customer contribution and the default
pyramid (the lower bound), and a plain pandas implementation of the same figures (what a
user would otherwise write). Every measurement runs in its own process: wall time and peak
memory (max RSS) come from that process. Medians over --repeat runs; ratios are taken within
the same invocation. Results (with machine facts) go to a JSON and a Markdown file.
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from orchestration.dbt_args import build_args, dbt_executable
from orchestration.project import PROJECT_DIR

AS_OF = date(2026, 6, 30)
NEXT_DAY = date(2026, 7, 1)
# the lower bound is a lower bound for time, not memory: its re-delivery windows over every
# line do not fit the warehouse's 4 GB at 1M customers
BASELINE_MEMORY = "12GB"
DUCKDB_SETTINGS = {"threads": os.environ.get("WAREHOUSE_THREADS", "2"),
                   "memory_limit": os.environ.get("WAREHOUSE_MEMORY_LIMIT", "4GB")}

SINGLE_PASS_SQL = """
with lines as (
    select * from read_parquet('{d}/order_lines/*.parquet', filename = true)
    union all by name
    select * from read_csv('{d}/order_lines/*.csv', filename = true, all_varchar = true)
), orders as (
    select * from read_parquet('{d}/orders/*.parquet', filename = true)
    union all by name
    select * from read_csv('{d}/orders/*.csv', filename = true, all_varchar = true)
), events as (
    select * from read_parquet('{d}/service_events/*.parquet', filename = true)
    union all by name
    select * from read_csv('{d}/service_events/*.csv', filename = true, all_varchar = true)
), rates as (
    select * from read_parquet('{d}/activity_rates/*.parquet')
), sales as (
    select o.customer_id,
           sum(try_cast(l.quantity as decimal(38,0)) * try_cast(l.unit_price as decimal(18,2)) - try_cast(l.discount_amount as decimal(18,2))) as revenue,
           sum(try_cast(l.quantity as decimal(38,0)) * try_cast(l.unit_cost as decimal(18,2))) as cogs
    from (from lines qualify row_number() over (partition by order_id, try_cast(line_number as int) order by filename desc) = 1) l
    join (from orders qualify row_number() over (partition by order_id order by filename desc) = 1) o using (order_id)
    where o.status = 'completed' and try_cast(o.order_ts as timestamp)::date > date '{asof}' - 365 and try_cast(o.order_ts as timestamp)::date <= date '{asof}'
    group by 1
), cost as (
    select e.customer_id, sum(try_cast(e.quantity as decimal(38,2)) * r.rate_per_unit) as cost
    from (from events qualify row_number() over (partition by event_id order by filename desc) = 1) e
    join rates r on r.activity = e.activity and try_cast(e.event_ts as timestamp)::date between r.valid_from and r.valid_to
    where try_cast(e.event_ts as timestamp)::date > date '{asof}' - 365 and try_cast(e.event_ts as timestamp)::date <= date '{asof}'
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
def load(table, columns, key):
    files = sorted(glob.glob(f"{d}/{table}/*.parquet") + glob.glob(f"{d}/{table}/*.csv"))
    parts = [(pd.read_parquet(f, columns=columns, dtype_backend="pyarrow") if f.endswith(".parquet")
              else pd.read_csv(f, usecols=columns, dtype=str, dtype_backend="pyarrow")).astype(str).assign(_file=f)
             for f in files]
    return pd.concat(parts, ignore_index=True).drop_duplicates(key, keep="last")
lines = load("order_lines", ["order_id", "line_number", "quantity", "unit_price", "discount_amount", "unit_cost"], ["order_id", "line_number"])
orders = load("orders", ["order_id", "customer_id", "order_ts", "status"], ["order_id"])
events = load("service_events", ["event_id", "customer_id", "event_ts", "activity", "quantity"], ["event_id"])
rates = pd.read_parquet(glob.glob(f"{d}/activity_rates/*.parquet"))
for c in ("quantity", "unit_price", "discount_amount", "unit_cost"):
    lines[c] = pd.to_numeric(lines[c], errors="coerce")
orders["day"] = pd.to_datetime(orders["order_ts"], errors="coerce").dt.normalize()
sales = lines.merge(orders[(orders.status == "completed") & (orders.day > asof - pd.Timedelta(days=365)) & (orders.day <= asof)],
                    on="order_id")
sales["revenue"] = sales.quantity * sales.unit_price - sales.discount_amount
sales["cogs"] = sales.quantity * sales.unit_cost
per_customer = sales.groupby("customer_id")[["revenue", "cogs"]].sum()
events["day"] = pd.to_datetime(events["event_ts"], errors="coerce").dt.normalize()
events["quantity"] = pd.to_numeric(events["quantity"], errors="coerce")
events = events[(events.day > asof - pd.Timedelta(days=365)) & (events.day <= asof)].merge(rates, on="activity")
events = events[(events.day >= pd.to_datetime(events.valid_from)) & (events.day <= pd.to_datetime(events.valid_to))]
events["cost"] = events.quantity * events.rate_per_unit.astype(float)
cost = events.groupby("customer_id")["cost"].sum()
table = per_customer.join(cost, how="outer").fillna(0)
table["contribution"] = table.revenue - table.cogs - table.cost
buyers = table[table.index.isin(per_customer.index)].sort_values(["revenue"], ascending=False).reset_index()
n = len(buyers)
buyers["tier"] = pd.cut(buyers.index + 1, [0, round(0.01 * n), round(0.05 * n), round(0.2 * n), n], labels=list("ABCD"))
print(n, buyers.contribution.sum(), buyers.tier.value_counts().to_dict())
"""


def measured(cmd: list[str], env: dict | None = None) -> dict:
    """Run one stage in its own process: wall seconds and that process's peak memory."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=PROJECT_DIR, env={**os.environ, **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} failed:\n{output[-3000:]}")
    return {"seconds": round(seconds, 2), "peak_mb": round(usage.ru_maxrss / 1024)}


def python(code: str, *args: str) -> list[str]:
    return [sys.executable, "-c", code, *args]


def run_size(customers: int, work: Path, repeat: int) -> dict:
    from orchestration.generator.cli import Spec, generate
    from orchestration.generator.increment import append_day
    pristine = work / f"landing-{customers}"
    if not (pristine / ".complete").exists():
        generate(Spec(customers=customers, seed=42), pristine)
        (pristine / ".complete").write_text("")
    landing = work / f"run-{customers}"  # a copy: the increment adds a day to it
    shutil.rmtree(landing, ignore_errors=True)
    shutil.copytree(pristine, landing)
    import duckdb
    lines = duckdb.sql(f"select count(*) from read_parquet('{landing}/order_lines/*.parquet')").fetchone()[0]
    build_file = work / f"build-{customers}.duckdb"
    env = {"WAREHOUSE_PATH": str(build_file), "WAREHOUSE_HOME": str(work / f"home-{customers}")}
    settings = ", ".join(f"{k} = '{v}'" for k, v in DUCKDB_SETTINGS.items())
    stages: dict[str, list[dict]] = {}
    for _ in range(repeat):
        build_file.unlink(missing_ok=True)
        runs = {
            "dbt_build": measured([dbt_executable(), *build_args(PROJECT_DIR, landing, AS_OF)], env),
            "gx_audit": measured(python(
                "import sys; from pathlib import Path; from orchestration.audit import audit_warehouse;"
                "r = audit_warehouse(Path(sys.argv[1]), 'benchmark'); sys.exit(0 if all(x.success for x in r) else 1)",
                str(build_file))),
            "publish": measured(python(
                "import sys; from pathlib import Path; from orchestration.publish import publish;"
                "from orchestration.settings import Paths; publish(Paths.from_env(), Path(sys.argv[1]), sys.argv[2])",
                str(build_file), AS_OF.isoformat()), env),
            "single_pass_query": measured(python(
                f"import duckdb, sys; con = duckdb.connect(config={{'threads': {DUCKDB_SETTINGS['threads']}, "
                f"'memory_limit': '{BASELINE_MEMORY}', 'temp_directory': sys.argv[2], "
                f"'preserve_insertion_order': False}}); print(con.sql(sys.argv[1]).fetchall())",
                SINGLE_PASS_SQL.format(d=landing, asof=AS_OF), str(work / "spill"))),
            "pandas": measured(python(PANDAS_SCRIPT, str(landing), AS_OF.isoformat())),
        }
        for name, value in runs.items():
            stages.setdefault(name, []).append(value)
    append_day(landing, NEXT_DAY)
    incremental_file = work / f"increment-{customers}.duckdb"
    for _ in range(repeat):
        shutil.copyfile(build_file, incremental_file)
        stages.setdefault("dbt_increment", []).append(measured(
            [dbt_executable(), *build_args(PROJECT_DIR, landing, NEXT_DAY)], {**env, "WAREHOUSE_PATH": str(incremental_file)}))
    med = {name: {"seconds": statistics.median(v["seconds"] for v in values),
                  "peak_mb": max(v["peak_mb"] for v in values), "runs": values}
           for name, values in stages.items()}
    pipeline = sum(med[s]["seconds"] for s in ("dbt_build", "gx_audit", "publish"))
    return {
        "customers": customers, "order_lines": lines, "stages": med,
        "pipeline_seconds": round(pipeline, 2),
        "ratios": {
            "dbt_build_over_single_pass": round(med["dbt_build"]["seconds"] / med["single_pass_query"]["seconds"], 2),
            "pipeline_over_single_pass": round(pipeline / med["single_pass_query"]["seconds"], 2),
            "pandas_over_dbt_build": round(med["pandas"]["seconds"] / med["dbt_build"]["seconds"], 2),
            "increment_over_dbt_build": round(med["dbt_increment"]["seconds"] / med["dbt_build"]["seconds"], 2),
        },
        "settings": settings,
    }


def machine() -> dict:
    mem_kb = int(next(l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")).split()[1])
    import duckdb
    return {"cpus": os.cpu_count(), "memory_gb": round(mem_kb / 1024 / 1024, 1), "python": platform.python_version(),
            "duckdb": duckdb.__version__, "platform": platform.platform(), "date": date.today().isoformat(),
            "duckdb_settings": DUCKDB_SETTINGS}


def markdown(results: dict) -> str:
    rows = ["| customers | order lines | runs | dbt build s | GX audit s | publish s | pipeline s | single pass s | pandas s | "
            "increment s | build / single pass | pandas / build | increment / build | peak MB build | peak MB pandas |",
            "|" + "---|" * 15]
    for r in results["sizes"]:
        s = r["stages"]
        rows.append(f"| {r['customers']:,} | {r['order_lines']:,} | {len(s['dbt_build']['runs'])} | {s['dbt_build']['seconds']} | {s['gx_audit']['seconds']} | "
                    f"{s['publish']['seconds']} | {r['pipeline_seconds']} | {s['single_pass_query']['seconds']} | "
                    f"{s['pandas']['seconds']} | {s['dbt_increment']['seconds']} | {r['ratios']['dbt_build_over_single_pass']} | "
                    f"{r['ratios']['pandas_over_dbt_build']} | {r['ratios']['increment_over_dbt_build']} | "
                    f"{s['dbt_build']['peak_mb']} | {s['pandas']['peak_mb']} |")
    m = results["machine"]
    return (f"# Benchmark\n\n{m['cpus']} CPUs, {m['memory_gb']} GB, Python {m['python']}, DuckDB {m['duckdb']}, "
            f"{m['platform']}, {m['date']}; DuckDB {m['duckdb_settings']}; medians over the runs shown.\n\n"
            + "\n".join(rows) + "\n")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="warehouse-benchmark", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--repeat-largest", type=int, default=None,
                   help="repetitions for the largest size (default: --repeat)")
    p.add_argument("--work", type=Path, default=PROJECT_DIR / "warehouse" / "benchmark")
    p.add_argument("--out", type=Path, default=PROJECT_DIR / "benchmarks" / "results")
    a = p.parse_args(argv)
    a.work.mkdir(parents=True, exist_ok=True)
    results = {"machine": machine(), "repeat": a.repeat, "sizes": []}
    a.out.parent.mkdir(parents=True, exist_ok=True)
    for size in sorted(a.sizes):
        print(f"benchmarking {size:,} customers ...", file=sys.stderr, flush=True)
        repeat = a.repeat_largest if size == max(a.sizes) and a.repeat_largest else a.repeat
        results["sizes"].append(run_size(size, a.work, repeat))
        print(json.dumps(results["sizes"][-1]["ratios"]), file=sys.stderr, flush=True)
        a.out.with_suffix(".json").write_text(json.dumps(results, indent=2))  # after each size: nothing lost
        a.out.with_suffix(".md").write_text(markdown(results))
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
