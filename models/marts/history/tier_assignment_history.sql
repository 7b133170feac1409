{#- Every tier assignment, over the stored snapshots before D and D itself: one row per date,
    customer and scheme where the assigned tier was set (first_assignment, review_date,
    beyond_band; a kept assignment is not a new one), with the tier assigned before. -#}
with assignments as (
    select as_of_date, customer_id, scheme, computed_tier, assigned_tier, assigned_since, next_review_date,
        assignment_reason
    from {{ ref('int_stored_tier_assignments') }}
    union all
    select as_of_date, customer_id, scheme, computed_tier, assigned_tier, assigned_since, next_review_date,
        assignment_reason
    from {{ ref('int_tier_assignments') }}
),

with_previous as (
    select
        *,
        lag(assigned_tier) over (partition by customer_id, scheme order by as_of_date) as previous_assigned_tier
    from assignments
)

select
    as_of_date,
    customer_id,
    scheme,
    computed_tier,
    previous_assigned_tier,
    assigned_tier,
    assigned_since,
    next_review_date,
    assignment_reason
from with_previous
where assignment_reason <> 'kept'
