"""Great Expectations audit of a built warehouse, before anything is published.

Audit frames are computed in DuckDB and handed to GX as pandas frames with Arrow-backed
dtypes, so DECIMAL money stays exact (never float64). Expected tier counts are computed
here independently (Python Decimal, round half up), not read from the models. The GX file
context lives in gx/; suites are declared below and written there only when they change;
Data Docs are rebuilt on every run (gx/uncommitted/data_docs).
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import great_expectations as gx
import great_expectations.expectations as gxe
import pandas as pd

from tiering.project import PROJECT_DIR
from tiering.settings import duckdb_config

GX_DIR = PROJECT_DIR / "gx"
DATASOURCE = "warehouse_audit"
AMOUNTS = ("net_revenue", "cogs", "gross_margin", "cost_to_serve", "contribution")
PARAM = {"$PARAMETER": "customers"}

SUITES = {  # functions: GX binds an expectation object to one suite
    "tier_counts": lambda: [
        gxe.ExpectColumnPairValuesToBeEqual(column_A="buyers", column_B="expected_buyers"),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="share_tolerance", column_B="share_deviation", or_equal=True
        ),
        gxe.ExpectColumnValuesToNotBeNull(column="tier"),
    ],
    "profit_tie_out": lambda: [
        gxe.ExpectColumnPairValuesToBeEqual(column_A="grouped_sum", column_B="company_pnl"),
        gxe.ExpectColumnPairValuesToBeEqual(column_A="company_pnl", column_B="source_recompute"),
    ],
    "partitions": lambda: [
        gxe.ExpectColumnSumToBeBetween(column="customers", min_value=PARAM, max_value=PARAM),
        gxe.ExpectColumnValuesToBeBetween(column="duplicate_customer_ids", min_value=0, max_value=0),
        gxe.ExpectColumnValuesToBeInSet(column="value_grid", value_set=list("ABCDEF")),
        gxe.ExpectColumnValuesToNotBeNull(column="value_grid"),
        gxe.ExpectColumnValuesToBeInSet(column="quadrant_ok", value_set=[True]),
        gxe.ExpectColumnValuesToBeInSet(column="pyramid_ok", value_set=[True]),
    ],
    "service_policies": lambda: [
        gxe.ExpectColumnValuesToBeInSet(column="has_policy", value_set=[True]),
        gxe.ExpectColumnValuesToBeBetween(column="customers_without_policy", min_value=0, max_value=0),
    ],
}
INDEX_COLUMNS = {
    "tier_counts": ["scheme", "tier"],
    "profit_tie_out": ["grouping", "line_item"],
    "partitions": ["example_customer"],
    "service_policies": ["tier"],
}


@dataclass
class AuditResult:
    name: str
    success: bool
    statistics: dict
    failures: list[dict] = field(default_factory=list)


# ---------------------------------------------------------------- audit frames


def _frame(con, sql: str) -> pd.DataFrame:
    return con.sql(sql).to_arrow_table().to_pandas(types_mapper=pd.ArrowDtype)


def expected_share_counts(shares: list[Decimal], n: int) -> list[int]:
    bounds = [0] + [int((s * n).quantize(Decimal(1), rounding=ROUND_HALF_UP)) for s in shares]
    return [bounds[i + 1] - bounds[i] for i in range(len(shares))]


def tier_count_frames(con) -> dict[str, pd.DataFrame]:
    """Per scheme: each tier's buyers against the count the scheme demands."""
    n = con.sql("select count(*) from customer_value where is_buyer").fetchone()[0]
    rows = con.sql("""select s.scheme, s.scheme_kind, s.basis, s.tier, s.tier_order, s.cumulative_share, s.band_min,
                             coalesce(t.buyers, 0), coalesce(t.share_of_buyers, 0)
                      from tier_schemes s left join tier_profitability t using (scheme, tier)
                      order by s.scheme, s.tier_order""").fetchall()
    frames: dict[str, list] = {}
    for scheme in dict.fromkeys(r[0] for r in rows):
        tiers = [r for r in rows if r[0] == scheme]
        if tiers[0][1] == "share":
            expected = expected_share_counts([r[5] for r in tiers], n)
            targets = [float(r[5] - (tiers[i - 1][5] if i else 0)) for i, r in enumerate(tiers)]
        else:
            expected = [_band_count(con, r[2], r[6], tiers[i - 1][6] if i else None) for i, r in enumerate(tiers)]
            targets = [None] * len(tiers)
        frames[scheme] = [
            {
                "scheme": scheme,
                "tier": r[3],
                "buyers": r[7],
                "expected_buyers": e,
                "share_deviation": 0.0 if t is None else abs(r[8] - t),
                "share_tolerance": 0.0 if t is None else 1.0 / max(n, 1) + 1e-12,
            }
            for r, e, t in zip(tiers, expected, targets)
        ]
    return {scheme: pd.DataFrame(rows) for scheme, rows in frames.items()}


def _band_count(con, basis: str, low, high) -> int:
    cond = [f"{basis} >= {low}" if low is not None else "true", f"{basis} < {high}" if high is not None else "true"]
    return con.sql(f"select count(*) from customer_value where is_buyer and {' and '.join(cond)}").fetchone()[0]


RECOMPUTE_SQL = """
with params as (select * from int_run_parameters),
sales as (
    select sum(l.quantity::decimal(38,0) * l.unit_price - l.discount_amount)::decimal(38,4) as net_revenue,
           sum(l.quantity::decimal(38,0) * l.unit_cost)::decimal(38,4) as cogs
    from int_order_lines l join int_orders o using (order_id), params
    where o.status = 'completed' and o.order_ts::date > params.as_of_date - 365 and o.order_ts::date <= params.as_of_date
),
costs as (
    select coalesce(sum(e.quantity::decimal(38,2) * r.rate_per_unit), 0)::decimal(38,4) as cost_to_serve
    from int_service_events e
    join int_activity_rates r on r.activity = e.activity and e.event_ts::date between r.valid_from and r.valid_until,
         params
    where e.event_ts::date > params.as_of_date - 365 and e.event_ts::date <= params.as_of_date
)
select coalesce(net_revenue, 0)::decimal(38,4) as net_revenue, coalesce(cogs, 0)::decimal(38,4) as cogs,
       coalesce(net_revenue - cogs, 0)::decimal(38,4) as gross_margin, cost_to_serve,
       (coalesce(net_revenue - cogs, 0) - cost_to_serve)::decimal(38,4) as contribution
from sales, costs
"""


def profit_tie_out_frame(con) -> pd.DataFrame:
    """Sums over tiers, quadrants, grid cells and customers against company_pnl and a recomputation."""
    con.execute(f"create or replace temp table audit_recompute as {RECOMPUTE_SQL}")  # computed once, read 20 times
    groupings = {
        "'customer_value'": "customer_value",
        "'quadrant_profitability'": "quadrant_profitability",
        "'grid_profitability'": "grid_profitability",
        "'tier_profitability ' || scheme": "tier_profitability",
    }
    parts = []
    for amount in AMOUNTS:
        pnl_item = "company_contribution" if amount == "contribution" else amount
        for label, mart in groupings.items():
            parts.append(f"""
                select {label} as grouping, '{amount}' as line_item, sum({amount})::decimal(38,4) as grouped_sum,
                       (select amount from company_pnl where line_item = '{pnl_item}')::decimal(38,4) as company_pnl,
                       (select {amount} from audit_recompute)::decimal(38,4) as source_recompute
                from {mart} group by all""")
    return _frame(con, " union all ".join(parts) + " order by grouping, line_item")


def partition_frame(con) -> pd.DataFrame:
    """Customers grouped by how they are placed (grid cell, quadrant and pyramid consistent with
    being a buyer), with counts and an example customer: the checks stay per customer, but GX
    sees a handful of rows instead of one per customer (a million rows took GX 80 s and 6 GB)."""
    return _frame(
        con,
        """
        with placed as (
            select customer_id, value_grid,
                   (is_buyer and quadrant in ('platinum', 'gold', 'iron', 'lead')) or (not is_buyer and quadrant is null) as quadrant_ok,
                   (is_buyer = (pyramid_tier is not null)) and (is_buyer = (value_grid in ('A', 'B', 'C', 'D'))) as pyramid_ok
            from customer_tiers
        )
        select value_grid, quadrant_ok, pyramid_ok, count(*) as customers, min(customer_id) as example_customer,
               (select count(*) - count(distinct customer_id) from customer_tiers) as duplicate_customer_ids
        from placed
        group by all
        order by all""",
    )


def service_policy_frame(con) -> pd.DataFrame:
    return _frame(
        con,
        """
        with tiers as (
            select tier from tier_schemes where is_default union select 'non_buyer'
        )
        select tiers.tier, tiers.tier in (select tier from service_policies) as has_policy,
               (select count(*) from customer_tiers c
                where coalesce(c.pyramid_tier, 'non_buyer') = tiers.tier and c.service_policy_tier is null) as customers_without_policy
        from tiers order by tiers.tier""",
    )


# ---------------------------------------------------------------- GX plumbing


def context():
    return gx.get_context(mode="file", project_root_dir=str(PROJECT_DIR))


def _config_without_ids(suite) -> list:
    out = []
    for e in suite.expectations:
        d = e.configuration.to_json_dict()
        d.pop("id", None)
        d.get("meta", {}).pop("id", None)
        out.append(d)
    return out


def _ensure(ctx, name: str):
    """Suite, batch definition, validation definition and checkpoint for one audit frame."""
    suite = gx.ExpectationSuite(name=name, expectations=SUITES[name]())
    try:
        stored = ctx.suites.get(name)
        if _config_without_ids(stored) != _config_without_ids(suite):
            ctx.suites.delete(name)
            stored = ctx.suites.add(suite)
    except Exception:  # not stored yet (GX raises its own not-found errors)
        stored = ctx.suites.add(suite)
    source = (
        ctx.data_sources.get(DATASOURCE)
        if DATASOURCE in ctx.data_sources.all()
        else ctx.data_sources.add_pandas(DATASOURCE)
    )
    asset = source.get_asset(name) if name in [a.name for a in source.assets] else source.add_dataframe_asset(name)
    batch = (
        asset.get_batch_definition("frame")
        if asset.batch_definitions
        else asset.add_batch_definition_whole_dataframe("frame")
    )
    try:
        checkpoint = ctx.checkpoints.get(name)
    except Exception:
        vd = ctx.validation_definitions.add(gx.ValidationDefinition(name=name, data=batch, suite=stored))
        checkpoint = ctx.checkpoints.add(
            gx.Checkpoint(
                name=name,
                validation_definitions=[vd],
                actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs")],
                result_format={"result_format": "COMPLETE", "unexpected_index_column_names": INDEX_COLUMNS[name]},
            )
        )
    return checkpoint


def _summarise(name: str, result) -> AuditResult:
    run = next(iter(result.run_results.values()))
    failures = [
        {
            "expectation": r.expectation_config.type,
            "kwargs": {k: v for k, v in r.expectation_config.kwargs.items() if k != "batch_id"},
            "unexpected_count": r.result.get("unexpected_count"),
            "unexpected": [
                str(x)
                for x in (
                    r.result.get("partial_unexpected_index_list") or r.result.get("partial_unexpected_list") or []
                )
            ][:20],
            "observed_value": str(r.result.get("observed_value")) if "observed_value" in r.result else None,
        }
        for r in run.results
        if not r.success
    ]
    return AuditResult(name, bool(run.success), dict(run.statistics), failures)


def run_checkpoint(ctx, name: str, frame: pd.DataFrame, run_name: str, parameters: dict | None = None) -> AuditResult:
    checkpoint = _ensure(ctx, name)
    result = checkpoint.run(
        batch_parameters={"dataframe": frame},
        expectation_parameters=parameters or {},
        run_id=gx.core.run_identifier.RunIdentifier(run_name=run_name),
    )
    return _summarise(name, result)


def audit_warehouse(database: Path, run_name: str) -> list[AuditResult]:
    """Every GX check on a built warehouse file (opened read-only)."""
    ctx = context()
    results = []
    with duckdb.connect(str(database), read_only=True, config=duckdb_config()) as con:
        for scheme, frame in tier_count_frames(con).items():
            r = run_checkpoint(ctx, "tier_counts", frame, f"{run_name} tier_counts {scheme}")
            results.append(AuditResult(f"tier_counts[{scheme}]", r.success, r.statistics, r.failures))
        results.append(run_checkpoint(ctx, "profit_tie_out", profit_tie_out_frame(con), f"{run_name} profit_tie_out"))
        customers = con.sql("select count(*) from customer_value").fetchone()[0]
        results.append(
            run_checkpoint(ctx, "partitions", partition_frame(con), f"{run_name} partitions", {"customers": customers})
        )
        results.append(
            run_checkpoint(ctx, "service_policies", service_policy_frame(con), f"{run_name} service_policies")
        )
    return results


def data_docs_index() -> Path:
    return GX_DIR / "uncommitted" / "data_docs" / "local_site" / "index.html"
