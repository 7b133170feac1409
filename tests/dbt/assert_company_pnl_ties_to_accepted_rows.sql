-- company_pnl recomputed straight from the accepted source rows, with its own rate lookup.
-- Dagster: a blocking asset check of the mart it ties out (publish waits for it)
{{ config(meta={'dagster': {'ref': {'name': 'company_pnl'}}}) }}

with params as (select * from {{ ref('int_run_parameters') }}),

sales as (
    select
        sum(l.quantity::decimal(38, 0) * l.unit_price - l.discount_amount) as net_revenue,
        sum(l.quantity::decimal(38, 0) * l.unit_cost) as cogs
    from {{ ref('int_order_lines') }} as l
    inner join {{ ref('int_orders') }} as o on o.order_id = l.order_id
    cross join params
    where o.status = 'completed'
      and o.order_ts::date > params.as_of_date - 365 and o.order_ts::date <= params.as_of_date
),

costs as (
    select e.activity, sum(e.quantity::decimal(38, 2) * r.rate_per_unit) as cost
    from {{ ref('int_service_events') }} as e
    inner join {{ ref('int_activity_rates') }} as r
        on r.activity = e.activity and e.event_ts::date between r.valid_from and coalesce(r.valid_to, date '9999-12-31')
    cross join params
    where e.event_ts::date > params.as_of_date - 365 and e.event_ts::date <= params.as_of_date
    group by e.activity
),

-- each branch cast to DECIMAL(38,4): a mixed-scale union would round to two decimals
expected as (
    select 'net_revenue' as line_item, null::string as activity, coalesce(net_revenue, 0)::decimal(38, 4) as expected from sales
    union all select 'cogs', null, coalesce(cogs, 0)::decimal(38, 4) from sales
    union all select 'gross_margin', null, coalesce(net_revenue - cogs, 0)::decimal(38, 4) from sales
    union all select 'cost_to_serve', null, coalesce((select sum(cost) from costs), 0)::decimal(38, 4)
    union all select 'company_contribution', null,
        (coalesce(net_revenue - cogs, 0) - coalesce((select sum(cost) from costs), 0))::decimal(38, 4) from sales
    union all select 'cost_to_serve_by_activity', activity, cost::decimal(38, 4) from costs
)

select e.line_item, e.activity, e.expected, p.amount
from expected as e
left join {{ ref('company_pnl') }} as p
    on p.line_item = e.line_item and p.activity is not distinct from e.activity
where e.expected is distinct from p.amount
