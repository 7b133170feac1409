{#- BG/NBD inputs per customer with a completed order on or before D, in weeks:
    x = repeat purchase days, t_x = first to last purchase, T = first purchase to D;
    mean_repeat_spend = mean net revenue of the repeat purchase days (Gamma-Gamma input). -#}
with params as (select * from {{ ref('int_run_parameters') }}),

day_revenue as (
    select customer_id, order_date, sum(line_net_revenue) as revenue
    from {{ ref('int_sales_lines') }}
    group by customer_id, order_date
),

purchase_days as (
    select orders.customer_id, orders.order_date, coalesce(any_value(day_revenue.revenue), 0) as revenue
    from {{ ref('int_orders') }} as orders
    cross join params
    left join day_revenue
        on day_revenue.customer_id = orders.customer_id and day_revenue.order_date = orders.order_date
    where orders.status = 'completed' and orders.order_date <= params.as_of_date
    group by orders.customer_id, orders.order_date
),

per_customer as (
    select
        customer_id,
        count(*) - 1 as x,
        min(order_date) as first_purchase,
        max(order_date) as last_purchase,
        sum(revenue) as total_revenue,
        arg_min(revenue, order_date) as first_revenue
    from purchase_days
    group by customer_id
)

select
    per_customer.customer_id,
    per_customer.x::integer as x,
    ((per_customer.last_purchase - per_customer.first_purchase) / 7.0)::double as t_x,
    ((params.as_of_date - per_customer.first_purchase) / 7.0)::double as t_age,
    case when per_customer.x > 0
         then ((per_customer.total_revenue - per_customer.first_revenue) / per_customer.x)::double end as mean_repeat_spend,
    (per_customer.total_revenue / (per_customer.x + 1))::double as mean_spend
from per_customer
cross join params
