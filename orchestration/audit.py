"""Great Expectations audit of a built warehouse, before anything is published.

The audit checks what the dbt tests cannot: the marts against an independent recomputation.
orchestration/recompute.py re-reads the landing files with pyarrow and recomputes every
customer's net revenue, COGS and cost to serve in exact Arrow decimals; the suites compare that with
customer_value, customer_tiers and company_pnl (per customer and in total), every scheme of
tier_profitability, the quadrants and the grid (each must add up to the recomputed company
figures), the landing reconciliation (against the recomputed row verdicts and the landing
inventory's own counts) and the tier sizes (exact counts recomputed here). Each frame row is
one compared figure; its line (e.g. "contribution: mart 278,694.03 vs recomputed 278,694.03,
difference 0.00") goes to the verdict and the report. Frames reach GX as pandas frames with
Arrow decimals, so money stays exact. Suites are declared below only: the GX project of each
warehouse home (Settings.gx_dir: suites, checkpoints, results, Data Docs) is generated on every
run and keeps the results of the newest Settings.keep_audits audits.
"""

import json
import sys
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import great_expectations as gx
import great_expectations.expectations as gxe
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from great_expectations.data_context.types.base import ProgressBarsConfig

from orchestration import data_docs
from orchestration.recompute import recompute
from tiering import db
from tiering.landing import inventory_file
from tiering.settings import Settings

DATASOURCE = "warehouse_audit"
AMOUNTS = ("net_revenue", "cogs", "gross_margin", "cost_to_serve", "contribution")
FIGURE = pa.decimal128(38, 4)


def _equal():
    return gxe.ExpectColumnPairValuesToBeEqual(column_A="left", column_B="right")


SUITES = {  # functions: GX binds an expectation object to one suite
    "recomputed_pnl": lambda: [
        _equal(),
        gxe.ExpectColumnValuesToBeBetween(column="customers_differing", min_value=0, max_value=0),
    ],
    "partitions": lambda: [_equal()],
    "landing_counts": lambda: [_equal()],
    "tier_counts": lambda: [
        _equal(),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="share_tolerance", column_B="share_deviation", or_equal=True
        ),
    ],
}


@dataclass
class AuditResult:
    name: str
    success: bool
    statistics: dict
    failures: list[dict] = field(default_factory=list)
    figures: list[dict] = field(default_factory=list)  # each compared figure, its amounts and line
    causes: list[str] = field(default_factory=list)  # the lines of the figures that failed


# ---------------------------------------------------------------- compared figures


def amount(value, count: bool = False) -> str:
    """A figure as people read it: thousands separated, cents (more decimals only when present);
    a count without decimals."""
    d = Decimal(value)
    if count:
        return f"{d:,.0f}"
    places = 2 if d == d.quantize(Decimal("0.01")) else max(2, -d.normalize().as_tuple().exponent)
    return f"{d:,.{places}f}"


def figure_line(row: dict) -> str:
    left, right, count = Decimal(row["left"]), Decimal(row["right"]), row["is_count"]
    line = (
        f"{row['figure']}: {row['left_name']} {amount(left, count)} vs {row['right_name']} {amount(right, count)}, "
        f"difference {amount(left - right, count)}"
    )
    return line + (f" ({row['detail']})" if row.get("detail") else "")


def compared(figure: str, left_name: str, left, right_name: str, right, **extra) -> dict:
    is_count = isinstance(left, int) and isinstance(right, int)
    return {
        "figure": figure,
        "left_name": left_name,
        "left": Decimal(left),
        "right_name": right_name,
        "right": Decimal(right),
        "is_count": is_count,
        **extra,
    }


def to_frame(rows: list[dict]) -> pd.DataFrame:
    """Rows of compared figures as a pandas frame with Arrow dtypes (decimals stay exact)."""
    columns = {k: [r.get(k) for r in rows] for k in rows[0]}
    types = {"left": FIGURE, "right": FIGURE}
    table = pa.table({k: pa.array(v, types.get(k)) for k, v in columns.items()})
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def _mart_customers(con) -> pa.Table:
    return con.sql(f"select customer_id, {', '.join(AMOUNTS)}, is_buyer from customer_value").to_arrow_table()


def _recomputed_customers(recomputed) -> pa.Table:
    f = recomputed.figures
    net_revenue, cogs, cost = (f[c].cast(pa.decimal128(36, 4)) for c in ("net_revenue", "cogs", "cost_to_serve"))
    margin = pc.subtract(net_revenue, cogs)  # the result widens by one digit: two steps fit 38
    return f.append_column("gross_margin", margin).append_column("contribution", pc.subtract(margin, cost))


def _side(joined: pa.Table, column: str, item: str):
    """One side's figure per customer of the outer join, zero (or not a buyer) where it has none."""
    if item == "is_buyer":
        return pc.fill_null(joined[column], False)
    return pc.fill_null(joined[column].cast(FIGURE), pa.scalar(Decimal(0), FIGURE))


def recomputed_pnl_rows(con, recomputed) -> list[dict]:
    """customer_value per customer and in total, and company_pnl, against the recomputation."""
    mart = _mart_customers(con)
    mine = _recomputed_customers(recomputed)
    names = [*AMOUNTS, "is_buyer"]
    joined = mart.join(
        mine.select(["customer_id", *names]).rename_columns(["customer_id", *(f"mine_{n}" for n in names)]),
        "customer_id",
        join_type="full outer",
    )
    totals = recomputed.totals()
    rows = []
    for item in names:
        left_values, right_values = _side(joined, item, item), _side(joined, f"mine_{item}", item)
        differ = pc.not_equal(left_values, right_values)
        differing = pc.sum(pc.cast(differ, pa.int64())).as_py() or 0
        show = str if item == "is_buyer" else amount
        detail = ""
        if differing:
            example = pc.min(pc.filter(joined["customer_id"], differ)).as_py()
            at = pc.equal(joined["customer_id"], example)
            detail = (
                f"{differing} customer(s) differ, e.g. {example}: mart {show(pc.filter(left_values, at)[0].as_py())} "
                f"vs recomputed {show(pc.filter(right_values, at)[0].as_py())}"
            )
        if item == "is_buyer":
            left, right = pc.sum(pc.cast(mart[item], pa.int64())).as_py() or 0, recomputed.buyers()
        else:
            total = pc.sum(mart[item]).as_py()
            left, right = Decimal(0) if total is None else total, totals[item]
        label = "buyers" if item == "is_buyer" else item
        rows.append(
            compared(
                f"customer_value {label}",
                "mart",
                left,
                "recomputed",
                right,
                customers_differing=differing,
                detail=detail,
            )
        )
    pnl = dict(con.sql("select line_item, amount from company_pnl where activity is null").fetchall())
    for item in AMOUNTS:
        line = "company_contribution" if item == "contribution" else item
        rows.append(
            compared(
                f"company_pnl {line}",
                "mart",
                pnl.get(line, 0),
                "recomputed",
                totals[item],
                customers_differing=0,
                detail="",
            )
        )
    return rows


def partition_rows(con, recomputed) -> list[dict]:
    """Every grouping (each scheme of tier_profitability, quadrants, grid, customer_tiers) adds up
    to the customers of customer_value, the recomputed buyers and the recomputed company P&L."""
    customers = con.sql("select count(*) from customer_value").fetchone()[0]
    totals = recomputed.totals() | {"buyers": recomputed.buyers(), "customers": customers}
    sums = ", ".join(f"sum({a})" for a in AMOUNTS)
    groupings = con.sql(f"""
        select 'tier_profitability ' || scheme, sum(customers), sum(buyers), {sums} from tier_profitability group by scheme
        union all select 'quadrant_profitability', sum(customers), sum(buyers), {sums} from quadrant_profitability
        union all select 'grid_profitability', sum(customers), sum(buyers), {sums} from grid_profitability
        union all select 'customer_tiers', count(*), count(*) filter (where is_buyer), sum(net_revenue), null, sum(gross_margin),
                         sum(cost_to_serve), sum(contribution) from customer_tiers
        order by 1""").fetchall()
    rows = []
    for grouping, *values in groupings:
        for name, value in zip(("customers", "buyers", *AMOUNTS), values):
            if value is None:
                continue
            right_name = "customer_value" if name == "customers" else "recomputed"
            rows.append(compared(f"{grouping} {name}", "sum over groups", value, right_name, totals[name]))
    return rows


def inventory_counts(build_file: Path) -> dict[str, int]:
    """Rows landed per table by the landing inventory's own scan: readable rows plus malformed rows."""
    document = json.loads(inventory_file(build_file).read_text())
    landed = {t: sum(f["rows"] for f in v["files"]) for t, v in document["tables"].items()}
    malformed = pq.read_table(document["malformed_rows_file"]).column("table_name").to_pylist()
    for table in malformed:
        landed[table] = landed.get(table, 0) + 1
    return landed


def landing_count_rows(con, recomputed, build_file: Path) -> list[dict]:
    """landing_reconciliation against the recomputed row verdicts and the inventory's landed rows."""
    inventory = inventory_counts(build_file)
    rows = []
    for table, accepted, quarantined, superseded, malformed in con.sql(
        "select table_name, rows_accepted, rows_quarantined, rows_superseded, rows_malformed "
        "from landing_reconciliation order by table_name"
    ).fetchall():
        rows.append(
            compared(
                f"{table} rows landed (accepted + quarantined + superseded + malformed)",
                "mart",
                accepted + quarantined + superseded + malformed,
                "landing inventory",
                inventory.get(table, 0),
            )
        )
        if table in recomputed.counts:
            mine = recomputed.counts[table]
            for name, left, right in (
                ("accepted", accepted, mine.accepted),
                ("quarantined", quarantined, mine.quarantined),
                ("superseded", superseded, mine.superseded),
                ("malformed", malformed, mine.malformed),
            ):
                rows.append(compared(f"{table} rows {name}", "mart", left, "recomputed", right))
    return rows


def expected_share_counts(shares: list[Decimal], n: int) -> list[int]:
    bounds = [0] + [int((s * n).quantize(Decimal(1), rounding=ROUND_HALF_UP)) for s in shares]
    return [bounds[i + 1] - bounds[i] for i in range(len(shares))]


def tier_count_rows(con, recomputed) -> list[dict]:
    """Per scheme and tier: buyers against the count the scheme demands of the recomputed buyers
    (share schemes; band schemes count customer_value's basis), and the share within 1/N."""
    n = recomputed.buyers()
    rows = con.sql("""select s.scheme, s.scheme_kind, s.basis, s.tier, s.cumulative_share, s.band_min,
                             coalesce(t.buyers, 0), coalesce(t.share_of_buyers, 0)
                      from tier_schemes s left join tier_profitability t using (scheme, tier)
                      order by s.scheme, s.tier_order""").fetchall()
    out = []
    for scheme in dict.fromkeys(r[0] for r in rows):
        tiers = [r for r in rows if r[0] == scheme]
        if tiers[0][1] == "share":
            expected = expected_share_counts([r[4] for r in tiers], n)
            targets = [float(r[4] - (tiers[i - 1][4] if i else 0)) for i, r in enumerate(tiers)]
        else:
            expected = [_band_count(con, r[2], r[5], tiers[i - 1][5] if i else None) for i, r in enumerate(tiers)]
            targets = [None] * len(tiers)
        out += [
            compared(
                f"{scheme} tier {r[3]} buyers",
                "mart",
                r[6],
                "expected",
                e,
                share_deviation=0.0 if t is None else abs(r[7] - t),
                share_tolerance=0.0 if t is None else 1.0 / max(n, 1) + 1e-12,
            )
            for r, e, t in zip(tiers, expected, targets)
        ]
    return out


def _band_count(con, basis: str, low, high) -> int:
    cond = [f"{basis} >= {low}" if low is not None else "true", f"{basis} < {high}" if high is not None else "true"]
    return con.sql(f"select count(*) from customer_value where is_buyer and {' and '.join(cond)}").fetchone()[0]


# ---------------------------------------------------------------- GX plumbing


def context(gx_dir: Path):
    """The file project in `gx_dir` (GX names the folder gx/), created on first use."""
    if gx_dir.name != "gx":
        raise ValueError(f"a GX project folder is named gx, got {gx_dir}")
    ctx = gx.get_context(mode="file", project_root_dir=str(gx_dir.parent))
    bars = ctx.variables.progress_bars
    if (bars.get("globally") if isinstance(bars, dict) else getattr(bars, "globally", None)) is not False:
        ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
        ctx.variables.save()
    return ctx


def _ensure(ctx, name: str):
    """Suite, batch definition, validation definition and checkpoint of one audit frame, written
    from the declarations above on every run (gx/ holds no hand-kept copy)."""
    suite = ctx.suites.add_or_update(gx.ExpectationSuite(name=name, expectations=SUITES[name]()))
    source = (
        ctx.data_sources.add_or_update_pandas(DATASOURCE)
        if DATASOURCE not in ctx.data_sources.all()
        else ctx.data_sources.get(DATASOURCE)
    )
    asset = source.get_asset(name) if name in [a.name for a in source.assets] else source.add_dataframe_asset(name)
    batch = (
        asset.get_batch_definition("frame")
        if asset.batch_definitions
        else asset.add_batch_definition_whole_dataframe("frame")
    )
    vd = ctx.validation_definitions.add_or_update(gx.ValidationDefinition(name=name, data=batch, suite=suite))
    return ctx.checkpoints.add_or_update(
        gx.Checkpoint(
            name=name,
            validation_definitions=[vd],
            actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs")],
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["figure"]},
        )
    )


def _unexpected_figures(r) -> list[str]:
    return [x["figure"] if isinstance(x, dict) else str(x) for x in r.result.get("unexpected_index_list") or []]


def shown(row: dict, failed: set[str]) -> dict:
    """A compared figure as the verdict and the report show it (amounts as formatted text)."""
    count, left, right = row["is_count"], row["left"], row["right"]
    return {
        "figure": row["figure"],
        "compared": f"{row['left_name']} vs {row['right_name']}",
        "left": amount(left, count),
        "right": amount(right, count),
        "difference": amount(left - right, count),
        "passed": row["figure"] not in failed,
        "line": figure_line(row),
    }


def _summarise(name: str, result, rows: list[dict]) -> AuditResult:
    run = next(iter(result.run_results.values()))
    failures = [
        {
            "expectation": r.expectation_config.type,
            "figures": _unexpected_figures(r),
            "observed_value": str(r.result.get("observed_value", "")),
        }
        for r in run.results
        if not r.success
    ]
    failed = {f for failure in failures for f in failure["figures"]}
    figures = [shown(row, failed) for row in rows]
    causes = [f"{name}: {f['line']}" for f in figures if not f["passed"]]
    if not run.success and not causes:  # an expectation failed without naming a figure
        causes = [f"{name}: {f['expectation']} failed ({f['observed_value']})" for f in failures]
    return AuditResult(name, bool(run.success), dict(run.statistics), failures, figures, causes)


def run_checkpoint(ctx, name: str, rows: list[dict], run_name: str) -> AuditResult:
    checkpoint = _ensure(ctx, name)
    result = checkpoint.run(
        batch_parameters={"dataframe": to_frame(rows)},
        run_id=gx.core.run_identifier.RunIdentifier(run_name=run_name),
    )
    return _summarise(name, result, rows)


def audit_frames(con, build_file: Path, threads: int) -> dict[str, list[dict]]:
    """The compared figures of every suite. `con` answers `sql(query)` with fetchall, fetchone
    and to_arrow_table, as a DuckDB connection does (orchestration/spark_audit.py for Spark);
    `build_file` names the build's landing inventory; `threads` type the landed rows."""
    inventory = json.loads(inventory_file(build_file).read_text())
    as_of = con.sql("select as_of_date from int_run_parameters").fetchone()[0]
    recomputed = recompute(inventory, as_of, threads=threads)
    return {
        "recomputed_pnl": recomputed_pnl_rows(con, recomputed),
        "partitions": partition_rows(con, recomputed),
        "landing_counts": landing_count_rows(con, recomputed, build_file),
        "tier_counts": tier_count_rows(con, recomputed),
    }


def run_suites(frames: dict[str, list[dict]], run_name: str, settings: Settings) -> list[AuditResult]:
    """Each suite's checkpoint on its frame in the home's GX project, after the results of audits
    beyond the newest settings.keep_audits (this one included) are removed; the Data Docs made
    readable offline."""
    gx_dir = settings.gx_dir
    site = data_docs_index(gx_dir).parent
    with data_docs.site_lock(site):
        data_docs.remove_expired_runs(
            gx_dir / "uncommitted" / "validations", site, SUITES, settings.keep_audits - 1, log=_to_stderr
        )
        ctx = context(gx_dir)
        results = [run_checkpoint(ctx, name, rows, f"{run_name} {name}") for name, rows in frames.items()]
        data_docs.make_offline(site)
    return results


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr)


def audit_warehouse(database: Path, run_name: str, settings: Settings) -> list[AuditResult]:
    """Every GX check on a built warehouse file (opened read-only)."""
    with db.connect(database, read_only=True, config=settings.duckdb_config) as con:
        frames = audit_frames(con, database, settings.threads)
    return run_suites(frames, run_name, settings)


def verdict_checks(results: list[AuditResult], gx_dir: Path) -> dict:
    """What the verdict records of the audit: each suite's figures with their amounts, the failed
    ones as one line each, and where the Data Docs are."""
    return {
        "checks": [{"suite": r.name, "passed": r.success, "failed": r.causes, "figures": r.figures} for r in results],
        "data_docs": str(data_docs_index(gx_dir)),
    }


def data_docs_index(gx_dir: Path) -> Path:
    return gx_dir / "uncommitted" / "data_docs" / "local_site" / "index.html"
