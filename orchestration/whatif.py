"""`warehouse-whatif`: alternative seeds (tier schemes, cut-offs, settings, service policies...)
evaluated against a built warehouse, without touching the served file or the build.

    warehouse-whatif ALTERNATIVE.csv [...] [--build FILE] [--json] [--csv FILE]

Each CSV replaces the seed of its file name (tier_schemes.csv replaces seeds/tier_schemes.csv).
The latest build of $WAREHOUSE_HOME (or --build) is copied twice, the alternative seeds are
loaded into one copy and only what is downstream of them is rebuilt (dbt, with the build's
landing inventory); before and after are then compared with SQL: customers changing default
tier, revenue and contribution per tier of every scheme, planned service cost and small-balance
fee income per tier, and the actions that change. Without a build in the warehouse home, the
landing folder is built into a temporary folder first.

The rebuild runs in one project copy per home (<home>/whatif: the project, dbt's saved parse,
the copy it rebuilds at a fixed path), so dbt reuses its parse from one what-if to the next;
one what-if at a time per home (a lock).
"""

import argparse
import csv
import fcntl
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import yaml

from orchestration.dbt_args import build_args, dbt_env, dbt_executable
from orchestration.dbt_runner import run_dbt_build
from orchestration.run_lock import LockHeld, acquire, release
from tiering import db
from tiering.landing import inventory_file
from tiering.project import PROJECT_DIR
from tiering.settings import Settings, duckdb_config, entry_point_settings

SEEDS_DIR = PROJECT_DIR / "seeds"
PROJECT_PARTS = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests/dbt")
AFTER_FILE = "after.duckdb"  # in the home's what-if folder: one path, so dbt's saved parse serves


class WhatIfError(Exception):
    """The what-if cannot run; the message is its one-line cause."""


# ---------------------------------------------------------------- alternative seeds


def seed_column_types(seeds_dir: Path = SEEDS_DIR) -> dict[str, dict[str, str]]:
    """Seed name -> {column: DuckDB type} from the seeds' YAML (column_types)."""
    types = {}
    for doc in sorted(seeds_dir.glob("*.yml")):
        for seed in yaml.safe_load(doc.read_text()).get("seeds", []):
            types[seed["name"]] = seed.get("config", {}).get("column_types", {})
    return types


def read_header(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as f:
        return next(csv.reader(f), [])


def check_alternative(path: Path, seeds_dir: Path = SEEDS_DIR) -> str:
    """The seed an alternative CSV replaces; WhatIfError with a one-line cause when the file is
    not a seed's, lacks or adds columns, or holds a value that is not of its column's type."""
    path = Path(path)
    name = path.stem
    original = seeds_dir / f"{name}.csv"
    if not path.is_file():
        raise WhatIfError(f"{path}: no such file")
    if not original.is_file():
        raise WhatIfError(f"{path}: no seed {name} in {seeds_dir} (the file name says which seed it replaces)")
    try:
        header, expected = read_header(path), read_header(original)
    except (UnicodeDecodeError, csv.Error) as e:
        raise WhatIfError(f"{path}: not a readable CSV: {e}") from None
    if sorted(header) != sorted(expected):
        missing, extra = sorted(set(expected) - set(header)), sorted(set(header) - set(expected))
        raise WhatIfError(f"{path}: columns differ from seed {name}: missing {missing}, unknown {extra}")
    bad = first_bad_value(path, seed_column_types(seeds_dir).get(name, {}))
    if bad:
        raise WhatIfError(f"{path}: {bad}")
    return name


def first_bad_value(path: Path, column_types: dict[str, str]) -> str | None:
    """'line N: column 'value' is not TYPE' for the first value that does not cast, or a row of
    the wrong length; None when every value fits."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        for line, row in enumerate(reader, start=2):
            if len(row) != len(header):
                return f"line {line}: {len(row)} fields, the header has {len(header)}"
            for column, value in zip(header, row):
                kind = column_types.get(column)
                if kind and value != "" and not casts(value, kind):
                    return f"line {line}: {column} {value!r} is not {kind}"
    return None


def casts(value: str, kind: str) -> bool:
    return duckdb.execute(f"select try_cast(? as {kind}) is not null", [value]).fetchone()[0]


# ---------------------------------------------------------------- the rebuild


def latest_build(paths: Settings) -> Path | None:
    """The newest build file of the warehouse home that has its landing inventory."""
    builds = sorted(p for p in paths.build_dir.glob("warehouse-*.duckdb") if inventory_file(p).exists())
    return builds[-1] if builds else None


def build_as_of(build: Path) -> date:
    with db.connect(build, read_only=True) as con:
        return con.execute("select max(as_of_date) from company_pnl").fetchone()[0]


def copy_project(dest: Path, alternatives: dict[str, Path]) -> Path:
    """The dbt project copied to `dest` with the alternative seeds in place of the originals;
    what an earlier copy left there is replaced, except dbt's target and log folders (its saved
    parse: dbt compares each file's contents with it)."""
    for part in PROJECT_PARTS:
        source, target = PROJECT_DIR / part, dest / part
        if target.is_dir():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if source.is_dir() else shutil.copyfile)(source, target)
    for name, path in alternatives.items():
        shutil.copyfile(path, dest / "seeds" / f"{name}.csv")
    return dest


def downstream_selector(seeds: list[str]) -> str:
    return " ".join(f"{s}+" for s in sorted(seeds))


def dbt_failure(project: Path, output: str) -> str:
    """One line: the first failed node and the first line of its message, else dbt's last line."""
    results = project / "target" / "run_results.json"
    if results.exists():
        for r in json.loads(results.read_text()).get("results", []):
            if r.get("status") in ("error", "fail", "runtime error"):
                message = " ".join((r.get("message") or r["status"]).split())
                return f"the alternative seeds fail {r['unique_id']}: {message[:300]}"
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return f"dbt failed: {lines[-1] if lines else 'no output'}"


def rebuild(project: Path, warehouse: Path, inventory: Path, as_of: date, seeds: list[str], settings: Settings) -> None:
    """`dbt build` of the alternative seeds and everything downstream of them, into `warehouse`."""
    # dbt's artifacts stay in the copied project (dbt_failure reads its run_results.json)
    base = {**os.environ, "DBT_TARGET_PATH": str(project / "target"), "DBT_LOG_PATH": str(project / "logs")}
    env = dbt_env(settings, warehouse, inventory, as_of, base)
    cmd = [dbt_executable(), *build_args(project, downstream_selector(seeds))]
    (project / "target" / "run_results.json").unlink(missing_ok=True)  # an earlier what-if's
    done = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise WhatIfError(dbt_failure(project, done.stdout + done.stderr))


def copy_sides(source: Path, before: Path, after: Path) -> tuple[Path, Path]:
    """Two copies of a build: `before` to compare with, `after` to rebuild."""
    for dest in (before, after):
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest)
        wal = source.with_name(source.name + ".wal")  # changes DuckDB has not yet checkpointed
        if wal.exists():
            shutil.copyfile(wal, dest.with_name(dest.name + ".wal"))
        else:
            dest.with_name(dest.name + ".wal").unlink(missing_ok=True)
    return before, after


def copy_base(paths: Settings, build: Path | None, work: Path) -> tuple[Path, Path, Path]:
    """(before, after, landing inventory): copies of the given build, else of the latest build of
    the warehouse home (taken under its run lock, so no night writes it meanwhile), else of the
    landing folder built into `work`. `after` is at the home's fixed what-if path."""
    sides = work / "before" / "warehouse.duckdb", paths.whatif_dir / AFTER_FILE
    if build is None:
        run_id = f"whatif-{os.getpid()}"
        try:
            acquire(paths.lock_file, run_id, log=lambda _: None)
        except LockHeld as e:
            raise WhatIfError(str(e)) from None
        try:
            build = latest_build(paths)
            if build is not None:
                return *copy_sides(build, *sides), inventory_file(build)
        finally:
            release(paths.lock_file, run_id)
        build = work / "base" / "warehouse.duckdb"
        done = run_dbt_build(paths.landing_dir, None, build, capture=True, settings=paths)
        if done.returncode != 0:
            lines = done.stdout.strip().splitlines() or ["no output"]
            raise WhatIfError(f"no build in {paths.build_dir} and the landing folder does not build: {lines[-1]}")
    if not inventory_file(build).exists():
        raise WhatIfError(f"{build}: no landing inventory beside it ({inventory_file(build)})")
    return *copy_sides(build, *sides), inventory_file(build)


@contextmanager
def whatif_folder(paths: Settings) -> Iterator[Path]:
    """The home's what-if folder, held by this process (one what-if at a time per home); the
    rebuilt copy is removed when the what-if ends (the project and dbt's parse stay)."""
    folder = paths.whatif_dir
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WhatIfError(f"another what-if is running on {paths.home}: try again when it ends") from None
        try:
            yield folder
        finally:
            for leftover in (folder / AFTER_FILE, folder / f"{AFTER_FILE}.wal"):
                leftover.unlink(missing_ok=True)


def run_whatif(alternatives: list[Path], paths: Settings, build: Path | None = None, work: Path | None = None) -> dict:
    """Checks the alternatives, rebuilds a copy of the build with them and compares."""
    named = {check_alternative(p): Path(p).resolve() for p in alternatives}
    if len(named) != len(alternatives):
        raise WhatIfError("two alternative files replace the same seed")
    with whatif_folder(paths) as folder, tempfile.TemporaryDirectory(prefix="whatif-", dir=work) as tmp:
        before, after, inventory = copy_base(paths, build, Path(tmp))
        as_of = build_as_of(before)
        rebuild(copy_project(folder / "project", named), after, inventory, as_of, list(named), paths)
        result = compare(before, after)
    result["as_of"] = as_of.isoformat()
    result["alternatives"] = {name: str(path) for name, path in sorted(named.items())}
    return result


# ---------------------------------------------------------------- before and after

COMPARISONS = {
    "customers_changing_tier": """
        select b.customer_id, coalesce(b.pyramid_tier, 'non_buyer') as tier_before,
               coalesce(a.pyramid_tier, 'non_buyer') as tier_after, b.net_revenue, b.contribution
        from b.customer_tiers as b inner join a.customer_tiers as a using (customer_id)
        where tier_before <> tier_after order by customer_id""",
    "tier_moves": """
        select coalesce(b.pyramid_tier, 'non_buyer') as tier_before,
               coalesce(a.pyramid_tier, 'non_buyer') as tier_after, count(*) as customers,
               sum(b.net_revenue) as net_revenue, sum(b.contribution) as contribution
        from b.customer_tiers as b inner join a.customer_tiers as a using (customer_id)
        where tier_before <> tier_after group by all order by all""",
    "tiers": """
        select scheme, tier, b.customers as customers_before, a.customers as customers_after,
               b.net_revenue as net_revenue_before, a.net_revenue as net_revenue_after,
               b.contribution as contribution_before, a.contribution as contribution_after
        from b.tier_profitability as b full join a.tier_profitability as a using (scheme, tier)
        order by scheme, coalesce(a.tier_order, b.tier_order), tier""",
    "service": """
        with plan_b as (select tier, sum(planned_cost) as cost from b.service_plan_vs_actual group by tier),
        plan_a as (select tier, sum(planned_cost) as cost from a.service_plan_vs_actual group by tier),
        tiers as (select tier, tier_order from b.fee_income union select tier, tier_order from a.fee_income)
        select t.tier, pb.cost as planned_cost_before, pa.cost as planned_cost_after,
               fb.customers_charged as fee_customers_before, fa.customers_charged as fee_customers_after,
               fb.fee_income_per_year as fee_income_before, fa.fee_income_per_year as fee_income_after
        from (select tier, min(tier_order) as tier_order from tiers group by tier) as t
        left join plan_b as pb using (tier) left join plan_a as pa using (tier)
        left join b.fee_income as fb using (tier) left join a.fee_income as fa using (tier)
        order by t.tier_order, t.tier""",
    "action_changes": """
        select b.action as action_before, a.action as action_after, count(*) as customers
        from b.customer_actions as b inner join a.customer_actions as a using (customer_id)
        where b.action <> a.action group by all order by customers desc, action_before, action_after""",
}


def compare(before: Path, after: Path) -> dict:
    """Every comparison of COMPARISONS as a list of row dicts; money stays Decimal."""
    with db.connect(config=duckdb_config()) as con:
        for alias, path in (("b", before), ("a", after)):
            con.execute(f"attach '{str(path).replace(chr(39), chr(39) * 2)}' as {alias} (read_only)")
        result = {}
        for key, sql in COMPARISONS.items():
            cur = con.execute(sql)
            columns = [d[0] for d in cur.description]
            result[key] = [dict(zip(columns, row)) for row in cur.fetchall()]
    return result


def totals(result: dict) -> dict:
    """Headline figures: customers changing tier, planned cost, fee income and changed actions."""
    service = result["service"]
    total = lambda key: sum((r[key] or Decimal(0)) for r in service)
    return {
        "customers_changing_tier": len(result["customers_changing_tier"]),
        "planned_cost_before": total("planned_cost_before"),
        "planned_cost_after": total("planned_cost_after"),
        "fee_income_before": total("fee_income_before"),
        "fee_income_after": total("fee_income_after"),
        "customers_changing_action": sum(r["customers"] for r in result["action_changes"]),
    }


# ---------------------------------------------------------------- output


def plain(value):
    """JSON- and CSV-friendly: decimals as exact strings, dates as ISO."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def to_json(result: dict) -> str:
    return json.dumps({**result, "totals": totals(result)}, default=plain, indent=2, sort_keys=True)


def text_table(rows: list[dict]) -> str:
    if not rows:
        return "  (none)"
    columns = list(rows[0])
    cells = [[("" if r[c] is None else str(plain(r[c]))) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    line = lambda values: "  " + "  ".join(v.rjust(w) for v, w in zip(values, widths))
    return "\n".join([line(columns), line(["-" * w for w in widths]), *map(line, cells)])


def render_text(result: dict) -> str:
    t = totals(result)
    parts = [
        f"What-if at {result['as_of']}: {', '.join(f'{k} <- {v}' for k, v in result['alternatives'].items())}",
        f"{t['customers_changing_tier']} customers change default tier; "
        f"{t['customers_changing_action']} change action; planned service cost "
        f"{t['planned_cost_before']} -> {t['planned_cost_after']}; fee income a year "
        f"{t['fee_income_before']} -> {t['fee_income_after']}",
    ]
    for key, title in (
        ("tier_moves", "Default tier moves"),
        ("tiers", "Revenue and contribution per tier (every scheme)"),
        ("service", "Planned service cost and fee income per default tier"),
        ("action_changes", "Actions that change"),
    ):
        parts += ["", title, text_table(result[key])]
    return "\n".join(parts) + "\n"


def to_csv(result: dict) -> str:
    """Long format: one line per section, row and measure, with before and after."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["section", "key", "measure", "before", "after"])
    for r in result["tiers"]:
        for m in ("customers", "net_revenue", "contribution"):
            w.writerow(["tiers", f"{r['scheme']}:{r['tier']}", m, plain(r[f"{m}_before"]), plain(r[f"{m}_after"])])
    for r in result["service"]:
        for m in ("planned_cost", "fee_customers", "fee_income"):
            w.writerow(["service", r["tier"], m, plain(r[f"{m}_before"]), plain(r[f"{m}_after"])])
    for r in result["customers_changing_tier"]:
        w.writerow(["customer_tier", r["customer_id"], "tier", r["tier_before"], r["tier_after"]])
    for r in result["action_changes"]:
        w.writerow(["action", f"{r['action_before']}->{r['action_after']}", "customers", "", r["customers"]])
    return out.getvalue()


def whatif_file(paths: Settings, as_of: str) -> Path:
    """Where the last what-if of a date is kept for the tier report."""
    return paths.reports_dir / f"whatif-{as_of}.json"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        prog="warehouse-whatif", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("alternatives", nargs="+", type=Path, help="CSV files named like the seeds they replace")
    p.add_argument("--build", type=Path, help="build file to compare against (default: the latest build)")
    p.add_argument("--json", action="store_true", help="print the result as JSON instead of tables")
    p.add_argument("--csv", type=Path, help="also write the comparison to this CSV file")
    a = p.parse_args(argv)
    paths = entry_point_settings("warehouse-whatif")
    try:
        result = run_whatif(a.alternatives, paths, a.build)
    except WhatIfError as e:
        print(f"warehouse-whatif: {e}", file=sys.stderr)
        return 2
    if a.csv:
        a.csv.write_text(to_csv(result), encoding="utf-8")
    kept = whatif_file(paths, result["as_of"])
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_text(to_json(result), encoding="utf-8")
    print(to_json(result) if a.json else render_text(result), end="" if not a.json else "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
