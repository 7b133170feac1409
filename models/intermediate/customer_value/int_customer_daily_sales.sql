{#- Completed sales per customer and day (all dates): orders, net revenue, COGS. Every window
    figure and the purchase history are summed from here instead of rescanning order lines. -#}
with order_totals as (
    select order_id, sum(line_net_revenue) as net_revenue, sum(line_cogs) as cogs
    from {{ ref('int_sales_lines') }}
    where status = 'completed'
    group by order_id
)

select
    orders.customer_id,
    orders.order_date,
    count(*)::integer as completed_orders,
    coalesce(sum(order_totals.net_revenue), 0)::decimal(38, 2) as net_revenue,
    coalesce(sum(order_totals.cogs), 0)::decimal(38, 2) as cogs
from {{ ref('int_orders') }} as orders
left join order_totals on order_totals.order_id = orders.order_id
where orders.status = 'completed'
group by orders.customer_id, orders.order_date
