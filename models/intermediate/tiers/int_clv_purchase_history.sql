{#- BG/NBD inputs per customer with a completed order on or before D, in weeks:
    x = repeat purchase days, t_x = first to last purchase, T = first purchase to D;
    mean_repeat_spend = mean net revenue of the repeat purchase days (Gamma-Gamma input). -#}
with params as (select * from {{ ref('int_run_parameters') }}),

purchase_days as (
    select daily.customer_id, daily.order_date, daily.net_revenue as revenue
    from {{ ref('int_customer_daily_sales') }} as daily
    cross join params
    where daily.order_date <= params.as_of_date and daily.completed_orders > 0
),

per_customer as (
    select
        customer_id,
        count(*) - 1 as x,
        min(order_date) as first_purchase,
        max(order_date) as last_purchase,
        sum(revenue) as total_revenue,
        min_by(revenue, order_date) as first_revenue
    from purchase_days
    group by customer_id
)

select
    per_customer.customer_id,
    per_customer.x::integer as x,
    {{ divide_as_double(days_between('per_customer.first_purchase', 'per_customer.last_purchase'), '7.0') }} as t_x,
    {{ divide_as_double(days_between('per_customer.first_purchase', 'params.as_of_date'), '7.0') }} as t_age,
    case when per_customer.x > 0
         then {{ divide_as_double('per_customer.total_revenue - per_customer.first_revenue', 'per_customer.x') }} end as mean_repeat_spend,
    {{ divide_as_double('per_customer.total_revenue', '(per_customer.x + 1)') }} as mean_spend
from per_customer
cross join params
