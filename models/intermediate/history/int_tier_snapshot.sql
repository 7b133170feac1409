{{ config(materialized='view') }}  {#- a projection of customer_tiers: nothing to store twice -#}

{#- This as-of date's tier labels and the values they rest on: the row kept in tier history. -#}
select
    as_of_date,
    customer_id,
    is_buyer,
    net_revenue,
    gross_margin,
    cost_to_serve,
    contribution,
    recency_days,
    p_alive,
    pyramid_tier,
    scheme_tiers,
    quadrant,
    value_grid,
    lifecycle_stage,
    a.tier_assignments
from {{ ref('customer_tiers') }}
left join (  -- the assigned tier in every scheme, kept for the next date's assignment
    select
        customer_id,
        list(
            {
                'scheme': scheme, 'computed_tier': computed_tier, 'assigned_tier': assigned_tier,
                'assigned_since': assigned_since, 'next_review_date': next_review_date,
                'assignment_reason': assignment_reason
            } order by scheme
        ) as tier_assignments
    from {{ ref('int_tier_assignments') }}
    group by customer_id
) as a using (customer_id)
