{#- Per customer at D: window sales (completed orders only) and purchase history up to D,
    summed from the daily aggregates. -#}
with params as (select * from {{ ref('int_run_parameters') }}),

days as (
    select daily.*, daily.order_date > params.window_start_exclusive as in_window, params.as_of_date
    from {{ ref('int_customer_daily_sales') }} as daily
    cross join params
    where daily.order_date <= params.as_of_date and daily.completed_orders > 0
)

select
    customer_id,
    coalesce(sum(completed_orders) filter (where in_window), 0)::integer as frequency,
    -- distinct months of the window with an order: one bit per month back from D (no count distinct)
    coalesce(bit_count(bit_or(1::bigint << {{ months_crossed('order_date', 'as_of_date') }}) filter (where in_window)), 0)::integer as active_months,
    sum(completed_orders)::integer as lifetime_orders,
    min(order_date) as first_order_date,
    max(order_date) as last_order_date,
    coalesce(sum(net_revenue) filter (where in_window), 0)::decimal(38, 2) as net_revenue,
    sum(net_revenue)::decimal(38, 2) as lifetime_net_revenue,
    coalesce(sum(cogs) filter (where in_window), 0)::decimal(38, 2) as cogs,
    coalesce(sum(net_revenue) filter (where order_date > as_of_date - 182), 0)::decimal(38, 2) as net_revenue_recent_half
from days
group by customer_id
