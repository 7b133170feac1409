{#- Accepted lines of accepted orders, valued: net revenue and COGS per line, exact. -#}
select
    lines.order_id,
    lines.line_number,
    orders.customer_id,
    orders.order_date,
    orders.status,
    lines.quantity::decimal(38, 0) * lines.unit_price - lines.discount_amount as line_net_revenue,
    lines.quantity::decimal(38, 0) * lines.unit_cost as line_cogs
from {{ ref('int_order_lines') }} as lines
inner join {{ ref('int_orders') }} as orders on orders.order_id = lines.order_id
