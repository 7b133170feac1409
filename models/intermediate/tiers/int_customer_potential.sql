{#- Value x potential inputs per buyer. Revenue trend = (recent half-year - prior half-year)
    / (|recent| + |prior|), in -1..1 (0 when both are 0). Potential = expected growth:
    predicted next-12-month revenue x (1 + potential_trend_weight x trend) - net revenue of
    the last 12 months. -#}
with base as (
    select
        profitability.customer_id,
        profitability.contribution,
        profitability.net_revenue,
        sales.net_revenue_recent_half,
        profitability.net_revenue - sales.net_revenue_recent_half as net_revenue_prior_half,
        clv.p_alive,
        clv.predicted_revenue_12m
    from {{ ref('int_customer_profitability') }} as profitability
    inner join {{ ref('int_customer_sales') }} as sales on sales.customer_id = profitability.customer_id
    left join {{ ref('int_clv_predictions') }} as clv on clv.customer_id = profitability.customer_id
    where profitability.is_buyer
),

trended as (
    select
        *,
        coalesce(
            {{ divide_as_double('net_revenue_recent_half - net_revenue_prior_half',
                                'nullif(abs(net_revenue_recent_half) + abs(net_revenue_prior_half), 0)') }},
            0.0) as revenue_trend
    from base
)

select
    *,
    coalesce(predicted_revenue_12m, 0) * (1 + {{ setting('potential_trend_weight') }} * revenue_trend)
        - net_revenue::double as potential
from trended
