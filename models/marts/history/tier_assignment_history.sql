{#- Every tier assignment, over the stored snapshots before D and D itself: one row per date,
    customer and scheme where the assigned tier was set (first_assignment, review_date,
    beyond_band; a kept assignment is not a new one), with the tier of the customer's previous
    assignment in the scheme. Each night starts from the last stored one and a kept assignment
    keeps its tier, so that is the tier served until then; only the assignments are ranked,
    not every stored customer-date. An incremental night keeps the rows of dates before the
    first stored snapshot it has not computed them from (macros/history.sql) and computes the
    rest: usually D's alone (the snapshot stored after yesterday's build carries this log's
    marker of yesterday's rows). -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_recomputed_events() }}",
    post_hook="{{ record_event_log_snapshots() }}"
) }}
{%- set recompute_from = event_log_recompute_from() %}

with assignments as (
    select as_of_date, customer_id, scheme, computed_tier, assigned_tier, assigned_since, next_review_date,
        assignment_reason
    from {{ ref('int_stored_tier_assignments') }}
    -- the stored files hold the changed customers first: this filter skips the rest
    where coalesce(assignment_changed, true) and assignment_reason <> 'kept'
    {%- if recompute_from is not none %}
        and as_of_date >= date '{{ recompute_from }}'
    {%- endif %}
    union all
    select as_of_date, customer_id, scheme, computed_tier, assigned_tier, assigned_since, next_review_date,
        assignment_reason
    from {{ ref('int_tier_assignments') }}
    where assignment_reason <> 'kept'
),

ranked as (
    select *, false as is_kept from assignments
    {%- if recompute_from is not none %}
    union all
    -- the last kept assignment of each customer and scheme assigned again: the tier before
    select max(as_of_date), customer_id, scheme, null, max_by(assigned_tier, as_of_date), null, null, null, true
    from {{ this }}
    where as_of_date < date '{{ recompute_from }}'
        and (customer_id, scheme) in (select customer_id, scheme from assignments)
    group by customer_id, scheme
    {%- endif %}
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
from (
    select
        *,
        lag(assigned_tier) over (partition by customer_id, scheme order by as_of_date) as previous_assigned_tier
    from ranked
) as lagged
where not is_kept
