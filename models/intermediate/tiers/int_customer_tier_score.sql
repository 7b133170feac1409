{#- Multi-factor score of every buyer (basis multi_factor_score of seed tier_schemes), factors
    and weights from seed tier_score_factors. Each factor is normalised among buyers by its
    percentile rank (rank - 1) / (n - 1) in the better-first direction reversed (0 = worst, 1 =
    best; equal values share the lower rank); a missing value gets 0.5. The percentile rank is
    taken to 9 decimals and weighted in exact decimal; score = 100 x sum(weight x rank) /
    sum(weight), rounded to 4 decimals. Ties in the score are broken by customer_id where the
    score is ranked (int_customer_pyramid). -#}
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
    select customer_id, 'average_order_value', (net_revenue / frequency)::double from buyers
    union all
    select customer_id, 'margin_rate', (case when net_revenue > 0 then gross_margin / net_revenue end)::double
    from buyers
    union all
    select customer_id, 'payment_lateness', avg_days_late::double from buyers
    union all
    select customer_id, 'growth', revenue_trend::double from buyers
),

ranked as (
    select
        v.customer_id,
        v.factor,
        f.weight,
        (case
            when v.factor_value is null then 0.5
            else percent_rank() over (
                partition by v.factor, v.factor_value is null
                order by case when f.higher_is_better then v.factor_value else -v.factor_value end
            )
        end)::decimal(18, 9) as percentile_rank
    from factor_values as v
    inner join {{ ref('tier_score_factors') }} as f on f.factor = v.factor
    where f.weight > 0
)

select
    customer_id,
    round(100 * sum(weight * percentile_rank) / sum(weight), 4)::decimal(38, 4) as multi_factor_score,
    count(*)::integer as factors_used
from ranked
group by customer_id
