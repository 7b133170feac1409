{#- Every tier assignment, over the stored snapshots before D and D itself: one row per date,
    customer and scheme where the assigned tier was set (first_assignment, review_date,
    beyond_band; a kept assignment is not a new one), with the tier of the customer's previous
    assignment in the scheme. Each night starts from the last stored one and a kept assignment
    keeps its tier, so that is the tier served until then; only the assignments are ranked,
    not every stored customer-date. -#}
with assignments as (
    select as_of_date, customer_id, scheme, computed_tier, assigned_tier, assigned_since, next_review_date,
        assignment_reason
    from {{ ref('int_stored_tier_assignments') }}
    -- the stored files hold the changed customers first: this filter skips the rest
    where coalesce(assignment_changed, true) and assignment_reason <> 'kept'
    union all
    select as_of_date, customer_id, scheme, computed_tier, assigned_tier, assigned_since, next_review_date,
        assignment_reason
    from {{ ref('int_tier_assignments') }}
    where assignment_reason <> 'kept'
)

select
    as_of_date,
    customer_id,
    scheme,
    computed_tier,
    lag(assigned_tier) over (partition by customer_id, scheme order by as_of_date) as previous_assigned_tier,
    assigned_tier,
    assigned_since,
    next_review_date,
    assignment_reason
from assignments
