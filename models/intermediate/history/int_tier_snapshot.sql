{#- This as-of date's tier labels and the values they rest on: the row kept in tier history
    (a table: stored by the pipeline and read by int_tier_history's readers).
    scheme_tiers (scheme -> tier, buyers only) stays a map in this private snapshot so stored
    history keeps one format; the served form is mart customer_scheme_tiers. -#}
select
    p.as_of_date,
    p.customer_id,
    p.is_buyer,
    p.net_revenue,
    p.gross_margin,
    p.cost_to_serve,
    p.contribution,
    p.recency_days,
    seg.p_alive,
    case when p.is_buyer then d.tier end as pyramid_tier,
    coalesce(l.scheme_tiers, {{ empty_text_map() }}) as scheme_tiers,
    seg.quadrant,
    seg.value_grid,
    seg.lifecycle_stage,
    l.tier_assignments
from {{ ref('int_customer_profitability') }} as p
left join {{ ref('int_customer_scheme_tiers') }} as d
    on d.customer_id = p.customer_id and d.is_default_scheme
left join {{ ref('int_customer_segments') }} as seg on seg.customer_id = p.customer_id
left join {{ ref('int_tier_snapshot_lists') }} as l on l.customer_id = p.customer_id
