{#- Every loyalty-club event, over the stored snapshots before D and D itself: one row per
    customer and date on which a rule fired (joined, expired, review date, top upgrade), with
    the state after it and the level before it. Between events the state carries over, so the
    level on any date is the one of the customer's last event up to it; only the events are
    ranked, not every stored customer-date. An incremental night keeps the rows of dates before
    the first stored snapshot it has not computed them from, or the first date the club replays
    (macros/history.sql), and computes the rest: usually D's alone (the snapshot stored
    after yesterday's build carries this log's marker of yesterday's rows). -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_recomputed_events() }}",
    post_hook="{{ record_event_log_snapshots(ref('int_membership_replay')) }}"
) }}
{%- set recompute_from = event_log_recompute_from() %}

with events as (
    select as_of_date, customer_id, membership_points as points, membership_points_level as points_level,
        membership_level as level, membership_since as level_since, membership_valid_until as valid_until,
        membership_reason as reason
    from {{ ref('int_stored_membership') }}
    where membership_event
    {%- if recompute_from is not none %}
        and as_of_date >= date '{{ recompute_from }}'
    {%- endif %}
    union all
    select as_of_date, customer_id, points, points_level, level, level_since, valid_until, reason
    from {{ ref('int_membership_replay') }}
    where is_event
),

ranked as (
    select *, false as is_kept from events
    {%- if recompute_from is not none %}
    union all
    -- the last kept event of each customer with a new one: the level before
    select max(as_of_date), customer_id, null, null, max_by(level, as_of_date), null, null, null, true
    from {{ this }}
    where as_of_date < date '{{ recompute_from }}' and customer_id in (select customer_id from events)
    group by customer_id
    {%- endif %}
)

select
    as_of_date,
    customer_id,
    points,
    points_level,
    previous_level,
    level,
    level_since,
    valid_until,
    reason
from (
    select *, lag(level) over (partition by customer_id order by as_of_date) as previous_level
    from ranked
) as lagged
where not is_kept
