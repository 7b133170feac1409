"""Independent per-customer profitability straight from a clean landing zone (plain DuckDB).

The reference the dbt models must match. It applies the contract's definitions directly
(last file wins per key; window D - 365 < date <= D) and shares no code with the project.
It assumes clean input: bad-row handling is tested elsewhere.
"""

from datetime import date
from pathlib import Path

import duckdb

TYPES = {
    "customers": ("customer_id", "customer_id, created_date::date as created_date"),
    "orders": ("order_id", "order_id, customer_id, order_ts::timestamp as order_ts, status"),
    "order_lines": (
        "order_id, line_number::int",
        "order_id, line_number::int as line_number, quantity::int as quantity, "
        "unit_price::decimal(18,2) as unit_price, discount_amount::decimal(18,2) as discount_amount, "
        "unit_cost::decimal(18,2) as unit_cost",
    ),
    "service_events": (
        "event_id",
        "event_id, customer_id, event_ts::timestamp as event_ts, activity, quantity::decimal(18,2) as quantity",
    ),
    "activity_rates": (
        "activity, valid_from::date",
        "activity, rate_per_unit::decimal(18,2) as rate_per_unit, "
        "valid_from::date as valid_from, coalesce(valid_to::date, date '9999-12-31') as valid_to",
    ),
}

FIGURES_SQL = """
with lines as (
    select o.customer_id,
           sum(l.quantity::decimal(38,0) * l.unit_price - l.discount_amount) as net_revenue,
           sum(l.quantity::decimal(38,0) * l.unit_cost) as cogs
    from order_lines l join orders o using (order_id)
    where o.status = 'completed' and o.order_ts::date > date '{asof}' - 365 and o.order_ts::date <= date '{asof}'
    group by 1
), history as (
    select customer_id,
           count(*) filter (where order_ts::date > date '{asof}' - 365) as frequency,
           date '{asof}' - max(order_ts::date) as recency_days
    from orders where status = 'completed' and order_ts::date <= date '{asof}'
    group by 1
), cost as (
    select e.customer_id, sum(e.quantity::decimal(38,2) * r.rate_per_unit) as cost_to_serve
    from service_events e
    join activity_rates r on r.activity = e.activity and e.event_ts::date between r.valid_from and r.valid_to
    where e.event_ts::date > date '{asof}' - 365 and e.event_ts::date <= date '{asof}'
    group by 1
)
select c.customer_id,
       coalesce(net_revenue, 0) as net_revenue, coalesce(cogs, 0) as cogs,
       coalesce(net_revenue, 0) - coalesce(cogs, 0) as gross_margin,
       coalesce(cost_to_serve, 0) as cost_to_serve,
       coalesce(net_revenue, 0) - coalesce(cogs, 0) - coalesce(cost_to_serve, 0) as contribution,
       coalesce(frequency, 0) as frequency, recency_days,
       coalesce(frequency, 0) > 0 as is_buyer
from customers c
left join lines using (customer_id) left join history using (customer_id) left join cost using (customer_id)
where c.created_date <= date '{asof}' or lines.customer_id is not null or history.customer_id is not null
   or cost.customer_id is not null
"""


def _read(folder: Path) -> str:
    parts = [
        f"select * from read_{kind}('{folder}/*.{ext}', filename = true{opts})"
        for kind, ext, opts in (("parquet", "parquet", ""), ("csv", "csv", ", all_varchar = true"))
        if list(folder.glob(f"*.{ext}"))
    ]
    return " union all by name ".join(parts)


def connect_landing(landing_dir) -> duckdb.DuckDBPyConnection:
    """A connection with one view per table: the latest delivered version of each key."""
    con = duckdb.connect()
    for table, (key, columns) in TYPES.items():
        con.sql(f"""create view {table} as
            select {columns} from ({_read(Path(landing_dir) / table)})
            qualify row_number() over (partition by {key} order by filename desc) = 1""")
    return con


def customer_figures(con: duckdb.DuckDBPyConnection, as_of: date) -> duckdb.DuckDBPyRelation:
    return con.sql(FIGURES_SQL.format(asof=as_of.isoformat()))


def top_share(landing_dir, as_of: date, share: float = 0.2) -> float:
    """Profit earned by the most profitable `share` of buyers, as a multiple of total profit."""
    con = connect_landing(landing_dir)
    rel = customer_figures(con, as_of)
    return con.sql(f"""
        with r as (select contribution, row_number() over (order by contribution desc) as rk,
                          count(*) over () as n, sum(contribution) over () as total from rel where is_buyer)
        select (sum(contribution) filter (where rk <= ceil(n * {share})) / any_value(total))::double from r
    """).fetchone()[0]
