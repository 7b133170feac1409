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
    lifecycle_stage
from {{ ref('customer_tiers') }}
