{#- Completed sales per customer and day (all dates): orders, net revenue, COGS. Every window
    figure and the purchase history are summed from here instead of rescanning order lines.
    Lines are valued (quantity x unit price - discount; quantity x unit cost, exact) and summed
    per order first, then per customer and day. Incremental runs recompute only the (customer,
    day) pairs whose orders or lines were re-judged in this run; a pair left without completed
    orders keeps a zero row. -#}
-- depends_on: {{ ref('int_orders__validated') }}, {{ ref('int_order_lines__validated') }}
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['customer_id', 'order_date']) }}

with orders as (
    select order_id, customer_id, order_date
    from {{ ref('int_orders') }}
    where status = 'completed'
),

{% if is_incremental() %}
affected as (
    select customer_id, order_ts::date as order_date
    from {{ ref('int_orders__validated') }}
    where validated_at = {{ this_run() }} and customer_id is not null and order_ts is not null
    union
    select customer_id, order_date
    from {{ ref('int_orders') }}
    where order_id in (select order_id from {{ ref('int_order_lines__validated') }} where validated_at = {{ this_run() }})
),

selected_orders as (
    select orders.* from orders semi join affected using (customer_id, order_date)
),
{% else %}
selected_orders as (select * from orders),
{% endif %}

order_totals as (
    select
        order_id,
        sum(quantity::decimal(38, 0) * unit_price - discount_amount) as net_revenue,
        sum(quantity::decimal(38, 0) * unit_cost) as cogs
    from {{ ref('int_order_lines') }}
    {% if is_incremental() %}where order_id in (select order_id from selected_orders){% endif %}
    group by order_id
),

daily as (
    select
        selected_orders.customer_id,
        selected_orders.order_date,
        count(*)::integer as completed_orders,
        coalesce(sum(order_totals.net_revenue), 0)::decimal(38, 2) as net_revenue,
        coalesce(sum(order_totals.cogs), 0)::decimal(38, 2) as cogs
    from selected_orders
    left join order_totals on order_totals.order_id = selected_orders.order_id
    group by selected_orders.customer_id, selected_orders.order_date
)

{% if is_incremental() %}
select
    affected.customer_id,
    affected.order_date,
    coalesce(daily.completed_orders, 0)::integer as completed_orders,
    coalesce(daily.net_revenue, 0)::decimal(38, 2) as net_revenue,
    coalesce(daily.cogs, 0)::decimal(38, 2) as cogs
from affected
left join daily using (customer_id, order_date)
{% else %}
select * from daily
{% endif %}
