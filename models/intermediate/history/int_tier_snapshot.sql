{#- This as-of date's tier labels and the values they rest on: the row kept in tier history
    (a table: stored by the pipeline and read by int_tier_history's readers).
    scheme_tiers (scheme -> tier, buyers only) stays a map in this private snapshot so stored
    history keeps one format; the served form is mart customer_scheme_tiers. membership_* is
    the loyalty club's state at D, where the next night's replay starts. assignment_changed and
    membership_event say the customer has an event on D: the pipeline stores those rows first,
    so the history marts' filters on them skip the rest of each stored file. -#}
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
    l.tier_assignments,
    l.assignment_changed,
    club.points as membership_points,
    club.points_level as membership_points_level,
    club.level as membership_level,
    club.level_since as membership_since,
    club.valid_until as membership_valid_until,
    club.reason as membership_reason,
    club.is_event as membership_event
from {{ ref('int_customer_profitability') }} as p
left join {{ ref('int_customer_scheme_tiers') }} as d
    on d.customer_id = p.customer_id and d.is_default_scheme
left join {{ ref('int_customer_segments') }} as seg on seg.customer_id = p.customer_id
left join {{ ref('int_tier_snapshot_lists') }} as l on l.customer_id = p.customer_id
left join {{ ref('int_membership_replay') }} as club on club.customer_id = p.customer_id and club.as_of_date = p.as_of_date
