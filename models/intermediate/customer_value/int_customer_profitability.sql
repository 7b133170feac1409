{#- One row per customer known at D with every value figure: the shared base of the
    customer marts. Money is exact: revenue and COGS to the cent, cost to serve to 1/100 cent. -#}
with params as (select * from {{ ref('int_run_parameters') }}),

costs as (
    select customer_id, sum(cost_to_serve) as cost_to_serve
    from {{ ref('int_customer_activity_costs') }}
    group by customer_id
)

select
    params.as_of_date,
    population.customer_id,
    population.customer_name,
    population.segment,
    population.region,
    population.created_date,
    coalesce(sales.frequency, 0) > 0 as is_buyer,
    case
        when coalesce(sales.frequency, 0) > 0 then 'buyer'
        when sales.lifetime_orders > 0 then 'lapsed'
        else 'prospect'
    end as buyer_status,
    coalesce(sales.net_revenue, 0)::decimal(38, 2) as net_revenue,
    coalesce(sales.cogs, 0)::decimal(38, 2) as cogs,
    (coalesce(sales.net_revenue, 0) - coalesce(sales.cogs, 0))::decimal(38, 2) as gross_margin,
    coalesce(costs.cost_to_serve, 0)::decimal(38, 4) as cost_to_serve,
    (coalesce(sales.net_revenue, 0) - coalesce(sales.cogs, 0) - coalesce(costs.cost_to_serve, 0))::decimal(38, 4) as contribution,
    coalesce(sales.frequency, 0)::integer as frequency,
    {{ days_between('sales.last_order_date', 'params.as_of_date') }}::integer as recency_days,
    coalesce(sales.net_revenue, 0)::decimal(38, 2) as monetary,
    coalesce(sales.lifetime_orders, 0)::integer as lifetime_orders,
    sales.first_order_date,
    sales.last_order_date,
    rfm.r_score,
    rfm.f_score,
    rfm.m_score,
    case
        when rfm.customer_id is not null then rfm.rfm_segment
        when sales.lifetime_orders > 0 then 'Lapsed'
        else 'Prospect'
    end as rfm_segment,
    coalesce(credit.invoices_in_window, 0)::integer as invoices_in_window,
    credit.avg_days_late::double as avg_days_late,
    credit.share_paid_late::double as share_paid_late,
    coalesce(credit.overdue_balance, 0)::decimal(38, 2) as overdue_balance,
    coalesce(credit.amount_written_off, 0)::decimal(38, 2) as amount_written_off
from {{ ref('int_customer_population') }} as population
cross join params
left join {{ ref('int_customer_sales') }} as sales on sales.customer_id = population.customer_id
left join costs on costs.customer_id = population.customer_id
left join {{ ref('int_customer_rfm') }} as rfm on rfm.customer_id = population.customer_id
left join {{ ref('int_customer_credit') }} as credit on credit.customer_id = population.customer_id
