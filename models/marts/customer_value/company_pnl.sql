{#- The company P&L at D, one line per figure; cost to serve also per activity.
    company contribution = buyers' contribution - non-buyer cost = gross margin - cost to serve. -#}
with params as (select * from {{ ref('int_run_parameters') }}),

-- every amount is cast to DECIMAL(38,4) before the union: DuckDB would otherwise round
-- the union to the first branch's two decimals
customers as (
    select
        sum(net_revenue)::decimal(38, 4) as net_revenue,
        sum(cogs)::decimal(38, 4) as cogs,
        sum(gross_margin)::decimal(38, 4) as gross_margin,
        sum(cost_to_serve)::decimal(38, 4) as cost_to_serve,
        coalesce(sum(contribution) filter (where is_buyer), 0)::decimal(38, 4) as buyer_contribution,
        coalesce(sum(cost_to_serve) filter (where not is_buyer), 0)::decimal(38, 4) as non_buyer_cost,
        sum(contribution)::decimal(38, 4) as company_contribution
    from {{ ref('int_customer_profitability') }}
),

activities as (
    select activity, sum(cost_to_serve)::decimal(38, 4) as cost_to_serve
    from {{ ref('int_customer_activity_costs') }}
    group by activity
),

lines as (
    select 1 as line_order, 'net_revenue' as line_item, null::string as activity, net_revenue as amount from customers
    union all select 2, 'cogs', null, cogs from customers
    union all select 3, 'gross_margin', null, gross_margin from customers
    union all select 4, 'cost_to_serve', null, cost_to_serve from customers
    union all
    select 5 + row_number() over (order by activity), 'cost_to_serve_by_activity', activity, cost_to_serve from activities
    union all select 1000, 'buyer_contribution', null, buyer_contribution from customers
    union all select 1001, 'non_buyer_cost', null, non_buyer_cost from customers
    union all select 1002, 'company_contribution', null, company_contribution from customers
)

select
    params.as_of_date::date as as_of_date,
    lines.line_order::integer as line_order,
    lines.line_item::string as line_item,
    lines.activity::string as activity,
    coalesce(lines.amount, 0)::decimal(38, 4) as amount
from lines
cross join params
order by line_order
