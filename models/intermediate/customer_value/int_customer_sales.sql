{#- Per customer at D: window sales (completed orders only) and purchase history up to D. -#}
with params as (select * from {{ ref('int_run_parameters') }}),

completed_orders as (
    select orders.customer_id, orders.order_id, orders.order_date,
           orders.order_date > params.window_start_exclusive as in_window
    from {{ ref('int_orders') }} as orders
    cross join params
    where orders.status = 'completed' and orders.order_date <= params.as_of_date
),

window_lines as (
    select lines.customer_id,
           sum(lines.line_net_revenue) as net_revenue,
           sum(lines.line_cogs) as cogs,
           sum(lines.line_net_revenue) filter (where lines.order_date > params.as_of_date - 182) as net_revenue_recent_half
    from {{ ref('int_sales_lines') }} as lines
    cross join params
    where lines.status = 'completed'
      and lines.order_date > params.window_start_exclusive
      and lines.order_date <= params.as_of_date
    group by lines.customer_id
),

history as (
    select customer_id,
           count(*) filter (where in_window) as frequency,
           count(distinct date_trunc('month', order_date)) filter (where in_window) as active_months,
           count(*) as lifetime_orders,
           min(order_date) as first_order_date,
           max(order_date) as last_order_date
    from completed_orders
    group by customer_id
)

select
    history.customer_id,
    history.frequency,
    history.active_months,
    history.lifetime_orders,
    history.first_order_date,
    history.last_order_date,
    coalesce(window_lines.net_revenue, 0)::decimal(38, 2) as net_revenue,
    coalesce(window_lines.cogs, 0)::decimal(38, 2) as cogs,
    coalesce(window_lines.net_revenue_recent_half, 0)::decimal(38, 2) as net_revenue_recent_half
from history
left join window_lines on window_lines.customer_id = history.customer_id
