{#- Multi-factor score of every buyer (basis multi_factor_score of seed tier_schemes), factors
    and weights from seed tier_score_factors, normalised among buyers by percentile rank (macro
    percentile_score). Ties in the score are broken by customer_id where the score is ranked
    (int_customer_pyramid). Ratios (order value, margin rate) are taken to 6 decimals. -#}
with buyers as (
    select
        p.customer_id,
        s.lifetime_net_revenue,
        p.net_revenue,
        p.frequency,
        p.gross_margin,
        p.avg_days_late,
        pot.revenue_trend
    from {{ ref('int_customer_profitability') }} as p
    left join {{ ref('int_customer_sales') }} as s on s.customer_id = p.customer_id
    left join {{ ref('int_customer_potential') }} as pot on pot.customer_id = p.customer_id
    where p.is_buyer
),

factor_values as (
    select customer_id, 'cumulative_sales' as factor, lifetime_net_revenue::double as factor_value from buyers
    union all
    -- ratios to 6 decimals: equal ratios of different amounts tie exactly (a double quotient may not)
    select customer_id, 'average_order_value', round({{ divide_as_double('net_revenue', 'frequency') }}, 6)::double from buyers
    union all
    select customer_id, 'margin_rate', (case when net_revenue > 0 then round({{ divide_as_double('gross_margin', 'net_revenue') }}, 6) end)::double
    from buyers
    union all
    select customer_id, 'payment_lateness', avg_days_late::double from buyers
    union all
    select customer_id, 'growth', revenue_trend::double from buyers
),

scores as (
    {{ percentile_score('factor_values', ref('tier_score_factors')) }}
)

select customer_id, score as multi_factor_score, factors_used
from scores
