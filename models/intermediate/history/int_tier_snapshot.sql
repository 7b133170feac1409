{{ config(materialized='view') }}

{#- This as-of date's tier labels and the values they rest on: the row kept in tier history.
    scheme_tiers (scheme -> tier, buyers only) stays a map in this private snapshot so stored
    history keeps one format; the served form is mart customer_scheme_tiers. -#}
with scheme_maps as (
    select
        customer_id,
        {{ sorted_map_agg('scheme', 'tier') }} as scheme_tiers
    from {{ ref('int_customer_scheme_tiers') }}
    where is_buyer
    group by customer_id
)

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
    coalesce(m.scheme_tiers, {{ empty_text_map() }}) as scheme_tiers,
    seg.quadrant,
    seg.value_grid,
    seg.lifecycle_stage,
    a.tier_assignments
from {{ ref('int_customer_profitability') }} as p
left join {{ ref('int_customer_scheme_tiers') }} as d
    on d.customer_id = p.customer_id and d.is_default_scheme
left join scheme_maps as m on m.customer_id = p.customer_id
left join {{ ref('int_customer_segments') }} as seg on seg.customer_id = p.customer_id
left join (  -- the assigned tier in every scheme, kept for the next date's assignment
    select
        customer_id,
        {{ sorted_struct_list({
            'scheme': 'scheme', 'computed_tier': 'computed_tier', 'assigned_tier': 'assigned_tier',
            'assigned_since': 'assigned_since', 'next_review_date': 'next_review_date',
            'assignment_reason': 'assignment_reason'}) }} as tier_assignments
    from {{ ref('int_tier_assignments') }}
    group by customer_id
) as a on a.customer_id = p.customer_id
