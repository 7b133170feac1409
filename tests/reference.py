"""Independent per-customer profitability straight from a landing zone (plain DuckDB SQL).

Used by tests as the reference the dbt models must match. It applies the contract's
definitions directly; it does not share code with the dbt project.
"""
from datetime import date

import duckdb

CONTRIBUTION_SQL = """
with lines as (
    select c.customer_id,
           sum(l.quantity::decimal(38,0) * l.unit_price::decimal(38,2) - l.discount_amount::decimal(38,2)) as revenue,
           sum(l.quantity::decimal(38,0) * l.unit_cost::decimal(38,2)) as cogs
    from read_parquet('{d}/order_lines/*.parquet') l
    join read_parquet('{d}/orders/*.parquet') o using (order_id)
    join read_parquet('{d}/customers/*.parquet') c using (customer_id)
    where o.status = 'completed' and o.order_ts::date > date '{asof}' - 365 and o.order_ts::date <= date '{asof}'
    group by 1
), cost as (
    select e.customer_id, sum(e.quantity::decimal(38,2) * r.rate_per_unit::decimal(38,2)) as cost_to_serve
    from read_parquet('{d}/service_events/*.parquet') e
    join read_parquet('{d}/activity_rates/*.parquet') r
      on r.activity = e.activity and e.event_ts::date between r.valid_from and r.valid_to
    where e.event_ts::date > date '{asof}' - 365 and e.event_ts::date <= date '{asof}'
    group by 1
)
select customer_id, coalesce(revenue, 0) as revenue, coalesce(cogs, 0) as cogs,
       coalesce(cost_to_serve, 0) as cost_to_serve,
       coalesce(revenue, 0) - coalesce(cogs, 0) - coalesce(cost_to_serve, 0) as contribution,
       revenue is not null as is_buyer
from lines full join cost using (customer_id)
"""


def history_contribution(landing_dir, as_of: date) -> duckdb.DuckDBPyRelation:
    """Per-customer figures from the history delivery only (Parquet files)."""
    return duckdb.sql(CONTRIBUTION_SQL.format(d=landing_dir, asof=as_of.isoformat()))


def top_share(landing_dir, as_of: date, share: float = 0.2) -> float:
    """Profit earned by the most profitable `share` of buyers, as a multiple of total profit."""
    rel = history_contribution(landing_dir, as_of)
    return duckdb.sql(f"""
        with r as (select contribution, row_number() over (order by contribution desc) as rk,
                          count(*) over () as n, sum(contribution) over () as total from rel where is_buyer)
        select (sum(contribution) filter (where rk <= ceil(n * {share})) / any_value(total))::double from r
    """).fetchone()[0]
