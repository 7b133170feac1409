{#- RFM scores among buyers (customers with a completed order in the window).
    score = min(5, 1 + floor(5 * (rank - 1) / (buyers - 1))), rank() counted from worst to
    best, so the worst buyer scores 1, the best 5 and each score covers a fifth of the ranks.
    Ties share rank(), so equal values always get the same score (quintiles can then be
    uneven); a lone buyer scores 5. Integer arithmetic: no floating-point boundaries. -#}
with params as (select * from {{ ref('int_run_parameters') }}),

buyers as (
    select
        sales.customer_id,
        {{ days_between('sales.last_order_date', 'params.as_of_date') }} as recency_days,
        sales.frequency,
        sales.net_revenue as monetary
    from {{ ref('int_customer_sales') }} as sales
    cross join params
    where sales.frequency > 0
),

ranked as (
    select
        *,
        count(*) over () as buyers,
        rank() over (order by recency_days desc) as r_rank,
        rank() over (order by frequency asc) as f_rank,
        rank() over (order by monetary asc) as m_rank
    from buyers
),

scored as (
    select
        customer_id, recency_days, frequency, monetary,
        {{ quintile_score('r_rank', 'buyers') }} as r_score,
        {{ quintile_score('f_rank', 'buyers') }} as f_score,
        {{ quintile_score('m_rank', 'buyers') }} as m_score
    from ranked
)

select scored.*, segment_map.segment as rfm_segment
from scored
left join {{ ref('rfm_segment_map') }} as segment_map
    on scored.r_score between segment_map.r_min and segment_map.r_max
    and scored.f_score between segment_map.f_min and segment_map.f_max
